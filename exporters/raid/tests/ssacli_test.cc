#include <gtest/gtest.h>

#include <random>
#include <string>

#include "parse_ssacli.h"
#include "raid_model.h"
#include "raid_test_util.h"

namespace exporterd::raid {
namespace {

using testutil::FindLd;
using testutil::FindPd;
using testutil::ReplaceFirst;

std::string Fixture(const std::string& name) {
  return testutil::Fixture("ssacli", name);
}

// Compares with tests/golden/ssacli/<name>.prom; UPDATE_GOLDEN=1 rewrites.
void ExpectGolden(const std::string& name, const ParseResult& r) {
  testutil::ExpectGolden("ssacli", name, r);
}

// Replaces the first occurrence of `from` (which must exist) with `to`.
struct GoldenCase {
  const char* name;    // golden file name, without .prom
  const char* config;  // capture fed as "config", or nullptr
  const char* status;  // capture fed as "status", or nullptr
};

// Every capture, fed under the key of the command it came from. Captures of
// `ctrl slot=N ld all show` use the one-line layout of `ctrl all show
// config` and are fed as "config"; where the same machine's status capture
// exists the two are combined (as the module runs both).
const GoldenCase kGoldens[] = {
    {"netdata-ctrl-all-show-config-detail-P212-P410i",
     "netdata-ctrl-all-show-config-detail-P212-P410i.txt", nullptr},
    {"netdata-ctrl-all-show-config-detail-P440ar",
     "netdata-ctrl-all-show-config-detail-P440ar.txt", nullptr},
    {"netdata-ctrl-all-show-config-detail-P400i-battery-failed",
     "netdata-ctrl-all-show-config-detail-P400i-battery-failed.txt", nullptr},
    {"netdata-ctrl-all-show-config-detail-P408i-a",
     "netdata-ctrl-all-show-config-detail-P408i-a.txt", nullptr},
    {"checkraid-ctrl-all-show-status-2ctrl", nullptr,
     "checkraid-ctrl-all-show-status-2ctrl.txt"},
    {"checkraid-pr207-no-controllers", nullptr,
     "checkraid-pr207-no-controllers.txt"},
    {"checkraid-145-ctrl-status-hba-p840",
     "checkraid-145-slot1-ld-not-configured.txt",
     "checkraid-145-ctrl-status-hba-p840.txt"},
    {"checkraid-issue98-array-failed",
     "checkraid-issue98-ld-all-show-array-failed.txt",
     "checkraid-issue98-ctrl-status.txt"},
    {"checkraid-pr193-cache-disabled-battery-recharging",
     "checkraid-pr193-ld-show-ok.txt",
     "checkraid-pr193-ctrl-status-cache-disabled-battery-recharging.txt"},
    // No status capture for these two: the controller's state is not
    // reported, so its health is unknown (3).
    {"checkraid-slot0-ld-all-show-ok", "checkraid-slot0-ld-all-show-ok.txt",
     nullptr},
    {"checkraid-ld-all-show-interim-recovery-mode",
     "checkraid-ld-all-show-interim-recovery-mode.txt", nullptr},
};

ToolOutputs Outputs(const GoldenCase& c) {
  ToolOutputs out;
  if (c.config != nullptr) out["config"] = Fixture(c.config);
  if (c.status != nullptr) out["status"] = Fixture(c.status);
  return out;
}

// Marks physical drive `id` with `state` in a `config detail` capture: its
// one-line entries and the Status line of its detail block.
std::string SetDriveState(std::string text, const std::string& id,
                          const std::string& state) {
  const std::string one_line = "physicaldrive " + id + " (";
  for (size_t pos = text.find(one_line); pos != std::string::npos;
       pos = text.find(one_line, pos + 1)) {
    size_t close = text.find(')', pos);
    size_t last_comma = text.rfind(',', close);
    text.replace(last_comma, close - last_comma, ", " + state);
  }
  size_t block = text.find("      physicaldrive " + id + "\n");
  EXPECT_NE(block, std::string::npos) << id;
  if (block == std::string::npos) return text;
  size_t status = text.find("Status: OK\n", block);
  text.replace(status, 10, "Status: " + state);
  return text;
}

TEST(SsacliTest, Goldens) {
  for (const auto& c : kGoldens) {
    SCOPED_TRACE(c.name);
    ParseResult r = ParseSsacli(Outputs(c));
    EXPECT_TRUE(r.ok) << r.error;
    ExpectGolden(c.name, r);
  }
}

TEST(SsacliTest, HealthyConfigDetail) {
  ParseResult r = ParseSsacli(
      {{"config", Fixture("netdata-ctrl-all-show-config-detail-P440ar.txt")}});
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.report.controllers.size(), 1u);
  EXPECT_EQ(r.report.controllers[0].id, "0");
  EXPECT_EQ(r.report.controllers[0].model, "Smart Array P440ar");
  EXPECT_EQ(r.report.controllers[0].state, "OK");
  EXPECT_EQ(r.report.controllers[0].health, Health::kOk);
  ASSERT_FALSE(r.report.logical_drives.empty());
  for (const auto& ld : r.report.logical_drives) {
    EXPECT_EQ(ld.health, Health::kOk) << ld.id;
    EXPECT_FALSE(ld.level.empty()) << ld.id;
    EXPECT_FALSE(ld.rebuild_progress_ratio.has_value());
  }
  ASSERT_FALSE(r.report.physical_drives.empty());
  for (const auto& pd : r.report.physical_drives) {
    EXPECT_EQ(pd.health, Health::kOk) << pd.id;
    EXPECT_FALSE(pd.model.empty()) << pd.id;
  }
  ASSERT_EQ(r.report.batteries.size(), 1u);
  EXPECT_EQ(r.report.batteries[0].state, "OK");
  EXPECT_EQ(r.report.batteries[0].health, Health::kOk);
}

TEST(SsacliTest, Gen10DetailFields) {
  ParseResult r = ParseSsacli(
      {{"config", Fixture("netdata-ctrl-all-show-config-detail-P408i-a.txt")}});
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.controllers.size(), 1u);
  EXPECT_EQ(r.report.controllers[0].temperature_celsius, 52);
  const LogicalDrive* ld = FindLd(r.report, "0", "1");
  ASSERT_NE(ld, nullptr);
  EXPECT_EQ(ld->level, "RAID 6");  // "Fault Tolerance: 6"
  const PhysicalDrive* pd = FindPd(r.report, "0", "2I:1:1");
  ASSERT_NE(pd, nullptr);
  EXPECT_EQ(pd->model, "ATA MTFDDAK960TCB");
  EXPECT_EQ(pd->temperature_celsius, 34);
  EXPECT_EQ(pd->health, Health::kOk);
  // Drives appear both in the cage list and in detail: no duplicates.
  EXPECT_EQ(r.report.physical_drives.size(), 4u);
}

