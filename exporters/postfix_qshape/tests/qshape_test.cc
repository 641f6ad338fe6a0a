#include "qshape.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace postfix_qshape {
namespace {

// Expected keys produced by running qshape's own statements under perl 5.36
// on the same inputs.
struct KeyCase {
  const char* address;
  const char* key;
};
const KeyCase kKeyCases[] = {
    {"user@Example.COM", "example.com"},
    {"", "MAILER-DAEMON"},  // null sender; upper case (set after lc)
    {"MAILER-DAEMON", "mailer-daemon"},
    {"root", "root"},  // unqualified: the whole address
    {"user@", ""},     // blank row, not MAILER-DAEMON
    {"@", ""},
    {"a@b@", ""},
    {"c@[1.2.3.4]", "[1.2.3.4]"},  // IP literals kept with brackets
    {"x@[IPv6:::1]", "[ipv6:::1]"},
    {"x@y@quoted.example.com", "quoted.example.com"},  // greedy: last '@'
    {"\"g@h\"@quoted.example.com", "quoted.example.com"},
    {"a@a..b.example.com", "a.b.example.com"},
    {"a@foo.example.com.", "foo.example.com"},
    {"a@.example.com.", "example.com"},
    {"a@..example.com..", "example.com"},
    {"a@.", "."},
    {"a@..", "."},
    {"a@...", "."},
    {"a@....", "."},
    {".", "."},
    {"..", "."},
    {"...", "."},
    {"A@B", "b"},
    {"\xC3\x84@\xC3\x84.DE", "\xC3\x84.de"},  // ASCII-only lower-casing
    // Perl's '.' does not match a newline and '$' matches before a final one.
    {"a@b\nc@d", "b\nc@d"},
    {"ab\nc@d@e\nf@g", "ab\ne\nf@g"},
    {"a@b.\n", "b\n"},
    {"a@.b.\n", "b\n"},
    {"x@.\n", ".\n"},
    {"\n", "\n"},
    {"a@b\n.", "b\n."},
    {"a.c\n\n", "a.c\n\n"},
};

TEST(DomainKeyTest, MatchesQshape) {
  for (const KeyCase& c : kKeyCases)
    EXPECT_EQ(DomainKey(c.address), c.key) << "address: " << c.address;
}

TEST(DomainKeyTest, FastDotRuleEqualsRegexEmulation) {
  // Every string over {'.', 'a', 'b'} up to length 7, plus random ones.
  std::vector<std::string> inputs = {""};
  for (size_t len = 1; len <= 7; ++len) {
    size_t n = 1;
    for (size_t i = 0; i < len; ++i) n *= 3;
    for (size_t k = 0; k < n; ++k) {
      std::string s;
      for (size_t i = 0, v = k; i < len; ++i, v /= 3) s += ".ab"[v % 3];
      inputs.push_back(s);
    }
  }
  for (const std::string& in : inputs) {
    std::string fast = in, slow = in;
    StripOneDot(&fast);
    StripOneDotReference(&slow);
    ASSERT_EQ(fast, slow) << "input: " << in;
  }
}

TEST(BucketTest, GeometricBoundaries) {
  BucketSpec spec;  // 5 minutes, 10 buckets
  const double now = 1700000000;
  auto bucket = [&](double age) { return spec.Bucket(now, now - age); };
  EXPECT_EQ(bucket(0), 1);
  EXPECT_EQ(bucket(-1000), 1);  // clock skew
  EXPECT_EQ(bucket(299), 1);
  EXPECT_EQ(bucket(300), 2);
  EXPECT_EQ(bucket(599), 2);
  EXPECT_EQ(bucket(600), 3);
  EXPECT_EQ(bucket(1200), 4);
  EXPECT_EQ(bucket(76799), 9);
  EXPECT_EQ(bucket(76800), 10);
  EXPECT_EQ(bucket(1e9), 10);
  EXPECT_EQ(spec.Bucket(now, 0), 10);  // qshape's "no time" case
  // Exact powers of two land in the upper bucket.
  for (int k = 1; k <= 7; ++k) EXPECT_EQ(bucket(300.0 * (1 << k)), k + 2) << k;
}

TEST(BucketTest, Linear) {
  BucketSpec spec;
  spec.linear = true;
  const double now = 1700000000;
  auto bucket = [&](double age) { return spec.Bucket(now, now - age); };
  EXPECT_EQ(bucket(299), 1);
  EXPECT_EQ(bucket(599), 2);
  EXPECT_EQ(bucket(600), 3);
  EXPECT_EQ(bucket(2400), 9);
  EXPECT_EQ(bucket(2699), 9);
  EXPECT_EQ(bucket(2700), 10);
  EXPECT_EQ(bucket(1e7), 10);
}

TEST(BucketTest, NonFiniteTimes) {
  BucketSpec spec;
  EXPECT_EQ(spec.Bucket(1000, std::numeric_limits<double>::infinity()), 1);
  EXPECT_EQ(spec.Bucket(1000, -std::numeric_limits<double>::infinity()), 10);
  EXPECT_EQ(spec.Bucket(1000, std::numeric_limits<double>::quiet_NaN()), 10);
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

TEST(BucketTest, Headings) {
  BucketSpec spec;
  EXPECT_EQ(Join(spec.Headings()), "T 5 10 20 40 80 160 320 640 1280 1280+");
  spec.linear = true;
  EXPECT_EQ(Join(spec.Headings()), "T 5 10 15 20 25 30 35 40 45 45+");
  spec = BucketSpec{5, 2, false};
  EXPECT_EQ(Join(spec.Headings()), "T 5 5+");
  spec = BucketSpec{5, 1, false};
  EXPECT_EQ(Join(spec.Headings()), "T 0+");
  spec = BucketSpec{0.5, 5, false};
  EXPECT_EQ(Join(spec.Headings()), "T 0.5 1 2 4 4+");
  spec = BucketSpec{0.1, 5, true};
  EXPECT_EQ(Join(spec.Headings()), "T 0.1 0.2 0.3 0.4 0.4+");
  spec = BucketSpec{60, 4, false};
  EXPECT_EQ(Join(spec.Headings()), "T 60 120 240 240+");
  spec = BucketSpec{1000000, 40, false};
  EXPECT_EQ(spec.Headings()[39], "274877906944000000");
}

TEST(ShapeTableTest, RowsSortedWithOther) {
  KeyInterner keys;
  ShapeTable t(3, &keys);
  for (int i = 0; i < 5; ++i) t.Add("big.example", 1);
  for (int i = 0; i < 3; ++i) t.Add("mid.example", 2);
  t.Add("a.example", 3);
  t.Add("bb.example", 3);
  t.Add("aa.example", 1);
  EXPECT_EQ(t.total(), 11);
  auto rows = t.Rows(0);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].domain, "big.example");
  EXPECT_EQ(rows[1].domain, "mid.example");
  // Ties: shorter first (as qshape), then by name.
  EXPECT_EQ(rows[2].domain, "a.example");
  EXPECT_EQ(rows[3].domain, "aa.example");
  EXPECT_EQ(rows[4].domain, "bb.example");
  EXPECT_EQ(rows[1].buckets, (std::vector<int64_t>{3, 0, 3, 0}));

