#include <gtest/gtest.h>

#include "parse_storcli.h"
#include "raid_test_util.h"

namespace exporterd::raid {
namespace {

using testutil::ExpectGolden;
using testutil::FindLd;
using testutil::FindPd;
using testutil::ReplaceAll;
using testutil::Rollup;

std::string F(const std::string& name) {
  return testutil::Fixture("storcli", name);
}

struct GoldenCase {
  const char* name;      // golden file name, without .prom
  const char* show_all;  // capture fed as "show_all"
  const char* drives;    // capture fed as "drives", or nullptr
  const char* cv;        // capture fed as "cv", or nullptr
  const char* bbu;       // capture fed as "bbu", or nullptr
};

// Every capture the parser accepts, under the key of the command it came
// from. puppet-*-call-show and pystorcli2-c0-show are `show` (not `show
// all`) captures: the parser takes them too (no controller status there, so
// the controller's health is unknown).
const GoldenCase kGolden[] = {
    {"promcommunity", "promcommunity-cALL-show-all.json",
     "promcommunity-cALL-eALL-sALL-show-all.json", nullptr, nullptr},
    {"netdata-megaraid", "netdata-megaraid-cALL-show-all.json",
     "netdata-megaraid-cALL-eALL-sALL-show-all.json", nullptr, nullptr},
    {"netdata-mpt3sas-hba", "netdata-mpt3sas-hba-cALL-show-all.json", nullptr,
     nullptr, nullptr},
    {"megaraid-dashboard", "megaraid-dashboard-c0-show-all.json",
     "megaraid-dashboard-c0-eall-sall-show-all.json",
     "megaraid-dashboard-c0-cv-show-all.json",
     "megaraid-dashboard-c0-bbu-show-all.json"},
    {"puppet-3ctrl", "puppet-storcli-call-show-3ctrl.json", nullptr, nullptr,
     nullptr},
    {"puppet-no-controller", "puppet-perccli-call-show-no-controller.json",
     nullptr, nullptr, nullptr},
    {"pystorcli2-offline", "pystorcli2-c0-show-12ugood.json",
     "pystorcli2-c0-e35-s12-show-offline.json", nullptr, nullptr},
};

TEST(StorcliGolden, EveryAcceptedCapture) {
  for (const GoldenCase& c : kGolden) {
    SCOPED_TRACE(c.name);
    ToolOutputs out{{"show_all", F(c.show_all)}};
    if (c.drives) out["drives"] = F(c.drives);
    if (c.cv) out["cv"] = F(c.cv);
    if (c.bbu) out["bbu"] = F(c.bbu);
    ParseResult r = ParseStorcli(out);
    EXPECT_TRUE(r.ok) << r.error;
    ExpectGolden("storcli", c.name, r);
  }
}

TEST(Storcli, HealthyNativeFormatting) {
  ParseResult r = ParseStorcli(
      {{"show_all", F("promcommunity-cALL-show-all.json")},
       {"drives", F("promcommunity-cALL-eALL-sALL-show-all.json")}});
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.report.controllers.size(), 1u);
  const Controller& c = r.report.controllers[0];
  EXPECT_EQ(c.id, "0");
  EXPECT_EQ(c.model, "PRAID EP420i");
  EXPECT_EQ(c.state, "Optimal");
  EXPECT_EQ(c.health, Health::kOk);
  EXPECT_EQ(c.temperature_celsius, 52);
  const LogicalDrive* vd = FindLd(r.report, "0", "0/0");
  ASSERT_NE(vd, nullptr);
  EXPECT_EQ(vd->level, "RAID6");
  EXPECT_EQ(vd->state, "Optl");
  EXPECT_EQ(vd->health, Health::kOk);
  ASSERT_EQ(r.report.physical_drives.size(), 4u);
  const PhysicalDrive* pd = FindPd(r.report, "0", "252:0");
  ASSERT_NE(pd, nullptr);
  EXPECT_EQ(pd->state, "Onln");
  EXPECT_EQ(pd->model, "Micron_5200_MTFDDAK960TDC");
  EXPECT_EQ(pd->media_errors, 0);
  EXPECT_EQ(pd->predictive_failures, 0);
  EXPECT_EQ(pd->temperature_celsius, 21);
  ASSERT_EQ(r.report.batteries.size(), 1u);
  EXPECT_EQ(r.report.batteries[0].state, "Optimal");
  EXPECT_EQ(r.report.batteries[0].health, Health::kOk);
  EXPECT_EQ(Rollup(r.report), Health::kOk);
}

TEST(Storcli, ReserializedFormattingGivesTheSameModel) {
  // netdata re-indented its capture (2 spaces, "Key": value).
  ParseResult r = ParseStorcli(
      {{"show_all", F("netdata-megaraid-cALL-show-all.json")},
       {"drives", F("netdata-megaraid-cALL-eALL-sALL-show-all.json")}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.report.controllers.at(0).model,
            "ServeRAID M5015 SAS/SATA Controller");
  EXPECT_EQ(r.report.physical_drives.size(), 6u);
  EXPECT_EQ(r.report.batteries.at(0).state, "Optimal");  // BBU_Info iBBU08
  EXPECT_EQ(Rollup(r.report), Health::kOk);
}

TEST(Storcli, HbaIsOkWithJbodDrives) {
  ParseResult r =
      ParseStorcli({{"show_all", F("netdata-mpt3sas-hba-cALL-show-all.json")}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.report.controllers.at(0).state, "OK");
  EXPECT_EQ(r.report.controllers.at(0).health, Health::kOk);
  EXPECT_TRUE(r.report.logical_drives.empty());
  EXPECT_EQ(r.report.physical_drives.size(), 29u);
  for (const auto& d : r.report.physical_drives) {
    EXPECT_EQ(d.state, "JBOD");
    EXPECT_EQ(d.health, Health::kOk);
    EXPECT_FALSE(d.media_errors.has_value());  // "N/A"
  }
  EXPECT_TRUE(r.report.batteries.empty());
}

TEST(Storcli, MultiControllerAndBlankEnclosure) {
  ParseResult r =
      ParseStorcli({{"show_all", F("puppet-storcli-call-show-3ctrl.json")}});
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.report.controllers.size(), 3u);
  EXPECT_EQ(r.report.controllers[2].id, "2");
  // The LSI3008-IR lists direct-attached drives as " :0", state "-".
  const PhysicalDrive* pd = FindPd(r.report, "2", ":0");
  ASSERT_NE(pd, nullptr);
  EXPECT_EQ(pd->state, "-");
  EXPECT_EQ(pd->health, Health::kOk);
}

TEST(Storcli, NoControllerFoundIsOkAndEmpty) {
  ParseResult r = ParseStorcli(
      {{"show_all", F("puppet-perccli-call-show-no-controller.json")}});
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.report.controllers.empty());
  EXPECT_TRUE(r.report.physical_drives.empty());
}

TEST(Storcli, UseCxCvMeansNoBbuNotFailure) {
  // The card has a CacheVault; /c0/bbu answers "use /cx/cv".
  ParseResult r =
      ParseStorcli({{"show_all", F("megaraid-dashboard-c0-show-all.json")},
                    {"bbu", F("megaraid-dashboard-c0-bbu-show-all.json")}});
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.report.batteries.size(), 1u);  // the cache vault only
  EXPECT_EQ(r.report.batteries[0].health, Health::kOk);
  EXPECT_EQ(Rollup(r.report), Health::kOk);
}

