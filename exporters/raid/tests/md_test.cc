#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "parse_md.h"
#include "raid_test_util.h"

namespace exporterd::raid {
namespace {

using testutil::ExpectGolden;
using testutil::FindLd;
using testutil::FindPd;
using testutil::Rollup;

std::string F(const std::string& name) {
  return testutil::Fixture("mdstat", name);
}

ParseResult Md(const std::string& text) { return ParseMd({{"mdstat", text}}); }

const char* const kCaptures[] = {
    "checkraid-centos62-healthy.txt",
    "checkraid-issue164-faulty-with-full-array.txt",
    "checkraid-issue34-imsm-container.txt",
    "checkraid-issue43-raid6-failed-rebuilt.txt",
    "checkraid-issue43-raid6-readd-recovery.txt",
    "checkraid-issue43-raid6-recovery-two-missing.txt",
    "checkraid-issue43-raid6-reshape.txt",
    "checkraid-linear.txt",
    "checkraid-none.txt",
    "checkraid-pr185-1-raid5-spares.txt",
    "checkraid-pr24-check.txt",
    "checkraid-pr28-0-recovery-one-degraded.txt",
    "checkraid-pr28-1-degraded-and-recovery.txt",
    "checkraid-pr28-2-resync-delayed.txt",
    "checkraid-pr77-check-delayed.txt",
    "checkraid-raid0.txt",
    "checkraid-raid1-resync.txt",
    "checkraid-raid5-failed-disk.txt",
    "checkraid-white-mdstat-recovery.txt",
    "node_exporter-mdstat-many-states.txt",
};

TEST(MdGolden, EveryCapture) {
  for (const char* f : kCaptures) {
    SCOPED_TRACE(f);
    ParseResult r = Md(F(f));
    EXPECT_TRUE(r.ok) << r.error;
    std::string name(f);
    ExpectGolden("md", name.substr(0, name.size() - 4), r);
  }
}

// Sample value of `series` in an exposition; NaN when absent.
double Sample(const std::string& text, const std::string& series) {
  size_t pos = 0;
  while ((pos = text.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n')
      return std::strtod(text.c_str() + pos + series.size() + 1, nullptr);
    pos += series.size();
  }
  return std::nan("");
}

// node_exporter's expected node_md_* values for the same file, from
// prometheus/node_exporter collector/mdadm_linux_test.go (Apache-2.0),
// without the sysfs-only families (node_md_degraded, node_md_raid_disks).
TEST(Md, SameNodeMdSeriesAsNodeExporter) {
  struct Want {
    const char* dev;
    double blocks, synced;
    int active, failed, spare, required;
    const char* state;
  } want[] = {
      {"md0", 248896, 248896, 2, 0, 0, 2, "active"},
      {"md00", 4186624, 4186624, 1, 0, 0, 1, "active"},
      {"md10", 314159265, 314159265, 2, 0, 0, 2, "active"},
      {"md101", 322560, 322560, 3, 0, 0, 3, "active"},
      {"md11", 4190208, 0, 2, 1, 2, 2, "resync"},
      {"md12", 3886394368, 3886394368, 2, 0, 0, 2, "active"},
      {"md120", 2095104, 2095104, 2, 0, 0, 2, "active"},
      {"md126", 1855870976, 1855870976, 2, 0, 0, 2, "active"},
      {"md127", 312319552, 312319552, 2, 0, 0, 2, "active"},
      {"md201", 1993728, 114176, 2, 0, 0, 2, "check"},
      {"md219", 7932, 7932, 0, 0, 3, 0, "inactive"},
      {"md3", 5853468288, 5853468288, 8, 0, 2, 8, "active"},
      {"md4", 4883648, 4883648, 0, 1, 1, 0, "inactive"},
      {"md6", 195310144, 16775552, 1, 1, 1, 2, "recovering"},
      {"md7", 7813735424, 7813735424, 3, 1, 0, 4, "active"},
      {"md8", 195310144, 16775552, 2, 0, 2, 2, "resync"},
      {"md9", 523968, 0, 4, 2, 1, 4, "resync"},
  };
  ParseResult r = Md(F("node_exporter-mdstat-many-states.txt"));
  ASSERT_TRUE(r.ok) << r.error;
  std::string text = testutil::Exposition("md", r);
  for (const Want& w : want) {
    SCOPED_TRACE(w.dev);
    std::string d = std::string("device=\"") + w.dev + "\"";
    EXPECT_EQ(Sample(text, "node_md_blocks{" + d + "}"), w.blocks);
    EXPECT_EQ(Sample(text, "node_md_blocks_synced{" + d + "}"), w.synced);
    EXPECT_EQ(Sample(text, "node_md_disks{" + d + ",state=\"active\"}"),
              w.active);
    EXPECT_EQ(Sample(text, "node_md_disks{" + d + ",state=\"failed\"}"),
              w.failed);
    EXPECT_EQ(Sample(text, "node_md_disks{" + d + ",state=\"spare\"}"),
              w.spare);
    EXPECT_EQ(Sample(text, "node_md_disks_required{" + d + "}"), w.required);
    for (const char* s :
         {"active", "check", "inactive", "recovering", "reshape", "resync"}) {
      EXPECT_EQ(Sample(text, "node_md_state{" + d + ",state=\"" + s + "\"}"),
                std::string(s) == w.state ? 1 : 0)
          << s;
    }
  }
}

TEST(Md, Healthy) {
  ParseResult r = Md(F("checkraid-centos62-healthy.txt"));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.report.logical_drives.size(), 5u);
  for (const auto& d : r.report.logical_drives) {
    EXPECT_EQ(d.health, Health::kOk) << d.id;
    EXPECT_EQ(d.controller, d.id);
  }
  EXPECT_EQ(Rollup(r.report), Health::kOk);
}

TEST(Md, FailedDiskDegradesArray) {
  ParseResult r = Md(F("checkraid-raid5-failed-disk.txt"));
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.logical_drives.size(), 1u);
  const LogicalDrive& d = r.report.logical_drives[0];
  EXPECT_EQ(d.level, "raid5");
  EXPECT_EQ(d.state, "active, degraded");
  EXPECT_EQ(d.health, Health::kCritical);
  const PhysicalDrive* pd = FindPd(r.report, d.id, "sdc1");
  ASSERT_NE(pd, nullptr);
  EXPECT_EQ(pd->state, "faulty");
  EXPECT_EQ(pd->health, Health::kCritical);
}

TEST(Md, RecoveryIsAWarningWithProgress) {
  ParseResult r = Md(F("checkraid-white-mdstat-recovery.txt"));
  ASSERT_TRUE(r.ok);
  const LogicalDrive* d = FindLd(r.report, "md126", "md126");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->state, "active, degraded, recovery");
  EXPECT_EQ(d->health, Health::kWarning);
  ASSERT_TRUE(d->rebuild_progress_ratio.has_value());
  EXPECT_DOUBLE_EQ(*d->rebuild_progress_ratio, 0.292);
  EXPECT_EQ(FindLd(r.report, "md125", "md125")->health, Health::kOk);
}

