#include <gtest/gtest.h>

#include <random>
#include <string>

#include "parse_arcconf.h"
#include "raid_model.h"
#include "raid_test_util.h"

namespace exporterd::raid {
namespace {

using testutil::ReplaceFirst;

std::string Fixture(const std::string& name) {
  return testutil::Fixture("arcconf", name);
}

// Compares with tests/golden/arcconf/<name>.prom; UPDATE_GOLDEN=1 rewrites.
void ExpectGolden(const std::string& name, const ParseResult& r) {
  testutil::ExpectGolden("arcconf", name, r);
}

const LogicalDrive* FindLd(const Report& r, const std::string& id) {
  for (const auto& ld : r.logical_drives) {
    if (ld.id == id) return &ld;
  }
  return nullptr;
}

const PhysicalDrive* FindPd(const Report& r, const std::string& id) {
  for (const auto& pd : r.physical_drives) {
    if (pd.id == id) return &pd;
  }
  return nullptr;
}

struct GoldenCase {
  const char* config;  // GETCONFIG 1 AL (or LD / PD) capture
  const char* status;  // GETSTATUS 1 capture from the same machine, or null
};

const GoldenCase kGoldens[] = {
    {"checkraid-1-getconfig-al-optimal.txt", "checkraid-1-getstatus.txt"},
    {"checkraid-3-getconfig-al-zmm-build-verify.txt",
     "checkraid-3-getstatus-build-verify-in-progress.txt"},
    {"checkraid-86-getconfig-al-degraded-failed-drive.txt",
     "checkraid-86-getstatus.txt"},
    {"checkraid-arcconf31000-getconfig-al-optimal.txt", nullptr},
    {"checkraid-issue105-getconfig-al-battery-failed.txt", nullptr},
    {"checkraid-issue155-getconfig-al-one-ld-degraded.txt", nullptr},
    {"checkraid-issue190-getconfig-al-impacted-verify-fix.txt",
     "checkraid-issue190-getstatus-verify-with-fix.txt"},
    {"checkraid-issue47-getconfig-al-degraded-rebuilding.txt",
     "checkraid-issue47-getstatus-rebuild-in-progress.txt"},
    {"checkraid-issue47-getconfig-al-optimal.txt", nullptr},
    {"checkraid-issue55-getconfig-al-jbod.txt", nullptr},
    {"checkraid-issue90-getconfig-al-offline-defunct.txt",
     "checkraid-issue90-getstatus.txt"},
    {"checkraid-pr66-getconfig-al-hotspares.txt", nullptr},
    // GETCONFIG 1 LD / PD captures: only that section is present.
    {"netdata-getconfig-ld-current.txt", nullptr},
    {"netdata-getconfig-ld-old.txt", nullptr},
    {"netdata-getconfig-pd-current.txt", nullptr},
    {"netdata-getconfig-pd-old.txt", nullptr},
    {"netdata-getconfig-pd-with-enclosure.txt", nullptr},
};

ToolOutputs Outputs(const GoldenCase& c) {
  ToolOutputs out{{"config.1", Fixture(c.config)}};
  if (c.status != nullptr) out["status.1"] = Fixture(c.status);
  return out;
}

ParseResult Parse(const char* config, const char* status = nullptr) {
  return ParseArcconf(Outputs({config, status}));
}

TEST(ArcconfTest, Goldens) {
  for (const auto& c : kGoldens) {
    SCOPED_TRACE(c.config);
    ParseResult r = ParseArcconf(Outputs(c));
    EXPECT_TRUE(r.ok) << r.error;
    std::string name = c.config;
    ExpectGolden(name.substr(0, name.size() - 4), r);
  }
}

TEST(ArcconfTest, Commands) {
  auto first = ArcconfCommands();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].first, "config.1");
  EXPECT_EQ(first[0].second,
            (std::vector<std::string>{"GETCONFIG", "1", "AL"}));
  EXPECT_EQ(first[1].first, "status.1");
  EXPECT_EQ(first[1].second, (std::vector<std::string>{"GETSTATUS", "1"}));
  EXPECT_EQ(ArcconfBinaryNames(), (std::vector<std::string>{"arcconf"}));

  const std::string one = Fixture("checkraid-issue47-getconfig-al-optimal.txt");
  EXPECT_TRUE(ArcconfFollowUpCommands({{"config.1", one}}).empty());
  EXPECT_TRUE(ArcconfFollowUpCommands({}).empty());
  EXPECT_TRUE(ArcconfFollowUpCommands({{"config.1", "garbage"}}).empty());
  // No capture has two controllers: the count line is altered.
  const std::string three =
      ReplaceFirst(one, "Controllers found: 1", "Controllers found: 3");
  auto more = ArcconfFollowUpCommands({{"config.1", three}});
  ASSERT_EQ(more.size(), 4u);
  EXPECT_EQ(more[0].first, "config.2");
  EXPECT_EQ(more[0].second, (std::vector<std::string>{"GETCONFIG", "2", "AL"}));
  EXPECT_EQ(more[3].first, "status.3");
  EXPECT_EQ(more[3].second, (std::vector<std::string>{"GETSTATUS", "3"}));
}

