#include "queue_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "test_util.h"

namespace postfix_qshape {
namespace {

using testing::CleanupFile;
using testing::MaildropFile;
using testing::Message;
using testing::ReadFile;
using testing::Rec;

std::string Fixture(const std::string& name) {
  return ReadFile(std::string(POSTFIX_QSHAPE_TEST_DIR) + "/fixtures/" + name);
}

QueueEnvelope Parse(std::string_view bytes, bool strict = false,
                    int64_t mtime = 0) {
  ParseOptions opts;
  opts.strict_qshape = strict;
  QueueEnvelope env;
  ParseQueueFile(bytes, mtime, opts, &env);
  return env;
}

std::vector<std::string> Recipients(const QueueEnvelope& env) {
  std::vector<std::string> out;
  for (size_t i = 0; i < env.recipient_count(); ++i)
    out.emplace_back(env.recipient(i));
  return out;
}

// A pointer record as cleanup writes it: "%15ld".
std::string Ptr(size_t offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%15zu", offset);
  return Rec('p', buf);
}

// Real Postfix 3.7 files captured from a running instance (tests/fixtures).
TEST(QueueFileTest, RealDeferredFileWithDeliveredRecipient) {
  QueueEnvelope env = Parse(Fixture("deferred_64CB3A7614E"));
  ASSERT_EQ(env.status, ParseStatus::kOk) << env.error;
  EXPECT_EQ(env.arrival_time, 1795325401);
  EXPECT_FALSE(env.time_from_mtime);
  EXPECT_EQ(env.sender, "Carol@Senders.Example");
  EXPECT_EQ(env.content_size, 266);
  // a@ok.example was delivered (D record) and is not listed.
  EXPECT_EQ(Recipients(env),
            (std::vector<std::string>{"b@other.example.net", "C@[127.0.0.2]",
                                      "x@y@quoted.example"}));
}

TEST(QueueFileTest, RealNullSenderAndHoldFiles) {
  QueueEnvelope env = Parse(Fixture("deferred_5D98CA760CD"));
  ASSERT_EQ(env.status, ParseStatus::kOk) << env.error;
  EXPECT_EQ(env.sender, "");
  EXPECT_EQ(Recipients(env),
            std::vector<std::string>{"nullsender@dom1.example"});
  env = Parse(Fixture("hold_59915A760CC"));
  ASSERT_EQ(env.status, ParseStatus::kOk) << env.error;
  EXPECT_EQ(env.sender, "bob@senders.example");
  EXPECT_EQ(Recipients(env), std::vector<std::string>{"held@hold.example"});
}

TEST(QueueFileTest, RealMaildropFileStartsWithT) {
  std::string bytes = Fixture("maildrop_52D31A76071");
  QueueEnvelope env = Parse(bytes);
  ASSERT_EQ(env.status, ParseStatus::kOk) << env.error;
  EXPECT_EQ(env.arrival_time, 1795325412);
  EXPECT_EQ(env.sender, "");
  EXPECT_EQ(Recipients(env),
            (std::vector<std::string>{"Dave@Example.COM", "eve@example.com."}));
  // qshape does not know T-first files: no envelope at all.
  EXPECT_EQ(Parse(bytes, /*strict=*/true).status, ParseStatus::kNotQueueFile);
}

TEST(QueueFileTest, BuiltCleanupFile) {
  Message m;
  m.arrival = 1712345678;
  m.sender = "Alice@Example.org";
  m.recipients = {"a@one.example", "b@two.example", "a@one.example"};
  m.delivered = {"done@one.example"};
  m.extracted = {"hdr@three.example"};
  QueueEnvelope env = Parse(CleanupFile(m));
  ASSERT_EQ(env.status, ParseStatus::kOk) << env.error;
  EXPECT_EQ(env.arrival_time, 1712345678);
  EXPECT_EQ(env.sender, "Alice@Example.org");
  // No de-duplication; recipients after X count too.
  EXPECT_EQ(Recipients(env),
            (std::vector<std::string>{"a@one.example", "b@two.example",
                                      "a@one.example", "hdr@three.example"}));
  EXPECT_GT(env.content_size, 0);
}

TEST(QueueFileTest, ContentScannedWithoutSizeRecord) {
  Message m;
  m.size_record = false;
  m.body = {"Subject: x", "", "line with X and E letters", "L"};
  QueueEnvelope env = Parse(CleanupFile(m));
  ASSERT_EQ(env.status, ParseStatus::kOk) << env.error;
  EXPECT_EQ(env.content_size, -1);
  EXPECT_EQ(Recipients(env), std::vector<std::string>{"rcpt@example.com"});
  // A content record other than N, L or p before X ends the scan.
  std::string bad = Rec('C', "-1") + Rec('T', "1 0") + Rec('S', "s@x") +
                    Rec('R', "r@x") + Rec('M', "") + Rec('N', "a") +
                    Rec('w', "pad") + Rec('X', "") + Rec('E', "");
  EXPECT_EQ(Parse(bad).status, ParseStatus::kMalformed);
}

TEST(QueueFileTest, WrongContentSizeMissesX) {
  Message m;
  std::string f = CleanupFile(m);
  // Change the content size's last digit (same width).
  size_t pos = f.find_first_not_of(' ', 2);
  size_t end = f.find(' ', pos);
  ASSERT_NE(end, std::string::npos);
  f[end - 1] = f[end - 1] == '9' ? '8' : static_cast<char>(f[end - 1] + 1);
  QueueEnvelope env = Parse(f);
  EXPECT_EQ(env.status, ParseStatus::kMalformed);
  EXPECT_STREQ(env.error, "no X record after content");
}

TEST(QueueFileTest, AllDelivered) {
  Message m;
  m.recipients = {};
  m.delivered = {"a@one.example", "b@two.example"};
  QueueEnvelope env = Parse(CleanupFile(m));
  EXPECT_EQ(env.status, ParseStatus::kNoRecipients);
  EXPECT_EQ(env.recipient_count(), 0u);
}

TEST(QueueFileTest, CancelledAndOriginalRecipientsIgnored) {
  std::string f = Rec('C', "0 0 0") + Rec('T', "100 5") + Rec('S', "") +
                  Rec('O', "orig@x") + Rec('/', "cancelled@x") +
                  Rec('D', "done@x") + Rec('R', "todo@x") + Rec('M', "") +
                  Rec('X', "") + Rec('E', "");
  QueueEnvelope env = Parse(f);
  ASSERT_EQ(env.status, ParseStatus::kOk) << env.error;
  EXPECT_EQ(Recipients(env), std::vector<std::string>{"todo@x"});
}

TEST(QueueFileTest, PointerRecordsFollowed) {
  // C T S R(a) p->heap | resume: M N X E | heap: R(b) p->resume
  std::string head = Rec('C', "3 0 0") + Rec('T', "100 0") + Rec('S', "s@x") +
                     Rec('R', "a@one") + Ptr(0) /*dummy*/;
  size_t ptr_at = head.size();
  std::string ptr_placeholder = Ptr(0);
  size_t resume = ptr_at + ptr_placeholder.size();
  std::string tail = Rec('M', "") + Rec('N', "x") + Rec('X', "") + Rec('E', "");
  size_t heap = resume + tail.size();
  std::string f = head + Ptr(heap) + tail + Rec('R', "b@two") + Ptr(resume);
  QueueEnvelope env = Parse(f);
  ASSERT_EQ(env.status, ParseStatus::kOk) << env.error;
  EXPECT_EQ(Recipients(env), (std::vector<std::string>{"a@one", "b@two"}));
}

TEST(QueueFileTest, PointerInsideScannedContent) {
  // No size: the content scan follows p records too.
  std::string head = Rec('C', "-1") + Rec('T', "100 0") + Rec('S', "s@x") +
                     Rec('R', "a@one") + Rec('M', "") + Rec('N', "l1");
  size_t resume = head.size() + Ptr(0).size();
  std::string tail = Rec('X', "") + Rec('R', "c@three") + Rec('E', "");
  size_t heap = resume + tail.size();
  std::string f =
      head + Ptr(heap) + tail + Rec('N', "l2") + Rec('L', "l3") + Ptr(resume);
  QueueEnvelope env = Parse(f);
  ASSERT_EQ(env.status, ParseStatus::kOk) << env.error;
  EXPECT_EQ(Recipients(env), (std::vector<std::string>{"a@one", "c@three"}));
}

TEST(QueueFileTest, PointerLoopIsMalformedNotAHang) {
  std::string head = Rec('C', "-1") + Rec('T', "100 0") + Rec('S', "s@x");
  std::string f = head + Rec('R', "a@x") + Ptr(head.size());  // back to R
  for (bool strict : {false, true}) {
    QueueEnvelope env = Parse(f, strict);
    EXPECT_EQ(env.status, ParseStatus::kMalformed);
    EXPECT_STREQ(env.error, "pointer loop");
  }
  // A pointer past the end of the file reads as end of file.
  EXPECT_EQ(Parse(head + Ptr(1u << 30)).status, ParseStatus::kMalformed);
  // Pointer data is a Perl number: "  12abc" -> 12, "-5" and "x" ignored.
  std::string ok = head + Rec('R', "a@x") + Rec('p', "-5") + Rec('p', "x") +
                   Rec('M', "") + Rec('X', "") + Rec('E', "");
  EXPECT_EQ(Parse(ok).status, ParseStatus::kOk);
}

TEST(QueueFileTest, LegacyMaildropUsesMtime) {
  std::string s_first = Rec('S', "old@sender") + Rec('R', "r@x") +
                        Rec('M', "") + Rec('N', "b") + Rec('X', "") +
                        Rec('E', "");
  QueueEnvelope env = Parse(s_first, false, /*mtime=*/4242);
  ASSERT_EQ(env.status, ParseStatus::kOk) << env.error;
  EXPECT_TRUE(env.time_from_mtime);
  EXPECT_EQ(env.arrival_time, 4242);
  EXPECT_EQ(env.sender, "old@sender");
  env = Parse(Rec('F', "Full Name") + s_first, true, 7);
  ASSERT_EQ(env.status, ParseStatus::kOk) << env.error;
  EXPECT_EQ(env.arrival_time, 7);
  EXPECT_EQ(Parse(Rec('F', "x") + Rec('R', "r@x")).status,
            ParseStatus::kMalformed);
}

TEST(QueueFileTest, TimeRecordParsedLikePerl) {
  auto with_time = [](std::string t) {
    return Rec('C', "0 0 0") + Rec('T', t) + Rec('S', "s@x") + Rec('R', "r@x") +
           Rec('M', "") + Rec('X', "") + Rec('E', "");
  };
  EXPECT_EQ(Parse(with_time("1700000000 999999")).arrival_time, 1700000000);
  EXPECT_EQ(Parse(with_time("1700000000")).arrival_time, 1700000000);
  EXPECT_EQ(Parse(with_time("1700000000.5 1")).arrival_time, 1700000000.5);
  EXPECT_EQ(Parse(with_time("17abc 1")).arrival_time, 17);
  // split(/\s+/) gives a leading empty field: time 0, still counted.
  QueueEnvelope env = Parse(with_time(" 1700000000 1"));
  EXPECT_EQ(env.status, ParseStatus::kOk);
  EXPECT_EQ(env.arrival_time, 0);
  // Blank T data is time 0 too (split with Perl's implicit limit keeps
  // the empty field); only empty T data means no time: qshape skips it.
  env = Parse(with_time("  "));
  EXPECT_EQ(env.status, ParseStatus::kOk);
  EXPECT_EQ(env.arrival_time, 0);
  EXPECT_EQ(Parse(with_time("")).status, ParseStatus::kMalformed);
}

TEST(QueueFileTest, StructuralErrors) {
  std::string t = Rec('T', "1 0");
  // C must be followed by T.
  EXPECT_EQ(Parse(Rec('C', "1 2 3") + Rec('S', "s") + t).status,
            ParseStatus::kMalformed);
  // Content before the sender.
  EXPECT_STREQ(Parse(Rec('C', "0 0 0") + t + Rec('R', "r") + Rec('M', "") +
                     Rec('X', "") + Rec('S', "s") + Rec('E', ""))
                   .error,
               "content before the sender");
  // E without a sender.
  EXPECT_EQ(Parse(Rec('C', "0 0 0") + t + Rec('R', "r") + Rec('E', "")).status,
            ParseStatus::kMalformed);
  // No E.
  EXPECT_STREQ(
      Parse(Rec('C', "0 0 0") + t + Rec('S', "s") + Rec('R', "r")).error,
      "no E record");
  // A '0' type byte reads as end of file in Perl.
  EXPECT_EQ(Parse(Rec('C', "0 0 0") + t + Rec('S', "s") + Rec('R', "r") +
                  Rec('0', "") + Rec('E', ""))
                .status,
            ParseStatus::kMalformed);
}

TEST(QueueFileTest, EmptyAndGarbageFirstRecord) {
  for (std::string bytes : {std::string(), std::string("0"),
                            std::string("Zjunk"), Rec('N', "text")}) {
    EXPECT_EQ(Parse(bytes).status, ParseStatus::kMalformed) << bytes;
    EXPECT_EQ(Parse(bytes, true).status, ParseStatus::kNotQueueFile) << bytes;
  }
}

TEST(QueueFileTest, RecordLengthLimits) {
  // 3 length bytes (up to 2097151) are fine, 4 are not (qshape's limit).
  std::string big(20000, 'x');
  big += "@big.example";
  std::string f = Rec('C', "0 0 0") + Rec('T', "1 0") + Rec('S', "s") +
                  Rec('R', big) + Rec('M', "") + Rec('X', "") + Rec('E', "");
  QueueEnvelope env = Parse(f);
  ASSERT_EQ(env.status, ParseStatus::kOk) << env.error;
  EXPECT_EQ(env.recipient(0), big);
  std::string four = Rec('C', "0 0 0") + Rec('T', "1 0") + Rec('S', "s") +
                     "R\x80\x80\x80\x01" + Rec('E', "");
  EXPECT_EQ(Parse(four).status, ParseStatus::kMalformed);
}

TEST(QueueFileTest, EveryTruncationIsHandled) {
  std::string full = Fixture("deferred_64CB3A7614E");
  for (size_t n = 0; n + 1 < full.size(); ++n) {
    QueueEnvelope env = Parse(std::string_view(full).substr(0, n));
    EXPECT_EQ(env.status, ParseStatus::kMalformed) << "length " << n;
  }
  // Cut inside the last length byte: Perl reads the E type byte at the end
  // of the file as an empty E record, so qshape still counts the file.
  EXPECT_EQ(Parse(std::string_view(full).substr(0, full.size() - 1)).status,
            ParseStatus::kOk);
}

TEST(QueueFileTest, RandomBytesNeverCrash) {
  std::mt19937 rng(12345);
  std::string base = CleanupFile(Message());
  QueueEnvelope env;
  ParseOptions opts;
  for (int i = 0; i < 20000; ++i) {
    std::string f = base;
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < flips; ++k)
      f[rng() % f.size()] = static_cast<char>(rng() & 0xff);
    if (rng() % 4 == 0) f.resize(rng() % f.size());
    opts.strict_qshape = (i & 1) != 0;
    ParseQueueFile(f, 0, opts, &env);
    if (env.status == ParseStatus::kMalformed) {
      EXPECT_NE(env.error[0], '\0');
    }
  }
  for (int i = 0; i < 5000; ++i) {
    std::string f(rng() % 300, '\0');
    for (char& c : f) c = "CTSRMXENLpDF0\x80\x01 9"[rng() % 17];
    ParseQueueFile(f, 0, opts, &env);
  }
}

TEST(QueueFileTest, PerlNumber) {
  EXPECT_EQ(PerlNumber("123"), 123);
  EXPECT_EQ(PerlNumber("  \t\n42xyz"), 42);
  EXPECT_EQ(PerlNumber("+7"), 7);
  EXPECT_EQ(PerlNumber("-7.5e1"), -75);
  EXPECT_EQ(PerlNumber(".5"), 0.5);
  EXPECT_EQ(PerlNumber("5."), 5);
  EXPECT_EQ(PerlNumber("1e"), 1);
  EXPECT_EQ(PerlNumber("0x10"), 0);
  EXPECT_EQ(PerlNumber(""), 0);
  EXPECT_EQ(PerlNumber("."), 0);
  EXPECT_EQ(PerlNumber("abc"), 0);
  EXPECT_TRUE(std::isinf(PerlNumber("Inf")));
  EXPECT_TRUE(std::isnan(PerlNumber("nan")));
  EXPECT_EQ(PerlNumber("            267"), 267);
}

}  // namespace
}  // namespace postfix_qshape