TEST(Md, DegradedWithoutRecoveryIsCritical) {
  ParseResult r = Md(F("checkraid-pr28-1-degraded-and-recovery.txt"));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(FindLd(r.report, "md1", "md1")->health, Health::kCritical);
  EXPECT_EQ(FindLd(r.report, "md0", "md0")->health, Health::kWarning);
  r = Md(F("checkraid-issue43-raid6-failed-rebuilt.txt"));
  EXPECT_EQ(r.report.logical_drives.at(0).health, Health::kCritical);
}

TEST(Md, QueuedRecoveryResyncCheckReshape) {
  ParseResult r = Md(F("checkraid-pr28-2-resync-delayed.txt"));
  const LogicalDrive* d = FindLd(r.report, "md1", "md1");
  EXPECT_EQ(d->state, "active, degraded, resync queued");
  EXPECT_EQ(d->health, Health::kWarning);
  EXPECT_FALSE(d->rebuild_progress_ratio.has_value());
  r = Md(F("checkraid-raid1-resync.txt"));
  EXPECT_EQ(FindLd(r.report, "md0", "md0")->health, Health::kOk);
  EXPECT_EQ(FindLd(r.report, "md1", "md1")->health, Health::kWarning);
  EXPECT_EQ(FindLd(r.report, "md2", "md2")->state, "active, resync");
  r = Md(F("checkraid-pr24-check.txt"));
  EXPECT_EQ(Rollup(r.report), Health::kOk);  // a scrub is not a problem
  r = Md(F("checkraid-issue43-raid6-reshape.txt"));
  EXPECT_EQ(r.report.logical_drives.at(0).health, Health::kWarning);
  std::string text = testutil::Exposition("md", r);
  EXPECT_EQ(Sample(text, "node_md_state{device=\"md0\",state=\"reshape\"}"), 1);
}

TEST(Md, ContainerIsNotAFailureButInactiveArrayIs) {
  ParseResult r = Md(F("checkraid-issue34-imsm-container.txt"));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(FindLd(r.report, "md0", "md0")->health, Health::kOk);
  EXPECT_EQ(Rollup(r.report), Health::kOk);
  r = Md(F("node_exporter-mdstat-many-states.txt"));
  EXPECT_EQ(FindLd(r.report, "md219", "md219")->health, Health::kOk);
  EXPECT_EQ(FindLd(r.report, "md4", "md4")->health, Health::kCritical);
}

TEST(Md, FaultyExtraMemberOfCompleteArrayWarns) {
  ParseResult r = Md(F("checkraid-issue164-faulty-with-full-array.txt"));
  EXPECT_EQ(FindLd(r.report, "md1", "md1")->health, Health::kWarning);
  EXPECT_EQ(FindPd(r.report, "md1", "sdh1")->health, Health::kCritical);
}

TEST(Md, NoArrays) {
  ParseResult r = Md(F("checkraid-none.txt"));
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.report.logical_drives.empty());
  EXPECT_TRUE(r.report.extra.empty());
}

TEST(Md, ErrorsAreResultsNotCrashes) {
  EXPECT_FALSE(ParseMd({}).ok);
  EXPECT_FALSE(Md("").ok);
  EXPECT_FALSE(Md("hello world\n").ok);
  EXPECT_FALSE(Md("Personalities : [raid1]\nmd0 : active raid1 sda[0]\n").ok);
  for (const char* f : kCaptures) {
    testutil::Mangle(F(f), [](const std::string& s) {
      ParseResult r = Md(s);
      (void)ToFamilies({{"md", r.ok, r.error, r.report}});
    });
  }
}

}  // namespace
}  // namespace exporterd::raid
