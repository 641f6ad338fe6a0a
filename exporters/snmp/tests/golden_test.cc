// Goldens: snmp_exporter 0.21's own output (make_goldens.sh) for varbinds
// captured from a real snmpd (capture.sh); the renderer must reproduce it
// byte for byte (the snmp_scrape_* timing families aside).
#include <gtest/gtest.h>

#include "render.h"
#include "snmp_config.h"
#include "test_util.h"

namespace exporterd::snmp {
namespace {

using testing::GoText;
using testing::ParseCapture;
using testing::ReadTestFile;
using testing::TestPath;
using testing::WithoutScrapeFamilies;

Config LoadFixture(const std::string& name) {
  Config c;
  ConfigErrors e;
  EXPECT_TRUE(
      ParseConfigText(ReadTestFile(TestPath("fixtures/" + name)), name, &c, &e))
      << e.ToString();
  return c;
}

void ExpectGolden(const std::string& config, const std::string& module,
                  const std::string& capture, const std::string& golden) {
  Config c = LoadFixture(config);
  ASSERT_TRUE(c.modules.count(module));
  VarbindTable table(
      ParseCapture(ReadTestFile(TestPath("fixtures/captures/" + capture))));
  RenderResult r = Render(c.modules.at(module), table, nullptr, {});
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(GoText(r.families),
            WithoutScrapeFamilies(ReadTestFile(TestPath("golden/" + golden))));
}

TEST(GoldenTest, PeersIfMib) {
  ExpectGolden("peers_snmp.yml", "if_mib_v2", "if_mib.txt", "if_mib_v2.prom");
}

TEST(GoldenTest, PeersIfMibV3ConfigRendersTheSame) {
  // Same OIDs and metrics, SNMPv3 auth: the rendering is the v2 golden.
  ExpectGolden("peers_snmp.yml", "if_mib_v3", "if_mib.txt", "if_mib_v2.prom");
}

TEST(GoldenTest, PeersBigtable) {
  ExpectGolden("peers_snmp.yml", "bigtable_v2", "bigtable.txt",
               "bigtable.prom");
}

TEST(GoldenTest, RichTypes) {
  ExpectGolden("rich_snmp.yml", "rich", "rich.txt", "rich.prom");
}

// The renderer sees every varbind in its module's scope, and nothing else:
// other modules' walks in the same table change nothing.
TEST(GoldenTest, ScopeHidesOtherModulesVarbinds) {
  Config c = LoadFixture("peers_snmp.yml");
  auto vbs =
      ParseCapture(ReadTestFile(TestPath("fixtures/captures/if_mib.txt")));
  auto more =
      ParseCapture(ReadTestFile(TestPath("fixtures/captures/bigtable.txt")));
  vbs.insert(vbs.end(), more.begin(), more.end());
  VarbindTable table(std::move(vbs));
  const Module& m = c.modules.at("if_mib_v2");
  std::vector<Oid> walks, gets;
  for (const auto& w : m.walk) walks.push_back(*ParseOid(w));
  for (const auto& g : m.get) gets.push_back(*ParseOid(g));
  Scope scope = Scope::Make(walks, gets);
  RenderResult r = Render(m, table, &scope, {});
  EXPECT_EQ(
      GoText(r.families),
      WithoutScrapeFamilies(ReadTestFile(TestPath("golden/if_mib_v2.prom"))));
}

}  // namespace
}  // namespace exporterd::snmp
