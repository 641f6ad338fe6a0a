#include <gtest/gtest.h>

#include <random>
#include <string>

#include "parse_tw_cli.h"
#include "raid_model.h"
#include "raid_test_util.h"

namespace exporterd::raid {
namespace {

using testutil::ReplaceFirst;

std::string Fixture(const std::string& name) {
  return testutil::Fixture("tw_cli", name);
}

// Compares with tests/golden/tw_cli/<name>.prom; UPDATE_GOLDEN=1 rewrites.
void ExpectGolden(const std::string& name, const ParseResult& r) {
  testutil::ExpectGolden("tw_cli", name, r);
}

template <typename T>
const T* Find(const std::vector<T>& v, const std::string& id) {
  for (const auto& x : v) {
    if (x.id == id) return &x;
  }
  return nullptr;
}

struct Input {
  const char* key;
  const char* file;
};

struct GoldenCase {
  const char* name;
  std::vector<Input> inputs;  // captures from one machine
};

// Captures of the separate table commands (`info c0 unitstatus` ==
// `/c0 show unitstatus`, ...) are fed as "ctrl.c0.<table>".
const std::vector<GoldenCase>& Goldens() {
  static const auto* cases = new std::vector<GoldenCase>{
      {"checkraid-1",
       {{"show", "checkraid-1-info.txt"},
        {"ctrl.c0.units", "checkraid-1-info-c0-unitstatus-ok.txt"},
        {"ctrl.c0.drives", "checkraid-1-info-c0-drivestatus-ok-spare.txt"}}},
      {"checkraid-2-c0-show-all-verifying",
       {{"ctrl.c0", "checkraid-2-c0-show-all-verifying.txt"}}},
      {"checkraid-bohr",
       {{"show", "checkraid-bohr-show.txt"},
        {"ctrl.c0.units", "checkraid-bohr-unitstatus-raid10-jbod.txt"},
        {"ctrl.c0.bbu", "checkraid-bohr-bbustatus-learn-pending.txt"}}},
      {"checkraid-grubbs",
       {{"show", "checkraid-grubbs-show-with-enclosures.txt"},
        {"ctrl.c0.units", "checkraid-grubbs-unitstatus-ok.txt"},
        {"ctrl.c0.drives", "checkraid-grubbs-drivestatus-ok-spare.txt"},
        {"ctrl.c0.bbu", "checkraid-grubbs-bbustatus-ok.txt"}}},
      {"checkraid-lumpy",
       {{"show", "checkraid-lumpy-info-notopt.txt"},
        {"ctrl.c0.units", "checkraid-lumpy-unitstatus-rebuilding.txt"},
        {"ctrl.c0.drives", "checkraid-lumpy-drivestatus-degraded.txt"}}},
      {"checkraid-sysiphus",
       {{"ctrl.c0.units", "checkraid-sysiphus-unitstatus-verify-paused.txt"},
        {"ctrl.c0.drives", "checkraid-sysiphus-drivestatus-verifying.txt"}}},
      {"checkraid-bootc-unitstatus-verifying-auto",
       {{"ctrl.c0.units", "checkraid-bootc-unitstatus-verifying-auto.txt"}}},
      {"checkraid-unitstatus-initializing",
       {{"ctrl.c0.units", "checkraid-unitstatus-initializing.txt"}}},
  };
  return *cases;
}

ToolOutputs Outputs(const std::vector<Input>& inputs) {
  ToolOutputs out;
  for (const auto& in : inputs) out[in.key] = Fixture(in.file);
  return out;
}

const GoldenCase& Case(const std::string& name) {
  for (const auto& c : Goldens()) {
    if (c.name == name) return c;
  }
  ADD_FAILURE() << name;
  return Goldens()[0];
}

TEST(TwCliTest, Goldens) {
  for (const auto& c : Goldens()) {
    SCOPED_TRACE(c.name);
    ParseResult r = ParseTwCli(Outputs(c.inputs));
    EXPECT_TRUE(r.ok) << r.error;
    ExpectGolden(c.name, r);
  }
}

TEST(TwCliTest, Commands) {
  auto first = TwCliCommands();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].first, "show");
  EXPECT_EQ(first[0].second, (std::vector<std::string>{"show"}));
  EXPECT_EQ(TwCliBinaryNames()[0], "tw_cli");
  auto more = TwCliFollowUpCommands(
      {{"show", Fixture("checkraid-grubbs-show-with-enclosures.txt")}});
  ASSERT_EQ(more.size(), 1u);  // the enclosure rows are not controllers
  EXPECT_EQ(more[0].first, "ctrl.c0");
  EXPECT_EQ(more[0].second, (std::vector<std::string>{"/c0", "show", "all"}));
  EXPECT_TRUE(TwCliFollowUpCommands({{"show", "garbage"}}).empty());
  EXPECT_TRUE(TwCliFollowUpCommands({}).empty());
}