  rows = t.Rows(2);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].domain, "__other__");
  EXPECT_EQ(rows[2].buckets, (std::vector<int64_t>{3, 1, 0, 2}));
  // No "__other__" when everything fits.
  EXPECT_EQ(t.Rows(5).size(), 5u);
}

TEST(ShapeTableTest, RealOtherDomainIsMergedNotDuplicated) {
  KeyInterner keys;
  ShapeTable t(1, &keys);
  t.Add("__other__", 1);
  t.Add("__other__", 1);
  t.Add("x.example", 1);
  t.Add("y.example", 1);
  auto rows = t.Rows(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].domain, "__other__");
  EXPECT_EQ(rows[0].total(), 4);
}

TEST(ShapeTableTest, InvalidUtf8Merged) {
  KeyInterner keys;
  ShapeTable t(1, &keys);
  t.Add("ok.example", 1);
  t.Add("\xff.example", 1);
  t.Add("\xfe.example", 1);
  auto rows = t.Rows(0);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].domain, "\xef\xbf\xbd.example");
  EXPECT_EQ(rows[0].total(), 2);
}

// qshape hides rows whose key starts with "." but counts them in TOTAL; we
// export them so that a queue's rows always sum to that TOTAL.
TEST(ShapeTableTest, DotKeysAreRowsSoRowsSumToTotal) {
  KeyInterner keys;
  ShapeTable t(1, &keys);
  t.Add(DomainKey("a@..."), 1);   // "."
  t.Add(DomainKey("a@...x"), 1);  // ".x"
  t.Add(DomainKey("a@x"), 1);
  EXPECT_EQ(t.total(), 3);
  auto rows = t.Rows(0);
  ASSERT_EQ(rows.size(), 3u);
  int64_t sum = 0;
  for (const auto& r : rows) sum += r.total();
  EXPECT_EQ(sum, t.total());
  std::set<std::string> names;
  for (const auto& r : rows) names.insert(r.domain);
  EXPECT_EQ(names, (std::set<std::string>{".", ".x", "x"}));
}

TEST(Utf8Test, ValidUtf8) {
  EXPECT_EQ(ValidUtf8("plain"), "plain");
  EXPECT_EQ(ValidUtf8("\xC3\xA4"), "\xC3\xA4");
  EXPECT_EQ(ValidUtf8("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(ValidUtf8("a\xC3"), "a\xEF\xBF\xBD");
  EXPECT_EQ(ValidUtf8("\xC0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

TEST(QueueSummaryTest, CountsLikeQshape) {
  BucketSpec spec;
  KeyInterner keys;
  QueueSummary s(spec, true, &keys);
  const double now = 1700000000;
  QueueEnvelope env;
  env.status = ParseStatus::kOk;
  env.arrival_time = now - 700;  // bucket 3 ("20")
  env.sender = "";
  env.AddRecipient("a@X.example");
  env.AddRecipient("b@x.example.");
  env.AddRecipient("c@[10.0.0.1]");
  s.Add(env, now, 1000);
  env.Clear();
  env.status = ParseStatus::kNoRecipients;
  s.Add(env, now, 500);
  env.Clear();
  env.status = ParseStatus::kMalformed;
  env.error = "x";
  s.Add(env, now, 500);
  env.Clear();
  env.status = ParseStatus::kNotQueueFile;
  s.Add(env, now, 50);

  EXPECT_EQ(s.messages, 1);
  EXPECT_EQ(s.recipient_count, 3);
  EXPECT_EQ(s.size_bytes, 1000);
  EXPECT_EQ(s.unreadable, 2);
  EXPECT_EQ(s.all_delivered, 1);
  EXPECT_EQ(s.oldest_arrival, now - 700);
  auto rows = s.recipients.Rows(0);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].domain, "x.example");
  EXPECT_EQ(rows[0].buckets[3], 2);
  EXPECT_EQ(rows[1].domain, "[10.0.0.1]");
  // -s: the real message's null sender, plus qshape's phantom MAILER-DAEMON
  // for the not-a-queue-file case in the oldest bucket.
  rows = s.senders.Rows(0);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].domain, "MAILER-DAEMON");
  EXPECT_EQ(rows[0].buckets,
            (std::vector<int64_t>{2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1}));
}

}  // namespace
}  // namespace postfix_qshape
