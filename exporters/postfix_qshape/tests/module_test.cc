#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "postfix_qshape_module.h"
#include "test_util.h"

namespace postfix_qshape {
namespace {

using exporterd::CollectRequest;
using exporterd::CollectResult;
using exporterd::ConfigErrors;
using exporterd::ModuleEnv;
using testing::CleanupFile;
using testing::Message;
using testing::ReadFile;
using testing::TempDir;

using exporterd::testing::ExpectGolden;
using exporterd::testing::PromtoolCheckMetrics;
using exporterd::testing::Serialize;

auto Load(const std::string& yaml, bool embedded = false) {
  return exporterd::testing::Load<PostfixQshapeModule>("postfix_qshape", yaml,
                                                       embedded);
}

TEST(ModuleConfigTest, Defaults) {
  auto l = Load("modules:\n  postfix_qshape: {queue_directory: /q}\n");
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  const Config& c = l->get()->config();
  EXPECT_EQ(l->get()->queue_directory(), "/q");
  EXPECT_EQ(c.queues, (std::vector<std::string>{"incoming", "active",
                                                "deferred", "hold"}));
  EXPECT_EQ(c.bucket_minutes, 5);
  EXPECT_EQ(c.buckets, 10);
  EXPECT_FALSE(c.linear);
  EXPECT_EQ(c.max_domains, 50u);
  EXPECT_TRUE(c.sender_domains);
  EXPECT_FALSE(c.strict_qshape);
  EXPECT_TRUE(l->get()->HasCollect());
}

TEST(ModuleConfigTest, DefaultQueueDirectoryFromPostconfOrFallback) {
  auto l = Load("modules:\n  postfix_qshape: {timeout: 5s}\n");
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  const std::string& dir = l->get()->queue_directory();
  ASSERT_FALSE(dir.empty());
  EXPECT_EQ(dir[0], '/');
  EXPECT_EQ(dir, DefaultQueueDirectory());
}

TEST(ModuleConfigTest, ErrorsCarryFileLineAndKey) {
  auto l = Load(
      "modules:\n"                         // 1
      "  postfix_qshape:\n"                // 2
      "    queue_directory: relative/q\n"  // 3
      "    queues:\n"                      // 4
      "      - deferred\n"                 // 5
      "      - bounce\n"                   // 6
      "      - deferred\n"                 // 7
      "    bucket_minutes: 0\n"            // 8
      "    buckets: 41\n"                  // 9
      "    linear: maybe\n"                // 10
      "    max_domains: -1\n"              // 11
      "    sender_domain: true\n"          // 12
      "    timeout: 5s\n"                  // 13
      "    min_interval: 1m\n");           // 14
  std::string all = l->errors.ToString();
  auto has = [&](const std::string& s) {
    return all.find(s) != std::string::npos;
  };
  EXPECT_TRUE(
      has("exporterd.yml:3: modules.postfix_qshape.queue_directory: "
          "must be an absolute path"))
      << all;
  EXPECT_TRUE(
      has("exporterd.yml:6: modules.postfix_qshape.queues[1]: unknown "
          "queue \"bounce\""))
      << all;
  EXPECT_TRUE(
      has("exporterd.yml:7: modules.postfix_qshape.queues[2]: queue "
          "\"deferred\" is listed twice"))
      << all;
  EXPECT_TRUE(has("exporterd.yml:8: modules.postfix_qshape.bucket_minutes: "))
      << all;
  EXPECT_TRUE(
      has("exporterd.yml:9: modules.postfix_qshape.buckets: must be "
          "between 1 and 40"))
      << all;
  EXPECT_TRUE(has("exporterd.yml:10: modules.postfix_qshape.linear: ")) << all;
  EXPECT_TRUE(has("exporterd.yml:11: modules.postfix_qshape.max_domains: "))
      << all;
  EXPECT_TRUE(has("exporterd.yml:12: modules.postfix_qshape.sender_domain: "))
      << all;
  EXPECT_FALSE(has("timeout")) << all;
  EXPECT_FALSE(has("min_interval")) << all;
  EXPECT_EQ(l->errors.list.size(), 8u) << all;
}

TEST(ModuleConfigTest, EmptyQueueListRejected) {
  auto l = Load("modules:\n  postfix_qshape:\n    queues: []\n");
  EXPECT_NE(l->errors.ToString().find(
                "exporterd.yml:3: modules.postfix_qshape.queues: must name at "
                "least one queue"),
            std::string::npos)
      << l->errors.ToString();
}

TEST(ModuleTest, EmbeddedDefaultWithoutPostfixIsIdle) {
  TempDir t;
  std::string yaml =
      "modules:\n  postfix_qshape: {queue_directory: " + t.path() + "/none}\n";
  auto l = Load(yaml, /*embedded=*/true);
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  EXPECT_FALSE(l->get()->HasCollect());
  ASSERT_EQ(l->logger.lines.size(), 1u);
  EXPECT_NE(l->logger.lines[0].find("postfix_qshape is idle"),
            std::string::npos);
  // Configured explicitly: a missing directory is a collection failure.
  l = Load(yaml);
  EXPECT_TRUE(l->get()->HasCollect());
  CollectResult r = l->Collect();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "cannot read " + t.path() +
                         "/none/incoming: No such file or directory");
  // Postfix installed but never started: the directory exists without
  // queues. Still idle in the embedded default.
  t.Mkdir("spool");
  l = Load(
      "modules:\n  postfix_qshape: {queue_directory: " + t.path() + "/spool}\n",
      true);
  EXPECT_FALSE(l->get()->HasCollect());
  // Embedded default with an existing directory collects.
  t.Mkdir("spool/incoming");
  t.Mkdir("spool/active");
  t.Mkdir("spool/deferred");
  t.Mkdir("spool/hold");
  l = Load(
      "modules:\n  postfix_qshape: {queue_directory: " + t.path() + "/spool}\n",
      true);
  EXPECT_TRUE(l->get()->HasCollect());
  EXPECT_TRUE(l->Collect().ok);
}

TEST(ModuleTest, DeadlineExceeded) {
  TempDir t;
  for (int i = 0; i < 100; ++i)
    t.Write("q/deferred/D" + std::to_string(100000 + i),
            CleanupFile(Message()));
  auto l = Load("modules:\n  postfix_qshape: {queue_directory: " + t.path() +
                "/q, queues: [deferred]}\n");
  CollectRequest req;
  req.deadline = exporterd::Clock::now() - std::chrono::milliseconds(1);
  CollectResult r = l->module->Collect(req);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "deadline exceeded");
}