TEST(SsacliTest, TwoControllersNoBattery) {
  ParseResult r = ParseSsacli(
      {{"config",
        Fixture("netdata-ctrl-all-show-config-detail-P212-P410i.txt")}});
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.controllers.size(), 2u);
  EXPECT_EQ(r.report.controllers[0].id, "5");
  EXPECT_EQ(r.report.controllers[1].id, "0");
  // Neither reports a Battery/Capacitor Status: absent, not failed.
  EXPECT_TRUE(r.report.batteries.empty());
}

TEST(SsacliTest, BatteryFailedCacheDisabled) {
  ParseResult r = ParseSsacli(
      {{"config", Fixture("netdata-ctrl-all-show-config-detail-P400i-battery-"
                          "failed.txt")}});
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.batteries.size(), 1u);
  EXPECT_EQ(r.report.batteries[0].state, "Failed (Replace Batteries)");
  EXPECT_EQ(r.report.batteries[0].health, Health::kCritical);
  // Controller itself is OK but the cache is "Temporarily Disabled".
  EXPECT_EQ(r.report.controllers[0].state, "OK");
  EXPECT_EQ(r.report.controllers[0].health, Health::kWarning);
  // Unassigned drives are listed and healthy.
  const PhysicalDrive* pd = FindPd(r.report, "0", "1I:1:1");
  ASSERT_NE(pd, nullptr);
  EXPECT_EQ(pd->health, Health::kOk);
}