TEST(ArcconfTest, Healthy) {
  ParseResult r = Parse("checkraid-issue47-getconfig-al-optimal.txt");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.report.controllers.size(), 1u);
  const Controller& c = r.report.controllers[0];
  EXPECT_EQ(c.id, "1");
  EXPECT_EQ(c.model, "Adaptec 6405");
  EXPECT_EQ(c.state, "Optimal");
  EXPECT_EQ(c.health, Health::kOk);
  ASSERT_EQ(r.report.logical_drives.size(), 1u);
  EXPECT_EQ(r.report.logical_drives[0].id, "0");
  EXPECT_EQ(r.report.logical_drives[0].level, "RAID10");
  EXPECT_EQ(r.report.logical_drives[0].health, Health::kOk);
  ASSERT_EQ(r.report.physical_drives.size(), 4u);  // enclosure device skipped
  for (const auto& pd : r.report.physical_drives) {
    EXPECT_EQ(pd.state, "Online");
    EXPECT_EQ(pd.health, Health::kOk);
  }
  // "ZMM not installed": absent, not failed.
  EXPECT_TRUE(r.report.batteries.empty());
}

TEST(ArcconfTest, RebuildingWithStatus) {
  ParseResult r =
      Parse("checkraid-issue47-getconfig-al-degraded-rebuilding.txt",
            "checkraid-issue47-getstatus-rebuild-in-progress.txt");
  ASSERT_TRUE(r.ok) << r.error;
  const LogicalDrive* ld = FindLd(r.report, "0");
  ASSERT_NE(ld, nullptr);
  EXPECT_EQ(ld->state, "Degraded");
  EXPECT_EQ(ld->health, Health::kWarning);
  ASSERT_TRUE(ld->rebuild_progress_ratio.has_value());
  EXPECT_DOUBLE_EQ(*ld->rebuild_progress_ratio, 0.01);
  int rebuilding = 0;
  for (const auto& pd : r.report.physical_drives) {
    if (pd.state == "Rebuilding") {
      ++rebuilding;
      EXPECT_EQ(pd.health, Health::kWarning);
    }
  }
  EXPECT_EQ(rebuilding, 1);
}

TEST(ArcconfTest, RebuildingFromSegmentsAlone) {
  ParseResult r =
      Parse("checkraid-issue47-getconfig-al-degraded-rebuilding.txt");
  ASSERT_TRUE(r.ok);
  const LogicalDrive* ld = FindLd(r.report, "0");
  EXPECT_EQ(ld->health, Health::kWarning);
  EXPECT_FALSE(ld->rebuild_progress_ratio.has_value());
}

TEST(ArcconfTest, DegradedWithFailedDrive) {
  ParseResult r = Parse("checkraid-86-getconfig-al-degraded-failed-drive.txt",
                        "checkraid-86-getstatus.txt");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.report.controllers[0].model, "Adaptec 2025S");
  const LogicalDrive* ld = FindLd(r.report, "0");
  ASSERT_NE(ld, nullptr);
  EXPECT_EQ(ld->level, "RAID1");
  EXPECT_EQ(ld->state, "Degraded");
  EXPECT_EQ(ld->health, Health::kCritical);
  EXPECT_FALSE(ld->rebuild_progress_ratio.has_value());
  ASSERT_EQ(r.report.physical_drives.size(), 2u);  // SAF-TE enclosure skipped
  const PhysicalDrive* failed = FindPd(r.report, "0,1");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->state, "Failed");
  EXPECT_EQ(failed->health, Health::kCritical);
  EXPECT_EQ(FindPd(r.report, "0,0")->health, Health::kOk);
}

TEST(ArcconfTest, OneOfTwoLogicalDrivesDegraded) {
  ParseResult r = Parse("checkraid-issue155-getconfig-al-one-ld-degraded.txt");
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.logical_drives.size(), 2u);
  EXPECT_EQ(FindLd(r.report, "0")->health, Health::kOk);
  EXPECT_EQ(FindLd(r.report, "1")->health, Health::kCritical);
}

TEST(ArcconfTest, OfflineArrayDefunctDriveOldWording) {
  ParseResult r = Parse("checkraid-issue90-getconfig-al-offline-defunct.txt",
                        "checkraid-issue90-getstatus.txt");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.report.controllers[0].state, "Okay");
  EXPECT_EQ(r.report.controllers[0].health, Health::kOk);
  const LogicalDrive* ld = FindLd(r.report, "0");
  ASSERT_NE(ld, nullptr);
  EXPECT_EQ(ld->state, "Offline");
  EXPECT_EQ(ld->level, "Spanned_volume");
  EXPECT_EQ(ld->health, Health::kCritical);
  const PhysicalDrive* pd = FindPd(r.report, "0,5");
  ASSERT_NE(pd, nullptr);
  EXPECT_EQ(pd->state, "Defunct");
  EXPECT_EQ(pd->health, Health::kCritical);
}

