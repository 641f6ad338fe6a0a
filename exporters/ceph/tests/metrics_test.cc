#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "ceph_metrics.h"
#include "test_util.h"

namespace ceph {
namespace {

std::string Serialize(const std::vector<prometheus::MetricFamily>& f) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, f);
  return out.str();
}

// UPDATE_GOLDEN=1 rewrites the golden files.
void ExpectGolden(const std::string& name, const std::string& got) {
  const std::string path = std::string(CEPH_TEST_DIR) + "/golden/" + name;
  if (std::getenv("UPDATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary) << got;
    return;
  }
  EXPECT_EQ(got, testing::ReadFile(path)) << "golden " << path;
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