TEST(Storcli, CacheVaultReplacementRequiredIsCritical) {
  // Synthetic: the real /c0/cv capture with "Replacement required" flipped.
  std::string cv = ReplaceAll(F("megaraid-dashboard-c0-cv-show-all.json"),
                              "\"Property\": \"Replacement required\",\n"
                              "            \"Value\": \"No\"",
                              "\"Property\": \"Replacement required\",\n"
                              "            \"Value\": \"Yes\"");
  ParseResult r = ParseStorcli(
      {{"show_all", F("megaraid-dashboard-c0-show-all.json")}, {"cv", cv}});
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.report.batteries.size(), 1u);
  EXPECT_EQ(r.report.batteries[0].health, Health::kCritical);
}

TEST(Storcli, BatteryStateAndStatusBits) {
  // Synthetic states derived from the real promcommunity capture.
  const std::string base = F("promcommunity-cALL-show-all.json");
  struct {
    const char* from;
    const char* to;
    Health want;
  } cases[] = {
      {"\"State\" : \"Optimal\",\n\t\t\t\t\"Temp\"",
       "\"State\" : \"Failed\",\n\t\t\t\t\"Temp\"", Health::kCritical},
      {"\"State\" : \"Optimal\",\n\t\t\t\t\"Temp\"",
       "\"State\" : \"Learning\",\n\t\t\t\t\"Temp\"", Health::kWarning},
      {"\"BBU Status\" : 0", "\"BBU Status\" : 1024", Health::kCritical},
      {"\"BBU Status\" : 0", "\"BBU Status\" : 4096", Health::kOk},
      {"\"BBU Status\" : 0", "\"BBU Status\" : 8", Health::kOk},
      {"\"BBU Status\" : 0", "\"BBU Status\" : 32", Health::kWarning},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.to);
    ParseResult r =
        ParseStorcli({{"show_all", ReplaceAll(base, c.from, c.to)}});
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(r.report.batteries.size(), 1u);
    EXPECT_EQ(r.report.batteries[0].health, c.want);
  }
  // "NA": no battery at all (the HBA capture has neither).
  ParseResult r = ParseStorcli(
      {{"show_all", ReplaceAll(ReplaceAll(base, "\"BBU Status\" : 0",
                                          "\"BBU Status\" : \"NA\""),
                               "\"Cachevault_Info\"", "\"Something_Else\"")}});
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.report.batteries.empty());
}

