#include <gtest/gtest.h>

#include "parse_megacli.h"
#include "raid_test_util.h"

namespace exporterd::raid {
namespace {

using testutil::ExpectGolden;
using testutil::FindLd;
using testutil::FindPd;
using testutil::Rollup;

std::string F(const std::string& name) {
  return testutil::Fixture("megacli", name);
}

struct GoldenCase {
  const char* name;
  const char* key;
  const char* file;
};

// Every capture, alone under the key of the command it came from.
const GoldenCase kGolden[] = {
    {"case3-bbustatus-faulty", "bbu", "checkraid-case3-bbustatus-faulty.txt"},
    {"case3-ldinfo-optimal", "ldinfo", "checkraid-case3-ldinfo-optimal.txt"},
    {"case3-pdlist-unconfigured-bad", "pdlist",
     "checkraid-case3-pdlist-unconfigured-bad.txt"},
    {"issue123-ldinfo-writethrough", "ldinfo",
     "checkraid-issue123-ldinfo-writethrough.txt"},
    {"issue123-pdlist-predictive-failure", "pdlist",
     "checkraid-issue123-pdlist-predictive-failure.txt"},
    {"issue32-bbustatus-get-failed", "bbu",
     "checkraid-issue32-bbustatus-get-failed.txt"},
    {"issue39-bbustatus-non-operational-learn-cycle", "bbu",
     "checkraid-issue39-bbustatus-non-operational-learn-cycle.txt"},
    {"issue39-bbustatus-operational-replacement-required", "bbu",
     "checkraid-issue39-bbustatus-operational-replacement-required.txt"},
    {"issue45-bbustatus-optimal", "bbu",
     "checkraid-issue45-bbustatus-optimal.txt"},
    {"issue45-ldinfo-7vd-optimal", "ldinfo",
     "checkraid-issue45-ldinfo-7vd-optimal.txt"},
    {"issue45-pdlist-8pd-online", "pdlist",
     "checkraid-issue45-pdlist-8pd-online.txt"},
    {"issue49-bbustatus-replacement-required", "bbu",
     "checkraid-issue49-bbustatus-replacement-required.txt"},
    {"issue49-pdlist-predictive-failure", "pdlist",
     "checkraid-issue49-pdlist-predictive-failure.txt"},
    {"issue65-ldinfo-writethrough", "ldinfo",
     "checkraid-issue65-ldinfo-writethrough.txt"},
    {"issue91-ldinfo-raid6-plus-cachecade", "ldinfo",
     "checkraid-issue91-ldinfo-raid6-plus-cachecade.txt"},
    {"jbod-ldinfo-no-vd", "ldinfo", "checkraid-jbod-ldinfo-no-vd.txt"},
    {"jbod-pdlist", "pdlist", "checkraid-jbod-pdlist.txt"},
    {"ldinfo-1vd-optimal", "ldinfo", "checkraid-ldinfo-1vd-optimal.txt"},
    {"ldinfo-2vd-optimal", "ldinfo", "checkraid-ldinfo-2vd-optimal.txt"},
    {"pdlist-12pd-online-2hotspare", "pdlist",
     "checkraid-pdlist-12pd-online-2hotspare.txt"},
    {"pdlist-online-hotspare-unconfigured-good", "pdlist",
     "checkraid-pdlist-online-hotspare-unconfigured-good.txt"},
    {"netdata-adpbbucmd-old", "bbu", "netdata-adpbbucmd-old.txt"},
    {"netdata-adpbbucmd-recent", "bbu", "netdata-adpbbucmd-recent.txt"},
    {"netdata-ldpdinfo", "ldpdinfo", "netdata-ldpdinfo.txt"},
    {"netdata-ldpdinfo-no-drives", "ldpdinfo",
     "netdata-ldpdinfo-no-drives.txt"},
};

TEST(MegacliGolden, EveryCapture) {
  for (const GoldenCase& c : kGolden) {
    SCOPED_TRACE(c.name);
    ParseResult r = ParseMegacli({{c.key, F(c.file)}});
    EXPECT_TRUE(r.ok) << r.error;
    ExpectGolden("megacli", c.name, r);
  }
}

TEST(MegacliGolden, OneHostAllThreeCommands) {
  ParseResult r = ParseMegacli(
      {{"ldinfo", F("checkraid-case3-ldinfo-optimal.txt")},
       {"pdlist", F("checkraid-case3-pdlist-unconfigured-bad.txt")},
       {"bbu", F("checkraid-case3-bbustatus-faulty.txt")}});
  ASSERT_TRUE(r.ok) << r.error;
  ExpectGolden("megacli", "case3-all", r);
}

TEST(Megacli, HealthyHost) {
  ParseResult r =
      ParseMegacli({{"ldinfo", F("checkraid-issue45-ldinfo-7vd-optimal.txt")},
                    {"pdlist", F("checkraid-issue45-pdlist-8pd-online.txt")},
                    {"bbu", F("checkraid-issue45-bbustatus-optimal.txt")}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.report.controllers.empty());
  EXPECT_EQ(r.report.logical_drives.size(), 7u);
  EXPECT_EQ(r.report.physical_drives.size(), 8u);
  ASSERT_EQ(r.report.batteries.size(), 1u);
  EXPECT_EQ(r.report.batteries[0].state, "Optimal");
  EXPECT_EQ(Rollup(r.report), Health::kOk);
}

TEST(Megacli, VirtualDriveFieldsBothKeyStyles) {
  ParseResult r =
      ParseMegacli({{"ldinfo", F("checkraid-ldinfo-2vd-optimal.txt")}});
  ASSERT_TRUE(r.ok);
  const LogicalDrive* d = FindLd(r.report, "0", "0/1");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->level, "RAID5");
  EXPECT_EQ(d->state, "Optimal");
  r = ParseMegacli({{"ldpdinfo", F("netdata-ldpdinfo.txt")}});
  ASSERT_TRUE(r.ok);
  d = FindLd(r.report, "0", "0/0");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->level, "RAID1");
  EXPECT_EQ(r.report.physical_drives.size(), 8u);
  const PhysicalDrive* pd = FindPd(r.report, "0", "32:0");
  ASSERT_NE(pd, nullptr);
  EXPECT_EQ(pd->state, "Online");  // ", Spun Up" removed
  EXPECT_EQ(pd->temperature_celsius, 33);
  EXPECT_EQ(pd->health, Health::kOk);
}

TEST(Megacli, CacheCadeVdIsSkipped) {
  ParseResult r = ParseMegacli(
      {{"ldinfo", F("checkraid-issue91-ldinfo-raid6-plus-cachecade.txt")}});
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.logical_drives.size(), 1u);
  EXPECT_EQ(r.report.logical_drives[0].level, "RAID6");
}