TEST(TwCliTest, HealthyWithSpareAndBbu) {
  ParseResult r = ParseTwCli(Outputs(Case("checkraid-grubbs").inputs));
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.report.controllers.size(), 1u);
  const Controller& c = r.report.controllers[0];
  EXPECT_EQ(c.id, "c0");
  EXPECT_EQ(c.model, "9750-4i");
  EXPECT_EQ(c.state, "NotOpt=0");
  EXPECT_EQ(c.health, Health::kOk);
  EXPECT_EQ(r.report.logical_drives.size(), 3u);
  for (const auto& ld : r.report.logical_drives) {
    EXPECT_EQ(ld.health, Health::kOk);
  }
  ASSERT_EQ(r.report.physical_drives.size(), 14u);
  const PhysicalDrive* spare = Find(r.report.physical_drives, "p8");
  ASSERT_NE(spare, nullptr);
  EXPECT_EQ(spare->model, "SEAGATE ST3146855SS");
  EXPECT_EQ(spare->health, Health::kOk);
  ASSERT_EQ(r.report.batteries.size(), 1u);
  EXPECT_EQ(r.report.batteries[0].state, "OK");
  EXPECT_EQ(r.report.batteries[0].health, Health::kOk);
}

TEST(TwCliTest, OldDriveLayoutSpare) {
  ParseResult r = ParseTwCli(Outputs(Case("checkraid-1").inputs));
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.physical_drives.size(), 16u);
  EXPECT_EQ(Find(r.report.physical_drives, "p12")->health, Health::kOk);
  EXPECT_EQ(Find(r.report.logical_drives, "u0")->level, "RAID-6");
  // BBU only known from the `show` column.
  ASSERT_EQ(r.report.batteries.size(), 1u);
  EXPECT_EQ(r.report.batteries[0].health, Health::kOk);
}

TEST(TwCliTest, RebuildingWithDegradedDrive) {
  ParseResult r = ParseTwCli(Outputs(Case("checkraid-lumpy").inputs));
  ASSERT_TRUE(r.ok);
  const Controller& c = r.report.controllers[0];
  EXPECT_EQ(c.state, "NotOpt=1");
  EXPECT_EQ(c.health, Health::kWarning);
  const LogicalDrive* u0 = Find(r.report.logical_drives, "u0");
  ASSERT_NE(u0, nullptr);
  EXPECT_EQ(u0->state, "REBUILDING");
  EXPECT_EQ(u0->health, Health::kWarning);
  ASSERT_TRUE(u0->rebuild_progress_ratio.has_value());
  EXPECT_DOUBLE_EQ(*u0->rebuild_progress_ratio, 0.98);
  EXPECT_EQ(Find(r.report.physical_drives, "p0")->state, "DEGRADED");
  EXPECT_EQ(Find(r.report.physical_drives, "p0")->health, Health::kCritical);
  EXPECT_EQ(Find(r.report.physical_drives, "p1")->health, Health::kOk);
  // BBU column "-": no battery.
  EXPECT_TRUE(r.report.batteries.empty());
}

TEST(TwCliTest, DegradedUnitFromAlteredCapture) {
  // No capture shows a DEGRADED unit: the rebuilding one is altered.
  std::string units =
      ReplaceFirst(Fixture("checkraid-lumpy-unitstatus-rebuilding.txt"),
                   "REBUILDING     98%", "DEGRADED       -  ");
  ParseResult r = ParseTwCli({{"ctrl.c0", units}});
  ASSERT_TRUE(r.ok);
  const LogicalDrive* u0 = Find(r.report.logical_drives, "u0");
  EXPECT_EQ(u0->health, Health::kCritical);
  EXPECT_FALSE(u0->rebuild_progress_ratio.has_value());
}

TEST(TwCliTest, VerifyingIsHealthy) {
  for (const char* name :
       {"checkraid-2-c0-show-all-verifying", "checkraid-sysiphus",
        "checkraid-bootc-unitstatus-verifying-auto"}) {
    SCOPED_TRACE(name);
    ParseResult r = ParseTwCli(Outputs(Case(name).inputs));
    ASSERT_TRUE(r.ok);
    ASSERT_FALSE(r.report.logical_drives.empty());
    for (const auto& ld : r.report.logical_drives) {
      EXPECT_EQ(ld.health, Health::kOk) << ld.id << " " << ld.state;
      EXPECT_FALSE(ld.rebuild_progress_ratio.has_value());
    }
    for (const auto& pd : r.report.physical_drives) {
      EXPECT_EQ(pd.health, Health::kOk) << pd.id << " " << pd.state;
    }
  }
}