TEST(ArcconfTest, PfaFlagIsAWarning) {
  // The Defunct drive of issue90 is the only one with "PFA : Yes"; make it
  // Online to see the flag alone.
  std::string text = ReplaceFirst(
      Fixture("checkraid-issue90-getconfig-al-offline-defunct.txt"),
      "State                              : Defunct",
      "State                              : Online");
  ParseResult r = ParseArcconf({{"config.1", text}});
  const PhysicalDrive* pd = FindPd(r.report, "0,5");
  ASSERT_NE(pd, nullptr);
  EXPECT_EQ(pd->state, "Online");
  EXPECT_EQ(pd->health, Health::kWarning);
}

TEST(ArcconfTest, BatteryFailed) {
  ParseResult r = Parse("checkraid-issue105-getconfig-al-battery-failed.txt");
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.batteries.size(), 1u);
  EXPECT_EQ(r.report.batteries[0].controller, "1");
  EXPECT_EQ(r.report.batteries[0].state, "Failed");
  EXPECT_EQ(r.report.batteries[0].health, Health::kCritical);
  EXPECT_EQ(r.report.controllers[0].health, Health::kOk);
  EXPECT_EQ(r.report.controllers[0].temperature_celsius, 77);
  EXPECT_EQ(FindLd(r.report, "0")->health, Health::kOk);
}

TEST(ArcconfTest, BatteryChargingFromAlteredCapture) {
  // No capture shows a charging battery ("Charging" is a documented state).
  std::string text = ReplaceFirst(
      Fixture("checkraid-issue105-getconfig-al-battery-failed.txt"),
      "Status                                   : Failed",
      "Status                                   : Charging");
  ParseResult r = ParseArcconf({{"config.1", text}});
  ASSERT_EQ(r.report.batteries.size(), 1u);
  EXPECT_EQ(r.report.batteries[0].health, Health::kWarning);
}

TEST(ArcconfTest, ZmmAndBuildVerifyTask) {
  ParseResult r = Parse("checkraid-3-getconfig-al-zmm-build-verify.txt",
                        "checkraid-3-getstatus-build-verify-in-progress.txt");
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.batteries.size(), 1u);
  EXPECT_EQ(r.report.batteries[0].state, "ZMM Optimal");
  EXPECT_EQ(r.report.batteries[0].health, Health::kOk);
  const LogicalDrive* ld = FindLd(r.report, "0");
  EXPECT_EQ(ld->health, Health::kOk);
  // A build/verify is not a rebuild.
  EXPECT_FALSE(ld->rebuild_progress_ratio.has_value());
}

TEST(ArcconfTest, ImpactedVerifyWithFix) {
  ParseResult r =
      Parse("checkraid-issue190-getconfig-al-impacted-verify-fix.txt",
            "checkraid-issue190-getstatus-verify-with-fix.txt");
  ASSERT_TRUE(r.ok);
  const LogicalDrive* ld0 = FindLd(r.report, "0");
  ASSERT_NE(ld0, nullptr);
  EXPECT_EQ(ld0->state, "Impacted ( Build/Verify with fix : 90 % )");
  EXPECT_EQ(ld0->health, Health::kWarning);
  EXPECT_FALSE(ld0->rebuild_progress_ratio.has_value());
  EXPECT_EQ(FindLd(r.report, "1")->health, Health::kOk);
  ASSERT_EQ(r.report.batteries.size(), 1u);
  EXPECT_EQ(r.report.batteries[0].state, "Ready");
  EXPECT_EQ(r.report.batteries[0].health, Health::kOk);
}

TEST(ArcconfTest, HotSparesAndJbodAreHealthy) {
  for (const char* f : {"checkraid-pr66-getconfig-al-hotspares.txt",
                        "checkraid-issue55-getconfig-al-jbod.txt",
                        "netdata-getconfig-pd-with-enclosure.txt"}) {
    SCOPED_TRACE(f);
    ParseResult r = Parse(f);
    ASSERT_TRUE(r.ok);
    bool special = false;
    for (const auto& pd : r.report.physical_drives) {
      EXPECT_EQ(pd.health, Health::kOk) << pd.id << " " << pd.state;
      special |= pd.state != "Online";
    }
    EXPECT_TRUE(special);
  }
}