TEST(SsacliTest, BatteryRecharging) {
  ParseResult r = ParseSsacli(
      {{"status", Fixture("checkraid-pr193-ctrl-status-cache-disabled-battery-"
                          "recharging.txt")}});
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.batteries.size(), 1u);
  EXPECT_EQ(r.report.batteries[0].state, "Recharging");
  EXPECT_EQ(r.report.batteries[0].health, Health::kWarning);
}

TEST(SsacliTest, StatusDuplicateChassisMerged) {
  ParseResult r = ParseSsacli(
      {{"status", Fixture("checkraid-ctrl-all-show-status-2ctrl.txt")}});
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.controllers.size(), 2u);
  EXPECT_EQ(r.report.controllers[0].id, "MY STORAGE");
  EXPECT_EQ(r.report.controllers[0].model, "MSA1500 CS");
  EXPECT_EQ(r.report.controllers[1].id, "0");
  EXPECT_EQ(r.report.batteries.size(), 2u);
}

TEST(SsacliTest, ModeSuffixes) {
  ParseResult r = ParseSsacli(
      {{"status", Fixture("checkraid-145-ctrl-status-hba-p840.txt")}});
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.controllers.size(), 2u);
  EXPECT_EQ(r.report.controllers[0].id, "1");
  EXPECT_EQ(r.report.controllers[0].model, "Smart Array P840");
  EXPECT_EQ(r.report.controllers[1].id, "0");
  EXPECT_EQ(r.report.controllers[1].model, "Smart HBA H244br");
  EXPECT_EQ(r.report.controllers[1].health, Health::kOk);
}

TEST(SsacliTest, InterimRecoveryModeIsDegraded) {
  ParseResult r = ParseSsacli(
      {{"config", Fixture("checkraid-ld-all-show-interim-recovery-mode.txt")}});
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.controllers.size(), 1u);
  EXPECT_EQ(r.report.controllers[0].model, "Smart Array E200i");
  const LogicalDrive* ld = FindLd(r.report, "0", "1");
  ASSERT_NE(ld, nullptr);
  EXPECT_EQ(ld->level, "RAID 5");
  EXPECT_EQ(ld->state, "Interim Recovery Mode");
  EXPECT_EQ(ld->health, Health::kCritical);
}

TEST(SsacliTest, FailedArrayFailsItsLogicalDrive) {
  ParseResult r = ParseSsacli(
      {{"config", Fixture("checkraid-issue98-ld-all-show-array-failed.txt")},
       {"status", Fixture("checkraid-issue98-ctrl-status.txt")}});
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.controllers.size(), 1u);
  ASSERT_EQ(r.report.logical_drives.size(), 3u);
  EXPECT_EQ(FindLd(r.report, "1", "1")->health, Health::kOk);
  EXPECT_EQ(FindLd(r.report, "1", "2")->state, "OK");
  EXPECT_EQ(FindLd(r.report, "1", "2")->health, Health::kCritical);
  EXPECT_EQ(FindLd(r.report, "1", "3")->health, Health::kOk);
  ASSERT_EQ(r.report.batteries.size(), 1u);
}

TEST(SsacliTest, RebuildingFromAlteredCapture) {
  // No capture shows a recovering LD: the interim-recovery capture is
  // altered here to the documented "Recovering, N% complete" wording.
  std::string text =
      ReplaceFirst(Fixture("checkraid-ld-all-show-interim-recovery-mode.txt"),
                   "Interim Recovery Mode", "Recovering, 26% complete");
  ParseResult r = ParseSsacli({{"config", text}});
  ASSERT_TRUE(r.ok);
  const LogicalDrive* ld = FindLd(r.report, "0", "1");
  ASSERT_NE(ld, nullptr);
  EXPECT_EQ(ld->state, "Recovering, 26% complete");
  EXPECT_EQ(ld->health, Health::kWarning);
  ASSERT_TRUE(ld->rebuild_progress_ratio.has_value());
  EXPECT_DOUBLE_EQ(*ld->rebuild_progress_ratio, 0.26);
}