TEST(TwCliTest, ShowAllHeaderAndBbuTable) {
  ParseResult r =
      ParseTwCli(Outputs(Case("checkraid-2-c0-show-all-verifying").inputs));
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.controllers.size(), 1u);
  EXPECT_EQ(r.report.controllers[0].model, "9750-4i");
  ASSERT_EQ(r.report.physical_drives.size(), 4u);
  EXPECT_EQ(r.report.physical_drives[0].model, "SEAGATE ST32000444SS");
  ASSERT_EQ(r.report.batteries.size(), 1u);
  EXPECT_EQ(r.report.batteries[0].health, Health::kOk);
}

TEST(TwCliTest, Initializing) {
  ParseResult r =
      ParseTwCli(Outputs(Case("checkraid-unitstatus-initializing").inputs));
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.logical_drives.size(), 2u);
  EXPECT_EQ(Find(r.report.logical_drives, "u2")->health, Health::kWarning);
}

TEST(TwCliTest, BbuNeverTestedIsStillOk) {
  ParseResult r = ParseTwCli(Outputs(Case("checkraid-bohr").inputs));
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.batteries.size(), 1u);
  EXPECT_EQ(r.report.batteries[0].health, Health::kOk);
}

TEST(TwCliTest, BbuFaultsFromAlteredCapture) {
  // No capture shows a BBU problem: the documented Status / OnlineState /
  // Volt values are set on a real row.
  const std::string bbu = Fixture("checkraid-grubbs-bbustatus-ok.txt");
  auto health = [&](const std::string& from, const std::string& to) {
    ParseResult r = ParseTwCli({{"ctrl.c0", ReplaceFirst(bbu, from, to)}});
    EXPECT_EQ(r.report.batteries.size(), 1u);
    return r.report.batteries.empty() ? Health::kOk
                                      : r.report.batteries[0].health;
  };
  EXPECT_EQ(health("Yes       OK        OK", "No        Charging  OK"),
            Health::kWarning);
  EXPECT_EQ(health("Yes       OK        OK", "No        WeakBat   OK"),
            Health::kWarning);
  EXPECT_EQ(health("Yes       OK        OK", "No        Failed    OK"),
            Health::kCritical);
  EXPECT_EQ(health("bbu   On ", "bbu   Off"), Health::kCritical);
  EXPECT_EQ(health("OK        OK       OK", "OK        TOO-LOW  OK"),
            Health::kCritical);
  EXPECT_EQ(health("Yes       OK        OK", "No        Bizarre   OK"),
            Health::kUnknown);
}

TEST(TwCliTest, NoControllerRows) {
  // No capture of an empty host: the controller row is cut from a real
  // `show` capture.
  std::string show = Fixture("checkraid-1-info.txt");
  show = show.substr(0, show.find("c0 "));
  ParseResult r = ParseTwCli({{"show", show}});
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.report.controllers.empty());
}

TEST(TwCliTest, GarbageIsNotOk) {
  EXPECT_FALSE(ParseTwCli({}).ok);
  EXPECT_FALSE(ParseTwCli({{"show", ""}}).ok);
  EXPECT_FALSE(ParseTwCli({{"show", "Segmentation fault\n"}}).ok);
  EXPECT_FALSE(ParseTwCli({{"show", Fixture("checkraid-1-info.txt")},
                           {"ctrl.c0", "error: blah"}})
                   .ok);
}

TEST(TwCliTest, TruncatedNeverCrashes) {
  for (const auto& c : Goldens()) {
    for (const auto& in : c.inputs) {
      const std::string text = Fixture(in.file);
      for (size_t n = 0; n <= text.size(); ++n) {
        ParseResult r = ParseTwCli({{in.key, text.substr(0, n)}});
        for (const auto& ld : r.report.logical_drives) {
          if (ld.rebuild_progress_ratio) {
            EXPECT_GE(*ld.rebuild_progress_ratio, 0.0);
            EXPECT_LE(*ld.rebuild_progress_ratio, 1.0);
          }
        }
      }
    }
  }
}

TEST(TwCliTest, RandomBytesNeverCrash) {
  std::mt19937 rng(4);
  const std::string base = Fixture("checkraid-2-c0-show-all-verifying.txt");
  for (int i = 0; i < 300; ++i) {
    std::string junk(rng() % 2048, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    ParseTwCli({{"show", junk}, {"ctrl.c0", junk}});
    TwCliFollowUpCommands({{"show", junk}});
    std::string mutated = base;
    for (int k = 0; k < 20; ++k) {
      mutated[rng() % mutated.size()] = static_cast<char>(rng());
    }
    ParseTwCli({{"ctrl.c0", mutated}});
  }
}

}  // namespace
}  // namespace exporterd::raid