constexpr double kGoldenNow = 1795326000;  // fixtures arrived ~600 s before

Message At(double age_seconds, std::string sender,
           std::vector<std::string> rcpts) {
  Message m;
  m.arrival = static_cast<int64_t>(kGoldenNow - age_seconds);
  m.sender = std::move(sender);
  m.recipients = std::move(rcpts);
  return m;
}

// A small queue tree with real and built files in every queue.
void BuildGoldenTree(const TempDir& t) {
  auto fixture = [](const std::string& name) {
    return ReadFile(std::string(POSTFIX_QSHAPE_TEST_DIR) + "/fixtures/" + name);
  };
  t.Mkdir("spool/active");
  t.Write("spool/incoming/I00000001",
          CleanupFile(At(1, "x@y", {"being@written.example"})), 0600);
  t.Write("spool/deferred/6/64CB3A7614E", fixture("deferred_64CB3A7614E"));
  t.Write("spool/deferred/5/5D98CA760CD", fixture("deferred_5D98CA760CD"));
  t.Write("spool/deferred/A/A00000001",
          CleanupFile(At(7200, "list@Lists.Example.org.",
                         {"a@Example.COM", "b@example.com", "c@EXAMPLE.com"})));
  Message done = At(100, "s@example.org", {});
  done.delivered = {"gone@example.com"};
  t.Write("spool/deferred/A/A00000002", CleanupFile(done));
  t.Write("spool/deferred/B/B00000001",
          CleanupFile(At(50, "s@example.org", {"partial@example.com"})), 0600);
  t.Write("spool/deferred/B/B00000002", "garbage, not a queue file");
  t.Write("spool/deferred/C/C00000001",
          CleanupFile(At(3 * 86400, "", {"user@[192.0.2.1]"})));
  t.Write("spool/hold/59915A760CC", fixture("hold_59915A760CC"));
  t.Write(
      "spool/hold/H00000001",
      CleanupFile(At(30, "Bounce@Example.NET",
                     {"a@x..example", "b@X.example.", "\"q@r\"@x.example"})));
  t.Write("spool/maildrop/52D31A76071", fixture("maildrop_52D31A76071"), 0744);
  t.Write("spool/corrupt/C0RRUPT01", "garbage", 0400);
}