TEST(Storcli, DegradedVirtualDrive) {
  // Synthetic: no JSON capture shows a degraded VD (only storcli's text
  // output does), so the real capture's VD state is substituted.
  std::string s = ReplaceAll(F("promcommunity-cALL-show-all.json"),
                             "\"State\" : \"Optl\"", "\"State\" : \"Dgrd\"");
  s = ReplaceAll(s, "\"Controller Status\" : \"Optimal\"",
                 "\"Controller Status\" : \"Needs Attention\"");
  ParseResult r = ParseStorcli({{"show_all", s}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(FindLd(r.report, "0", "0/0")->health, Health::kCritical);
  EXPECT_EQ(r.report.controllers[0].health, Health::kWarning);
  EXPECT_EQ(Rollup(r.report), Health::kCritical);
  ExpectGolden("storcli", "synthetic-degraded", r);
}

TEST(Storcli, RebuildingDriveMakesDegradedVdAWarning) {
  // Synthetic: VD Dgrd and one member Rbld (TOPOLOGY and PD LIST).
  std::string s = ReplaceAll(F("promcommunity-cALL-show-all.json"),
                             "\"State\" : \"Optl\"", "\"State\" : \"Dgrd\"");
  s = testutil::ReplaceFirst(s, "\"State\" : \"Onln\"", "\"State\" : \"Rbld\"");
  size_t pd_list = s.find("\"PD LIST\"");
  ASSERT_NE(pd_list, std::string::npos);
  size_t first = s.find("\"State\" : \"Onln\"", pd_list);
  s.replace(first, 16, "\"State\" : \"Rbld\"");
  ParseResult r = ParseStorcli({{"show_all", s}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(FindLd(r.report, "0", "0/0")->health, Health::kWarning);
  EXPECT_EQ(FindPd(r.report, "0", "252:0")->health, Health::kWarning);
  EXPECT_EQ(Rollup(r.report), Health::kWarning);
}

TEST(Storcli, FailedDiskFromRealOfflineCapture) {
  // pystorcli2 captured drive 35:12 after `set offline`.
  ParseResult r =
      ParseStorcli({{"show_all", F("pystorcli2-c0-show-12ugood.json")},
                    {"drives", F("pystorcli2-c0-e35-s12-show-offline.json")}});
  ASSERT_TRUE(r.ok) << r.error;
  const PhysicalDrive* pd = FindPd(r.report, "0", "35:12");
  ASSERT_NE(pd, nullptr);
  EXPECT_EQ(pd->state, "Offln");
  EXPECT_EQ(pd->health, Health::kCritical);
  EXPECT_EQ(FindPd(r.report, "0", "35:13")->state, "UGood");
  EXPECT_EQ(FindPd(r.report, "0", "35:13")->health, Health::kOk);
}

TEST(Storcli, PredictiveFailureAndSmartAlertWarn) {
  // Synthetic counters on the real drives capture.
  std::string d = testutil::ReplaceFirst(
      F("promcommunity-cALL-eALL-sALL-show-all.json"),
      "\"Predictive Failure Count\" : 0", "\"Predictive Failure Count\" : 3");
  ParseResult r = ParseStorcli(
      {{"show_all", F("promcommunity-cALL-show-all.json")}, {"drives", d}});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(FindPd(r.report, "0", "252:0")->predictive_failures, 3);
  EXPECT_EQ(FindPd(r.report, "0", "252:0")->health, Health::kWarning);
  d = testutil::ReplaceFirst(F("promcommunity-cALL-eALL-sALL-show-all.json"),
                             "\"S.M.A.R.T alert flagged by drive\" : \"No\"",
                             "\"S.M.A.R.T alert flagged by drive\" : \"Yes\"");
  r = ParseStorcli(
      {{"show_all", F("promcommunity-cALL-show-all.json")}, {"drives", d}});
  EXPECT_EQ(FindPd(r.report, "0", "252:0")->health, Health::kWarning);
}

TEST(Storcli, UnknownStatesAreNeverOk) {
  EXPECT_EQ(StorcliPhysicalDriveHealth("Sntze"), Health::kUnknown);
  EXPECT_EQ(StorcliVirtualDriveHealth(""), Health::kUnknown);
  EXPECT_EQ(StorcliControllerHealth("Weird"), Health::kUnknown);
  EXPECT_EQ(StorcliBatteryHealth("???"), Health::kUnknown);
  EXPECT_EQ(StorcliPhysicalDriveHealth("UBad"), Health::kCritical);
  EXPECT_EQ(StorcliVirtualDriveHealth("OfLn"), Health::kCritical);
  EXPECT_EQ(StorcliVirtualDriveHealth("Pdgd"), Health::kCritical);
}

TEST(Storcli, ErrorsAreResultsNotCrashes) {
  EXPECT_FALSE(ParseStorcli({}).ok);
  EXPECT_FALSE(ParseStorcli({{"show_all", ""}}).ok);
  EXPECT_FALSE(ParseStorcli({{"show_all", "CLI Version = 007\n"}}).ok);
  EXPECT_FALSE(ParseStorcli({{"show_all", "{\"x\": 1}"}}).ok);
  EXPECT_FALSE(ParseStorcli({{"show_all", std::string(100000, '[')}}).ok);
  // A failure other than "no controller" is an error with its message.
  ParseResult r = ParseStorcli(
      {{"show_all",
        R"({"Controllers":[{"Command Status":{"Status":"Failure",)"
        R"("Description":"None","Detailed Status":[{"ErrMsg":"un-supported command"}]}}]})"}});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("un-supported command"), std::string::npos);
  // Broken drives output fails the tool rather than silently dropping it.
  EXPECT_FALSE(
      ParseStorcli({{"show_all", F("promcommunity-cALL-show-all.json")},
                    {"drives", "{"}})
          .ok);
}

TEST(Storcli, MangledCapturesNeverCrash) {
  const std::string show = F("puppet-storcli-call-show-3ctrl.json");
  const std::string drives = F("promcommunity-cALL-eALL-sALL-show-all.json");
  testutil::Mangle(show, [&](const std::string& s) {
    ParseResult r = ParseStorcli({{"show_all", s}, {"drives", drives}});
    (void)ToFamilies({{"storcli", r.ok, r.error, r.report}});
  });
  testutil::Mangle(drives, [&](const std::string& s) {
    (void)ParseStorcli({{"show_all", show}, {"drives", s}});
  });
}

}  // namespace
}  // namespace exporterd::raid
