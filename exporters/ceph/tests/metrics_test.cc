#include <gtest/gtest.h>

#include "ceph_metrics.h"
#include "test_kit.h"
#include "test_util.h"

namespace ceph {
namespace {

using exporterd::testing::PromtoolCheckMetrics;
using exporterd::testing::Serialize;

void ExpectGolden(const std::string& name, const std::string& got) {
  exporterd::testing::ExpectGolden(CEPH_TEST_DIR "/golden/" + name, got);
  EXPECT_EQ(PromtoolCheckMetrics(got), "");
}

TEST(MetricsTest, GoldenWithIncreases) {
  ExpectGolden("pacific_b.prom",
               Serialize(BuildFamilies(testing::LoadSnapshot("pacific_b"),
                                       ReweightParams())));
}

TEST(MetricsTest, GoldenOutOsd) {
  ReweightParams p;
  p.oload = 101;
  p.max_change = 0.2;
  p.max_osds = 8;
  ExpectGolden("pacific_c_101_0.2_8.prom",
               Serialize(BuildFamilies(testing::LoadSnapshot("pacific_c"), p)));
}

TEST(MetricsTest, HintsInvalidWhenPgStatsNotReady) {
  Snapshot s = testing::LoadSnapshot("pacific_a");
  s.pg_dump.pg_ready = false;
  std::string text = Serialize(BuildFamilies(s, ReweightParams()));
  EXPECT_NE(text.find("ceph_reweight_hints_valid 0"), std::string::npos);
  EXPECT_EQ(text.find("ceph_reweight_average_utilization_ratio"),
            std::string::npos);
  // Suggestions fall back to the current reweight.
  EXPECT_NE(text.find("ceph_osd_reweight_suggested{ceph_daemon=\"osd.0\","
                      "device_class=\"hdd\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace ceph