TEST(Megacli, FailedDiskIsCritical) {
  ParseResult r = ParseMegacli(
      {{"pdlist", F("checkraid-case3-pdlist-unconfigured-bad.txt")}});
  ASSERT_TRUE(r.ok);
  int bad = 0;
  for (const auto& d : r.report.physical_drives) {
    if (d.state == "Unconfigured(bad)") {
      ++bad;
      EXPECT_EQ(d.health, Health::kCritical);
    }
  }
  EXPECT_EQ(bad, 1);
  EXPECT_EQ(Rollup(r.report), Health::kCritical);
}

TEST(Megacli, PredictiveFailureWarns) {
  ParseResult r = ParseMegacli(
      {{"pdlist", F("checkraid-issue49-pdlist-predictive-failure.txt")}});
  ASSERT_TRUE(r.ok);
  int warned = 0;
  for (const auto& d : r.report.physical_drives) {
    if (d.predictive_failures && *d.predictive_failures > 0) {
      ++warned;
      EXPECT_EQ(d.health, Health::kWarning);
    }
  }
  EXPECT_EQ(warned, 1);
  EXPECT_EQ(Rollup(r.report), Health::kWarning);
}

TEST(Megacli, BatteryFaults) {
  auto bbu = [](const std::string& f) {
    ParseResult r = ParseMegacli({{"bbu", F(f)}});
    EXPECT_TRUE(r.ok) << f;
    return r.report.batteries;
  };
  auto b = bbu("checkraid-issue39-bbustatus-non-operational-learn-cycle.txt");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].health, Health::kWarning);  // learn cycle: transient
  b = bbu("checkraid-issue39-bbustatus-operational-replacement-required.txt");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].health, Health::kCritical);
  b = bbu("checkraid-issue49-bbustatus-replacement-required.txt");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].health, Health::kCritical);
  b = bbu("checkraid-case3-bbustatus-faulty.txt");  // empty "Battery state:"
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].state, "");
  EXPECT_EQ(b[0].health, Health::kUnknown);
  // No BBU at all: absent, not a failure.
  EXPECT_TRUE(bbu("checkraid-issue32-bbustatus-get-failed.txt").empty());
}