TEST(ArcconfTest, SmartRaidCountersAndTemperatures) {
  ParseResult r = Parse("checkraid-arcconf31000-getconfig-al-optimal.txt");
  ASSERT_TRUE(r.ok);
  const Controller& c = r.report.controllers[0];
  EXPECT_EQ(c.model, "Adaptec SmartRAID 3154-16i");
  EXPECT_EQ(c.temperature_celsius, 56);
  ASSERT_EQ(r.report.batteries.size(), 1u);
  EXPECT_EQ(r.report.batteries[0].state, "Ok");
  const PhysicalDrive* pd = FindPd(r.report, "0,0");
  ASSERT_NE(pd, nullptr);
  EXPECT_EQ(pd->model, "INTEL SSDSC2KB240G8");
  EXPECT_EQ(pd->temperature_celsius, 34);
  EXPECT_EQ(pd->media_errors, 0);
  EXPECT_EQ(pd->predictive_failures, 0);
  ASSERT_EQ(r.report.logical_drives.size(), 2u);
  EXPECT_EQ(FindLd(r.report, "1")->level, "RAID6");
}

TEST(ArcconfTest, UnknownStateIsNeverOk) {
  // "Needs Attention" is not in arcconf's documented vocabulary.
  std::string text = ReplaceFirst(
      Fixture("checkraid-issue47-getconfig-al-optimal.txt"),
      "Status of logical device                 : Optimal",
      "Status of logical device                 : Needs Attention");
  ParseResult r = ParseArcconf({{"config.1", text}});
  EXPECT_EQ(FindLd(r.report, "0")->health, Health::kUnknown);
}

TEST(ArcconfTest, NoControllers) {
  // No capture of an empty host: keep only the count line of a real
  // capture, set to 0.
  ParseResult r = ParseArcconf({{"config.1", "Controllers found: 0\n"},
                                {"status.1", "Controllers found: 0\n"}});
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.report.controllers.empty());
  EXPECT_TRUE(r.report.physical_drives.empty());
}

TEST(ArcconfTest, TwoControllers) {
  ParseResult r = ParseArcconf(
      {{"config.1", Fixture("checkraid-issue47-getconfig-al-optimal.txt")},
       {"config.2",
        Fixture("checkraid-issue105-getconfig-al-battery-failed.txt")},
       {"status.2", Fixture("checkraid-1-getstatus.txt")}});
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.report.controllers.size(), 2u);
  EXPECT_EQ(r.report.controllers[0].id, "1");
  EXPECT_EQ(r.report.controllers[1].id, "2");
  ASSERT_EQ(r.report.batteries.size(), 1u);
  EXPECT_EQ(r.report.batteries[0].controller, "2");
}

TEST(ArcconfTest, GarbageIsNotOk) {
  EXPECT_FALSE(ParseArcconf({}).ok);
  EXPECT_FALSE(ParseArcconf({{"config.1", ""}}).ok);
  EXPECT_FALSE(ParseArcconf({{"config.1", "Segmentation fault\n"}}).ok);
  EXPECT_FALSE(ParseArcconf({{"config.1", "Controllers found: 1\n"}}).ok);
  EXPECT_FALSE(
      ParseArcconf(
          {{"config.1", Fixture("checkraid-issue47-getconfig-al-optimal.txt")},
           {"status.1", "\x01\x02garbage"}})
          .ok);
}

TEST(ArcconfTest, TruncatedNeverCrashes) {
  const std::string degraded =
      Fixture("checkraid-issue47-getconfig-al-degraded-rebuilding.txt");
  for (const auto& c : kGoldens) {
    for (const char* file : {c.config, c.status}) {
      if (file == nullptr) continue;
      const std::string text = Fixture(file);
      const bool every =
          std::string(file) ==
              "checkraid-86-getconfig-al-degraded-failed-drive.txt" ||
          std::string(file) ==
              "checkraid-issue47-getstatus-rebuild-in-progress.txt";
      const size_t step = every ? 1 : text.size() / 1500 + 1;
      for (size_t n = 0; n <= text.size(); n += step) {
        ParseArcconf({{"config.1", text.substr(0, n)}});
        ParseResult r = ParseArcconf(
            {{"config.1", degraded}, {"status.1", text.substr(0, n)}});
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

TEST(ArcconfTest, RandomBytesNeverCrash) {
  std::mt19937 rng(4);
  const std::string base =
      Fixture("checkraid-issue47-getconfig-al-degraded-rebuilding.txt");
  for (int i = 0; i < 300; ++i) {
    std::string junk(rng() % 2048, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    ParseArcconf({{"config.1", junk}, {"status.1", junk}});
    ArcconfFollowUpCommands({{"config.1", junk}});
    std::string mutated = base;
    for (int k = 0; k < 20; ++k) {
      mutated[rng() % mutated.size()] = static_cast<char>(rng());
    }
    ParseArcconf({{"config.1", mutated}});
  }
}

}  // namespace
}  // namespace exporterd::raid