TEST(SsacliTest, FailedDiskFromAlteredCapture) {
  // No capture shows a failed physical drive in `config detail`: mark
  // 1I:1:3 failed in the P400i capture.
  std::string text = SetDriveState(
      Fixture("netdata-ctrl-all-show-config-detail-P400i-battery-failed.txt"),
      "1I:1:3", "Failed");
  ParseResult r = ParseSsacli({{"config", text}});
  ASSERT_TRUE(r.ok);
  const PhysicalDrive* pd = FindPd(r.report, "0", "1I:1:3");
  ASSERT_NE(pd, nullptr);
  EXPECT_EQ(pd->state, "Failed");
  EXPECT_EQ(pd->health, Health::kCritical);
  EXPECT_EQ(FindPd(r.report, "0", "1I:1:4")->health, Health::kOk);
}

TEST(SsacliTest, SpareRebuildingPredictiveFromAlteredCapture) {
  // Documented PD states no capture shows, set on real drives.
  std::string text =
      Fixture("netdata-ctrl-all-show-config-detail-P212-P410i.txt");
  text = SetDriveState(text, "1I:1:1", "OK, spare");
  text = SetDriveState(text, "1I:1:2", "Predictive Failure");
  text = SetDriveState(text, "1I:1:3", "Rebuilding");
  ParseResult r = ParseSsacli({{"config", text}});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(FindPd(r.report, "0", "1I:1:1")->state, "OK, spare");
  EXPECT_EQ(FindPd(r.report, "0", "1I:1:1")->health, Health::kOk);
  EXPECT_EQ(FindPd(r.report, "0", "1I:1:2")->health, Health::kWarning);
  EXPECT_EQ(FindPd(r.report, "0", "1I:1:3")->health, Health::kWarning);
}

TEST(SsacliTest, UnknownStateIsNeverOk) {
  std::string text =
      ReplaceFirst(Fixture("checkraid-issue98-ctrl-status.txt"),
                   "Controller Status: OK", "Controller Status: Something New");
  ParseResult r = ParseSsacli({{"status", text}});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.report.controllers[0].health, Health::kUnknown);
}

TEST(SsacliTest, NoControllers) {
  ParseResult r =
      ParseSsacli({{"status", Fixture("checkraid-pr207-no-controllers.txt")},
                   {"config", Fixture("checkraid-pr207-no-controllers.txt")}});
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.report.controllers.empty());
  EXPECT_TRUE(r.report.logical_drives.empty());
}

TEST(SsacliTest, GarbageIsNotOk) {
  EXPECT_FALSE(ParseSsacli({}).ok);
  EXPECT_FALSE(ParseSsacli({{"config", ""}}).ok);
  EXPECT_FALSE(ParseSsacli({{"config", "\n\n"}}).ok);
  EXPECT_FALSE(ParseSsacli({{"config", "segmentation fault\n"}}).ok);
  EXPECT_FALSE(ParseSsacli({{"status", "<html>oops</html>"}}).ok);
}

// Truncated output: every prefix of one capture, and a spread of prefixes
// (at most ~1500 each) of all others, under both keys.
TEST(SsacliTest, TruncatedNeverCrashes) {
  for (const auto& c : kGoldens) {
    for (const char* file : {c.config, c.status}) {
      if (file == nullptr) continue;
      const std::string text = Fixture(file);
      const bool every = std::string(file) ==
                         "netdata-ctrl-all-show-config-detail-P400i-battery-"
                         "failed.txt";
      const size_t step = every ? 1 : text.size() / 1500 + 1;
      for (size_t n = 0; n <= text.size(); n += step) {
        for (const char* key : {"config", "status"}) {
          ParseResult r = ParseSsacli({{key, text.substr(0, n)}});
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
}

TEST(SsacliTest, RandomBytesNeverCrash) {
  std::mt19937 rng(4);
  const std::string base =
      Fixture("netdata-ctrl-all-show-config-detail-P212-P410i.txt");
  for (int i = 0; i < 300; ++i) {
    std::string junk(rng() % 2048, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    ParseSsacli({{"config", junk}, {"status", junk}});
    // Mutated real output: flip bytes in a capture.
    std::string mutated = base;
    for (int k = 0; k < 20; ++k) {
      mutated[rng() % mutated.size()] = static_cast<char>(rng());
    }
    ParseSsacli({{"config", mutated}});
  }
}

}  // namespace
}  // namespace exporterd::raid
