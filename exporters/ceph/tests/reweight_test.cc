#include "reweight.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "ceph_metrics.h"
#include "test_util.h"

namespace ceph {
namespace {

constexpr uint64_t kGiB = 1ull << 30;

ReweightOsd Osd(int id, uint64_t total_gib, uint64_t used_gib,
                uint32_t w = kOsdIn) {
  return {id, total_gib * kGiB, (total_gib - used_gib) * kGiB, w};
}

// The worked example: four 100 GiB OSDs at 40/50/60/90 GiB used.
TEST(ReweightTest, OnlyTheOverloadedOsdChanges) {
  std::vector<ReweightOsd> osds = {Osd(0, 100, 40), Osd(1, 100, 50),
                                   Osd(2, 100, 60), Osd(3, 100, 90)};
  ReweightResult r = ReweightByUtilization(osds, ReweightParams());
  ASSERT_TRUE(r.valid) << r.error;
  EXPECT_DOUBLE_EQ(r.average_util, 0.6);
  EXPECT_DOUBLE_EQ(r.overload_util, 0.72);
  EXPECT_EQ(r.num_changed, 1);
  ASSERT_EQ(r.new_weights.size(), 1u);
  // trunc(0.6/0.9f * 65536) = 43690, bounded by the step: 65536 - 3276.
  EXPECT_EQ(r.new_weights.at(3), 62260u);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.4f", r.new_weights.at(3) / 65536.0);
  EXPECT_STREQ(buf, "0.9500");
}

TEST(ReweightTest, UnderloadedOsdBelowOneIsRaised) {
  std::vector<ReweightOsd> osds = {Osd(0, 100, 40, 52428), Osd(1, 100, 50),
                                   Osd(2, 100, 60), Osd(3, 100, 90)};
  ReweightResult r = ReweightByUtilization(osds, ReweightParams());
  ASSERT_TRUE(r.valid);
  EXPECT_EQ(r.num_changed, 2);
  EXPECT_EQ(r.new_weights.at(3), 62260u);
  // min(trunc(1.5 * 52428), 52428 + 3276) = 55704 -> 0.8500
  EXPECT_EQ(r.new_weights.at(0), 55704u);
  ReweightParams p;
  p.no_increasing = true;
  r = ReweightByUtilization(osds, p);
  EXPECT_EQ(r.num_changed, 1);
  EXPECT_EQ(r.new_weights.count(0), 0u);
}

TEST(ReweightTest, MaxOsdsCountsInVisitOrder) {
  std::vector<ReweightOsd> osds = {Osd(0, 100, 40, 52428), Osd(1, 100, 50),
                                   Osd(2, 100, 60), Osd(3, 100, 90)};
  ReweightParams p;
  p.max_osds = 1;
  ReweightResult r = ReweightByUtilization(osds, p);
  EXPECT_EQ(r.num_changed, 1);
  ASSERT_EQ(r.new_weights.size(), 1u);
  EXPECT_EQ(r.new_weights.count(3), 1u);  // |0.9 - 0.6| is largest
}

TEST(ReweightTest, LargeMaxChangeUsesTheRatio) {
  std::vector<ReweightOsd> osds = {Osd(0, 100, 40), Osd(1, 100, 50),
                                   Osd(2, 100, 60), Osd(3, 100, 90)};
  ReweightParams p;
  p.max_change = 1.0;
  ReweightResult r = ReweightByUtilization(osds, p);
  EXPECT_EQ(r.new_weights.at(3), 43690u);
}

TEST(ReweightTest, OutOsdCountsInTheAverageButNeverChanges) {
  // An out OSD keeps an osd_stat entry with zero stats and reweight 0.
  std::vector<ReweightOsd> osds = {Osd(0, 100, 40),
                                   Osd(1, 100, 50),
                                   Osd(2, 100, 60),
                                   Osd(3, 100, 90),
                                   {4, 0, 0, 0}};
  ReweightResult r = ReweightByUtilization(osds, ReweightParams());
  ASSERT_TRUE(r.valid);
  EXPECT_DOUBLE_EQ(r.average_util, 0.6);
  EXPECT_EQ(r.new_weights.count(4), 0u);
  EXPECT_EQ(r.new_weights.at(3), 62260u);
  // A reweight-0 OSD with data is skipped as well.
  osds[3].weight = 0;
  r = ReweightByUtilization(osds, ReweightParams());
  EXPECT_EQ(r.num_changed, 0);
}

TEST(ReweightTest, ZeroSizeAndEmptyOsdsAreLeftAlone) {
  std::vector<ReweightOsd> osds = {
      Osd(0, 100, 0, 30000), Osd(1, 100, 90), {2, 0, 0, kOsdIn}};
  ReweightResult r = ReweightByUtilization(osds, ReweightParams());
  ASSERT_TRUE(r.valid);
  EXPECT_EQ(r.new_weights.count(0), 0u);  // util 0: Ceph casts inf -> 0
  EXPECT_EQ(r.new_weights.count(2), 0u);  // no capacity
  EXPECT_EQ(r.new_weights.count(1), 1u);
}

TEST(ReweightTest, BalancedClusterChangesNothing) {
  std::vector<ReweightOsd> osds = {Osd(0, 100, 60), Osd(1, 200, 120),
                                   Osd(2, 50, 30)};
  ReweightResult r = ReweightByUtilization(osds, ReweightParams());
  ASSERT_TRUE(r.valid);
  EXPECT_EQ(r.num_changed, 0);
  EXPECT_TRUE(r.new_weights.empty());
}

TEST(ReweightTest, GuardsAndBadParameters) {
  // 4 OSDs with 300 MiB used in total: 75 MiB per OSD < 100 MiB.
  std::vector<ReweightOsd> osds;
  for (int i = 0; i < 4; ++i)
    osds.push_back({i, 1ull << 30, (1ull << 30) - (75ull << 20), kOsdIn});
  ReweightResult r = ReweightByUtilization(osds, ReweightParams());
  EXPECT_FALSE(r.valid);
  EXPECT_NE(r.error.find("kb used across all osds"), std::string::npos);
  osds = {{0, 50ull << 20, 0, kOsdIn}};
  r = ReweightByUtilization(osds, ReweightParams());
  EXPECT_FALSE(r.valid);
  EXPECT_NE(r.error.find("kb across all osds"), std::string::npos);
  r = ReweightByUtilization({}, ReweightParams());
  EXPECT_FALSE(r.valid);
  ReweightParams p;
  p.oload = 100;
  EXPECT_FALSE(ReweightByUtilization({Osd(0, 100, 50)}, p).valid);
  p = ReweightParams();
  p.max_change = 0;
  EXPECT_FALSE(ReweightByUtilization({Osd(0, 100, 50)}, p).valid);
  p = ReweightParams();
  p.max_osds = 0;
  EXPECT_FALSE(ReweightByUtilization({Osd(0, 100, 50)}, p).valid);
}

// Parity with Ceph's own answers captured next to the inputs.
struct ParityCase {
  const char* state;
  const char* file;  // test-reweight output suffix
  ReweightParams params;
};

ReweightParams Params(int64_t oload, double max_change, int64_t max_osds) {
  ReweightParams p;
  p.oload = oload;
  p.max_change = max_change;
  p.max_osds = max_osds;
  return p;
}

class ParityTest : public ::testing::TestWithParam<ParityCase> {};

TEST_P(ParityTest, DecreasesEqualCephJson) {
  const ParityCase& c = GetParam();
  Snapshot s = testing::LoadSnapshot(c.state);
  ReweightResult r = ComputeHints(s, c.params);
  ASSERT_TRUE(r.valid) << r.error;
  auto j = nlohmann::json::parse(
      testing::Fixture(std::string(c.state) + "_" + c.file + ".json"));
  EXPECT_NEAR(r.average_util, j["average_utilization"].get<double>(), 1e-15);
  EXPECT_NEAR(r.overload_util, j["overload_utilization"].get<double>(), 1e-15);
  std::map<int, uint32_t> decreases;
  std::map<int, uint32_t> current;
  for (const auto& o : s.osd_dump.osds) current[o.id] = o.weight_raw;
  for (const auto& [id, w] : r.new_weights)
    if (w < current[id]) decreases[id] = w;
  std::map<int, double> ceph;
  for (const auto& rw : j["reweights"])
    ceph[rw["osd"].get<int>()] = rw["new_weight"].get<double>();
  ASSERT_EQ(decreases.size(), ceph.size());
  for (const auto& [id, w] : decreases) {
    ASSERT_TRUE(ceph.count(id)) << "osd." << id;
    EXPECT_DOUBLE_EQ(w / 65536.0, ceph[id]) << "osd." << id;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Captured, ParityTest,
    ::testing::Values(
        ParityCase{"pacific_a", "test_reweight_default", ReweightParams()},
        ParityCase{"pacific_a", "test_reweight_101_0.2_8", Params(101, .2, 8)},
        ParityCase{"pacific_a", "test_reweight_110_0.1_1", Params(110, .1, 1)},
        ParityCase{"pacific_b", "test_reweight_default", ReweightParams()},
        ParityCase{"pacific_b", "test_reweight_101_0.2_8", Params(101, .2, 8)},
        ParityCase{"pacific_b", "test_reweight_110_0.1_1", Params(110, .1, 1)},
        ParityCase{"pacific_c", "test_reweight_default", ReweightParams()},
        ParityCase{"pacific_c", "test_reweight_101_0.2_8", Params(101, .2, 8)},
        ParityCase{"pacific_c", "test_reweight_110_0.1_1",
                   Params(110, .1, 1)}));

// The text output lists increases too, in visit order.
TEST(ParityTextTest, AllChangesEqualCephText) {
  for (const char* state : {"pacific_a", "pacific_b", "pacific_c"}) {
    SCOPED_TRACE(state);
    Snapshot s = testing::LoadSnapshot(state);
    ReweightResult r = ComputeHints(s, Params(101, .2, 8));
    std::string text =
        testing::Fixture(std::string(state) + "_test_reweight_101_0.2_8.txt");
    std::regex line(R"(osd\.(\d+) weight ([0-9.]+) -> ([0-9.]+))");
    std::map<int, std::string> ceph;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), line);
         it != std::sregex_iterator(); ++it)
      ceph[std::stoi((*it)[1])] = (*it)[3];
    ASSERT_FALSE(ceph.empty());
    std::map<int, std::string> ours;
    for (const auto& [id, w] : r.new_weights) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%.4f", w / 65536.0);
      ours[id] = buf;
    }
    EXPECT_EQ(ours, ceph);
    EXPECT_EQ(r.num_changed, static_cast<int>(ceph.size()));
  }
}

}  // namespace
}  // namespace ceph
