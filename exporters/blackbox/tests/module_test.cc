// The module's request handling through the kit's loader (no network but
// 127.0.0.1): keys, built-in modules, refusals, allowed_targets.
#include <gtest/gtest.h>

#include "blackbox_module.h"
#include "test_kit.h"

namespace exporterd::blackbox {
namespace {

using exporterd::testing::Load;
using exporterd::testing::TempDir;

TEST(BlackboxModule, ReadmeCarriesTheConfigReference) {
  exporterd::testing::ExpectReadmeReference(BLACKBOX_DIR "/README.md",
                                            BlackboxModule::ConfigReference());
}

TEST(BlackboxModule, BuiltInModulesWithoutConfigFile) {
  auto m = Load<BlackboxModule>("blackbox", "modules:\n  blackbox: {}\n");
  ASSERT_TRUE(m->ok()) << m->errors.ToString();
  const Config& c = m->get()->config();
  EXPECT_EQ(c.modules.size(), 4u);
  EXPECT_EQ(c.modules.at("http_2xx").prober, "http");
  EXPECT_EQ(c.modules.at("tcp_connect").prober, "tcp");
  EXPECT_EQ(c.modules.at("icmp").prober, "icmp");
  EXPECT_EQ(c.modules.at("traceroute").prober, "traceroute");
  EXPECT_EQ(c.modules.at("traceroute").traceroute.method, TraceMethod::kIcmp);
  // Every built-in module has its prober now.
  EXPECT_NE(m->get()->Debug().find(" icmp (icmp)"), std::string::npos)
      << m->get()->Debug();
  EXPECT_EQ(m->get()->Debug().find("unsupported"), std::string::npos)
      << m->get()->Debug();
}

TEST(BlackboxModule, BadBlackboxYmlIsRefusedWithFileLineKey) {
  TempDir dir;
  std::string path = dir.Write("blackbox.yml",
                               "modules:\n  x:\n    prober: http\n"
                               "    http:\n      methd: GET\n",
                               0600);
  auto m = Load<BlackboxModule>(
      "blackbox", "modules:\n  blackbox:\n    config_file: " + path + "\n");
  EXPECT_FALSE(m->ok());
  std::string e = m->errors.ToString();
  EXPECT_NE(e.find(path + ":5"), std::string::npos) << e;
  EXPECT_NE(e.find("methd"), std::string::npos) << e;
}

TEST(BlackboxModule, UnknownKeysAndBadRulesAreRefused) {
  auto m = Load<BlackboxModule>("blackbox",
                                "modules:\n  blackbox:\n    confg_file: x\n");
  EXPECT_FALSE(m->ok());
  EXPECT_NE(m->errors.ToString().find("confg_file"), std::string::npos);
  m = Load<BlackboxModule>(
      "blackbox",
      "modules:\n  blackbox:\n    allowed_targets: ['10.0.0.0/33']\n");
  EXPECT_FALSE(m->ok());
  EXPECT_NE(m->errors.ToString().find("allowed_targets"), std::string::npos);
}

TEST(TargetRules, CidrsAndHostPatterns) {
  TargetRules r;
  std::string err;
  ASSERT_TRUE(r.Add("127.0.0.0/8", &err)) << err;
  ASSERT_TRUE(r.Add("*.example.org", &err)) << err;
  ASSERT_TRUE(r.Add("::1", &err)) << err;
  EXPECT_FALSE(r.Add("exa mple", &err));
  EXPECT_EQ(r.Check("127.1.2.3"), "");
  EXPECT_EQ(r.Check("::1"), "");
  EXPECT_NE(r.Check("10.0.0.1"), "");
  EXPECT_EQ(r.Check("www.example.org"), "");
  EXPECT_EQ(r.Check("example.com"), "defer");  // CIDRs decide after lookup
  EXPECT_EQ(TargetRules::HostOf("https://user@a.b:8443/x?y"), "a.b");
  EXPECT_EQ(TargetRules::HostOf("[::1]:25"), "::1");
  EXPECT_EQ(TargetRules::HostOf("10.1.1.1"), "10.1.1.1");
  TargetRules hosts_only;
  ASSERT_TRUE(hosts_only.Add("example.org", &err));
  EXPECT_NE(hosts_only.Check("example.com").find("allowed_targets"),
            std::string::npos);
}

}  // namespace
}  // namespace exporterd::blackbox