TEST(Megacli, WriteThroughFallbackWarns) {
  ParseResult r = ParseMegacli(
      {{"ldinfo", F("checkraid-issue65-ldinfo-writethrough.txt")}});
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.logical_drives.size(), 1u);
  EXPECT_EQ(r.report.logical_drives[0].state, "Optimal");
  EXPECT_EQ(r.report.logical_drives[0].health, Health::kWarning);
}

TEST(Megacli, DegradedAndRebuilding) {
  // Synthetic: no MegaCli capture shows a degraded VD; the real healthy
  // LDPDInfo capture has its VD state and one member's state substituted.
  std::string s = testutil::ReplaceAll(F("netdata-ldpdinfo.txt"),
                                       "State               : Optimal",
                                       "State               : Degraded");
  ParseResult r = ParseMegacli({{"ldpdinfo", s}});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(FindLd(r.report, "0", "0/0")->health, Health::kCritical);
  s = testutil::ReplaceFirst(s, "Firmware state: Online, Spun Up",
                             "Firmware state: Rebuild");
  r = ParseMegacli({{"ldpdinfo", s}});
  EXPECT_EQ(FindLd(r.report, "0", "0/0")->health, Health::kWarning);
  EXPECT_EQ(FindPd(r.report, "0", "32:0")->health, Health::kWarning);
}

TEST(Megacli, NoVirtualDrives) {
  ParseResult r =
      ParseMegacli({{"ldinfo", F("checkraid-jbod-ldinfo-no-vd.txt")},
                    {"pdlist", F("checkraid-jbod-pdlist.txt")}});
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.report.logical_drives.empty());
  EXPECT_EQ(r.report.physical_drives.size(), 4u);
  EXPECT_EQ(Rollup(r.report), Health::kOk);
}

TEST(Megacli, ErrorsAreResultsNotCrashes) {
  EXPECT_FALSE(ParseMegacli({}).ok);
  EXPECT_FALSE(ParseMegacli({{"ldinfo", ""}}).ok);
  EXPECT_FALSE(ParseMegacli({{"pdlist", "garbage\nmore garbage"}}).ok);
  EXPECT_FALSE(ParseMegacli({{"bbu", "{\"json\": true}"}}).ok);
  EXPECT_EQ(MegacliPhysicalDriveHealth("Sleeping"), Health::kUnknown);
  EXPECT_EQ(MegacliVirtualDriveHealth("Weird"), Health::kUnknown);
}

TEST(Megacli, MangledCapturesNeverCrash) {
  for (const char* f : {"netdata-ldpdinfo.txt", "netdata-adpbbucmd-recent.txt",
                        "checkraid-issue91-ldinfo-raid6-plus-cachecade.txt"}) {
    testutil::Mangle(F(f), [](const std::string& s) {
      for (const char* k : {"ldinfo", "pdlist", "bbu", "ldpdinfo"}) {
        ParseResult r = ParseMegacli({{k, s}});
        (void)ToFamilies({{"megacli", r.ok, r.error, r.report}});
      }
    });
  }
}

}  // namespace
}  // namespace exporterd::raid
