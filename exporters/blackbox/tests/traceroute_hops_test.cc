// The traceroute prober's pure part: hop aggregation, where the path ends,
// the path id, the series and the mtr-style report.
#include "traceroute_hops.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "test_kit.h"

namespace exporterd::blackbox::traceroute {
namespace {

TEST(TracerouteHops, StatsOfOneHop) {
  HopStats h;
  h.ttl = 2;
  h.AddSent();
  h.AddAnswer("10.0.0.1", 0.002);
  h.AddSent();
  h.AddAnswer("10.0.0.1", 0.004);
  h.AddSent();
  h.AddAnswer("10.0.0.1", 0.003);
  h.AddSent();  // lost
  EXPECT_EQ(h.sent, 4);
  EXPECT_EQ(h.received, 3);
  EXPECT_DOUBLE_EQ(h.Loss(), 0.25);
  EXPECT_DOUBLE_EQ(h.last, 0.003);
  EXPECT_DOUBLE_EQ(h.best, 0.002);
  EXPECT_DOUBLE_EQ(h.worst, 0.004);
  EXPECT_NEAR(h.Avg(), 0.003, 1e-12);
  // Sample standard deviation of 2, 4, 3 ms: 1 ms.
  EXPECT_NEAR(h.StdDev(), 0.001, 1e-12);
  EXPECT_EQ(h.Address(), "10.0.0.1");
}

TEST(TracerouteHops, SilentAndSingleAnswerHops) {
  HopStats silent;
  silent.AddSent();
  silent.AddSent();
  EXPECT_EQ(silent.Address(), "*");
  EXPECT_DOUBLE_EQ(silent.Loss(), 1);
  EXPECT_DOUBLE_EQ(silent.StdDev(), 0);
  HopStats none;  // nothing sent (cut by the deadline)
  EXPECT_DOUBLE_EQ(none.Loss(), 1);
  HopStats one;
  one.AddSent();
  one.AddAnswer("fd00::1", 0.5);
  EXPECT_DOUBLE_EQ(one.StdDev(), 0);
  EXPECT_DOUBLE_EQ(one.Loss(), 0);
}

TEST(TracerouteHops, SeveralRespondersMostAnswersThenFirst) {
  HopStats h;
  for (const char* a : {"10.0.0.2", "10.0.0.3", "10.0.0.3"}) {
    h.AddSent();
    h.AddAnswer(a, 0.001);
  }
  EXPECT_EQ(h.Address(), "10.0.0.3");  // 2 answers beat 1
  HopStats tie;
  for (const char* a : {"10.0.0.9", "10.0.0.2"}) {
    tie.AddSent();
    tie.AddAnswer(a, 0.001);
  }
  EXPECT_EQ(tie.Address(), "10.0.0.9");  // the first to answer
  ASSERT_EQ(tie.responders.size(), 2u);
}

TEST(TracerouteHops, StopsAtTheDestination) {
  Trace t(1, 30);
  // Round one: TTL 1..5 sent before the destination was known.
  t.Answered(1, "10.1.1.1", 0.001, false, false);
  t.Answered(2, "10.1.2.2", 0.002, false, false);
  t.Answered(3, "10.1.3.2", 0.003, true, false);
  t.Answered(4, "10.1.3.2", 0.003, true, false);
  t.Lost(5);
  // Round two.
  t.Lost(1);
  t.Answered(2, "10.1.2.2", 0.002, false, false);
  t.Answered(3, "10.1.3.2", 0.003, true, false);
  EXPECT_TRUE(t.reached());
  EXPECT_EQ(t.destination_hop(), 3);
  EXPECT_EQ(t.LastHop(), 3);
  auto hops = t.Hops();
  ASSERT_EQ(hops.size(), 3u);
  EXPECT_EQ(hops[0].ttl, 1);
  EXPECT_DOUBLE_EQ(hops[0].Loss(), 0.5);
  EXPECT_EQ(hops[1].Address(), "10.1.2.2");
  EXPECT_EQ(hops[2].Address(), "10.1.3.2");
  EXPECT_EQ(hops[2].sent, 2);
}

TEST(TracerouteHops, NotReachedReportsEveryHop) {
  Trace t(2, 6);
  t.Answered(2, "10.1.2.2", 0.002, false, false);
  for (int ttl = 3; ttl <= 6; ++ttl) t.Lost(ttl);
  EXPECT_FALSE(t.reached());
  EXPECT_EQ(t.LastHop(), 6);
  auto hops = t.Hops();
  ASSERT_EQ(hops.size(), 5u);
  EXPECT_EQ(hops.front().ttl, 2);
  EXPECT_EQ(hops.back().ttl, 6);
  EXPECT_EQ(hops.back().Address(), "*");
}

TEST(TracerouteHops, UnreachableEndsThePath) {
  Trace t(1, 30);
  t.Answered(1, "10.1.1.1", 0.001, false, false);
  t.Answered(2, "10.1.2.2", 0.002, false, /*unreachable=*/true);
  t.Lost(3);
  EXPECT_FALSE(t.reached());
  EXPECT_EQ(t.unreachable_hop(), 2);
  EXPECT_EQ(t.LastHop(), 2);
  EXPECT_EQ(t.Hops().size(), 2u);
}

TEST(TracerouteHops, PathIdStableAndSensitive) {
  auto path = [](std::vector<std::string> addrs) {
    Trace t(1, 30);
    int ttl = 1;
    for (const auto& a : addrs) {
      if (a == "*")
        t.Lost(ttl);
      else
        t.Answered(ttl, a, 0.001, ttl == static_cast<int>(addrs.size()), false);
      ++ttl;
    }
    return PathId(t.Hops());
  };
  const uint32_t a = path({"10.0.0.1", "10.0.0.2", "10.0.0.3"});
  EXPECT_EQ(a, path({"10.0.0.1", "10.0.0.2", "10.0.0.3"}));
  EXPECT_NE(a, path({"10.0.0.1", "10.0.0.9", "10.0.0.3"}));
  EXPECT_NE(a, path({"10.0.0.1", "*", "10.0.0.3"}));
  EXPECT_NE(a, path({"10.0.0.1", "10.0.0.3"}));
  // Not a plain concatenation: the split between hops counts.
  EXPECT_NE(path({"10.0.0.1", "1.1.1.1"}), path({"10.0.0.11", ".1.1.1"}));
  // FNV-1a 32 of "" is its offset basis; of "*\n" computed by hand below.
  EXPECT_EQ(PathId({}), 2166136261u);
  uint32_t h = 2166136261u;
  for (unsigned char c : std::string("*\n")) {
    h ^= c;
    h *= 16777619u;
  }
  HopStats silent;
  silent.ttl = 1;
  silent.AddSent();
  EXPECT_EQ(PathId({silent}), h);
}

TEST(TracerouteHops, MtrReportLayout) {
  Trace t(1, 30);
  t.Answered(1, "10.201.1.1", 0.0001, false, false);
  t.Answered(1, "10.201.1.1", 0.0003, false, false);
  t.Lost(2);
  t.Lost(2);
  t.Answered(3, "10.201.3.2", 0.0012, true, false);
  t.Answered(3, "10.201.3.9", 0.0010, false, false);
  const std::string r = MtrReport("hostA", t.Hops());
  std::istringstream in(r);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 5u) << r;
  EXPECT_EQ(lines[0].rfind("HOST: hostA", 0), 0u) << r;
  for (const char* col :
       {"Loss%", "Snt", "Last", "Avg", "Best", "Wrst", "StDev"})
    EXPECT_NE(lines[0].find(col), std::string::npos) << col;
  // Columns line up under the header: each value ends where its name does.
  auto fields = [](const std::string& l) {
    std::vector<std::string> f;
    std::istringstream s(l);
    for (std::string w; s >> w;) f.push_back(w);
    return f;
  };
  auto f1 = fields(lines[1]);
  ASSERT_EQ(f1.size(), 9u) << lines[1];
  EXPECT_EQ(f1[0], "1.|--");
  EXPECT_EQ(f1[1], "10.201.1.1");
  EXPECT_EQ(f1[2], "0.0%");
  EXPECT_EQ(f1[3], "2");
  EXPECT_EQ(f1[4], "0.3");  // last, ms
  EXPECT_EQ(f1[5], "0.2");  // avg
  EXPECT_EQ(f1[6], "0.1");  // best
  EXPECT_EQ(f1[7], "0.3");  // worst
  EXPECT_EQ(f1[8], "0.1");  // stddev of 0.1, 0.3 ms: 0.141
  EXPECT_EQ(lines[0].find("Loss%") + 5, lines[1].find("0.0%") + 4) << r;
  EXPECT_EQ(lines[0].find("StDev") + 5, lines[1].size()) << r;
  auto f2 = fields(lines[2]);
  ASSERT_EQ(f2.size(), 9u) << lines[2];
  EXPECT_EQ(f2[1], "???");
  EXPECT_EQ(f2[2], "100.0%");
  EXPECT_EQ(f2[3], "2");
  // Hop 3: two responders with one answer each: the first is the hop's,
  // the other on its own line.
  auto f3 = fields(lines[3]);
  EXPECT_EQ(f3[1], "10.201.3.2");
  EXPECT_NE(lines[4].find("10.201.3.9"), std::string::npos) << r;
}

TEST(TracerouteHops, Series) {
  Trace t(1, 30);
  t.Answered(1, "10.201.1.1", 0.001, false, false);
  t.Lost(2);
  t.Answered(3, "10.201.3.2", 0.003, true, false);
  std::vector<prometheus::MetricFamily> m;
  AddTraceMetrics(t, &m);
  const std::string text = exporterd::testing::Serialize(m);
  using exporterd::testing::Sample;
  EXPECT_EQ(Sample(text, "probe_traceroute_hops"), 3);
  EXPECT_EQ(Sample(text, "probe_traceroute_destination_reached"), 1);
  EXPECT_EQ(Sample(text, "probe_traceroute_path_id"),
            static_cast<double>(PathId(t.Hops())));
  EXPECT_EQ(
      Sample(text,
             "probe_traceroute_hop_info{address=\"10.201.1.1\",hop=\"1\"}"),
      1);
  EXPECT_EQ(Sample(text, "probe_traceroute_hop_info{address=\"*\",hop=\"2\"}"),
            1);
  EXPECT_EQ(Sample(text, "probe_traceroute_hop_loss_ratio{hop=\"2\"}"), 1);
  EXPECT_EQ(Sample(text, "probe_traceroute_hop_loss_ratio{hop=\"3\"}"), 0);
  EXPECT_EQ(Sample(text, "probe_traceroute_hop_rtt_max_seconds{hop=\"3\"}"),
            0.003);
  // A silent hop has no round-trip times.
  EXPECT_TRUE(std::isnan(
      Sample(text, "probe_traceroute_hop_rtt_avg_seconds{hop=\"2\"}")));
  EXPECT_EQ(exporterd::testing::PromtoolCheckMetrics(text), "") << text;
}

// One gauge family per statistic (as probe_icmp_rtt_*_seconds), each
// labelled by hop only: sum() or avg() over any of their labels means
// something.
TEST(TracerouteHops, OneGaugePerRttStatistic) {
  Trace t(1, 30);
  for (double rtt : {0.002, 0.004, 0.003})
    t.Answered(1, "10.0.0.1", rtt, false, false);
  t.Lost(1);
  t.Answered(2, "10.0.0.2", 0.005, true, false);
  std::vector<prometheus::MetricFamily> m;
  AddTraceMetrics(t, &m);
  const std::string text = exporterd::testing::Serialize(m);
  using exporterd::testing::Sample;
  const std::map<std::string, double> hop1 = {{"last", 0.003},
                                              {"min", 0.002},
                                              {"avg", 0.003},
                                              {"max", 0.004},
                                              {"stddev", 0.001}};
  for (const auto& [stat, want] : hop1) {
    const std::string name = "probe_traceroute_hop_rtt_" + stat + "_seconds";
    EXPECT_NEAR(Sample(text, name + "{hop=\"1\"}"), want, 1e-12) << name;
    EXPECT_NEAR(Sample(text, name + "{hop=\"2\"}"),
                stat == "stddev" ? 0.0 : 0.005, 1e-12)
        << name;
    bool found = false;
    for (const auto& f : m) {
      if (f.name != name) continue;
      found = true;
      EXPECT_EQ(f.type, prometheus::MetricType::Gauge) << name;
      ASSERT_EQ(f.metric.size(), 2u) << name;
      for (const auto& s : f.metric) {
        ASSERT_EQ(s.label.size(), 1u) << name;
        EXPECT_EQ(s.label[0].name, "hop") << name;
      }
    }
    EXPECT_TRUE(found) << name;
  }
  // No family with a stat label is left.
  EXPECT_EQ(text.find("stat=\""), std::string::npos) << text;
  EXPECT_EQ(text.find("probe_traceroute_hop_rtt_seconds"), std::string::npos);
}

}  // namespace
}  // namespace exporterd::blackbox::traceroute