TEST(ModuleTest, GoldenExposition) {
  TempDir t;
  BuildGoldenTree(t);
  // Keep a copy of the tree, e.g. to run the real qshape on it.
  if (const char* dump = std::getenv("POSTFIX_QSHAPE_DUMP_TREE"))
    std::filesystem::copy(t.path() + "/spool", dump,
                          std::filesystem::copy_options::recursive);
  auto l =
      Load("modules:\n  postfix_qshape:\n    queue_directory: " + t.path() +
           "/spool\n    queues: [incoming, active, deferred, hold, "
           "maildrop, corrupt]\n    max_domains: 3\n");
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  l->get()->SetClockForTest([] { return kGoldenNow; });
  CollectResult r = l->Collect();
  ASSERT_TRUE(r.ok) << r.error;
  std::string got = Serialize(r.families);
  ExpectGolden(POSTFIX_QSHAPE_TEST_DIR "/golden/postfix_qshape.prom", got);
  EXPECT_EQ(PromtoolCheckMetrics(got), "");
  std::string debug = l->module->Debug();
  EXPECT_NE(debug.find("deferred: directories=6"), std::string::npos) << debug;
}

TEST(ModuleTest, SendersOptionalAndLinearBuckets) {
  TempDir t;
  BuildGoldenTree(t);
  auto l =
      Load("modules:\n  postfix_qshape:\n    queue_directory: " + t.path() +
           "/spool\n    queues: [deferred]\n    sender_domains: false\n"
           "    linear: true\n    bucket_minutes: 10\n    buckets: 4\n"
           "    max_domains: 0\n");
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  l->get()->SetClockForTest([] { return kGoldenNow; });
  CollectResult r = l->Collect();
  ASSERT_TRUE(r.ok) << r.error;
  std::string got = Serialize(r.families);
  EXPECT_EQ(got.find("postfix_qshape_senders"), std::string::npos);
  // 599 s and 644 s: first two buckets of 10 minutes; 2 h and 3 d: "30+".
  EXPECT_NE(got.find("postfix_qshape_recipients{queue=\"deferred\",domain="
                     "\"other.example.net\",age=\"10\"} 1"),
            std::string::npos)
      << got;
  EXPECT_NE(got.find("postfix_qshape_recipients{queue=\"deferred\",domain="
                     "\"dom1.example\",age=\"20\"} 1"),
            std::string::npos)
      << got;
  EXPECT_NE(got.find("postfix_qshape_recipients{queue=\"deferred\",domain="
                     "\"example.com\",age=\"30+\"} 3"),
            std::string::npos)
      << got;
  EXPECT_EQ(got.find("__other__"), std::string::npos);
}

TEST(ModuleTest, StrictModeReproducesQshapeQuirks) {
  TempDir t;
  BuildGoldenTree(t);
  auto l =
      Load("modules:\n  postfix_qshape:\n    queue_directory: " + t.path() +
           "/spool\n    queues: [maildrop]\n"
           "    strict_qshape: true\n");
  l->get()->SetClockForTest([] { return kGoldenNow; });
  CollectResult r = l->Collect();
  ASSERT_TRUE(r.ok) << r.error;
  std::string got = Serialize(r.families);
  // qshape -s maildrop: one MAILER-DAEMON in the last bucket; no recipients.
  EXPECT_NE(got.find("postfix_qshape_senders{queue=\"maildrop\",domain="
                     "\"MAILER-DAEMON\",age=\"1280+\"} 1"),
            std::string::npos)
      << got;
  EXPECT_EQ(got.find("postfix_qshape_recipients{"), std::string::npos) << got;
  EXPECT_NE(got.find("postfix_qshape_unreadable_files{queue=\"maildrop\"} 1"),
            std::string::npos)
      << got;
}

}  // namespace
}  // namespace postfix_qshape
