// Family merging, serialization and gzip negotiation.
#include "exposition.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <zlib.h>

#include <limits>
#include <sstream>

namespace exporterd {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Gauge(const std::string& name,
                   std::vector<std::pair<std::string, double>> series) {
  MetricFamily f;
  f.name = name;
  f.help = "help for " + name;
  f.type = MetricType::Gauge;
  for (const auto& [label, v] : series) {
    ClientMetric m;
    m.label.push_back({"id", label});
    m.gauge.value = v;
    f.metric.push_back(m);
  }
  return f;
}

TEST(MergeTest, SortsAndMergesByName) {
  std::vector<MetricFamily> a = {Gauge("zeta", {{"1", 1}}),
                                 Gauge("alpha", {{"1", 1}})};
  std::vector<MetricFamily> b = {Gauge("alpha", {{"2", 2}})};
  std::vector<std::string> problems;
  auto merged = MergeFamilies({&a, &b}, &problems);
  auto& m = merged.families;
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0]->name, "alpha");
  EXPECT_EQ(m[0]->metric.size(), 2u);
  EXPECT_EQ(m[1]->name, "zeta");
  EXPECT_EQ(m[1], &a[0]);  // single source: served without a copy
  EXPECT_TRUE(problems.empty());
}

TEST(MergeTest, DropsDuplicateSeriesRegardlessOfLabelOrder) {
  MetricFamily f1 = Gauge("x", {});
  ClientMetric m1;
  m1.label = {{"a", "1"}, {"b", "2"}};
  m1.gauge.value = 1;
  f1.metric.push_back(m1);
  MetricFamily f2 = Gauge("x", {});
  ClientMetric m2;
  m2.label = {{"b", "2"}, {"a", "1"}};
  m2.gauge.value = 2;
  f2.metric.push_back(m2);
  std::vector<MetricFamily> a = {f1}, b = {f2};
  std::vector<std::string> problems;
  auto merged = MergeFamilies({&a, &b}, &problems);
  auto& m = merged.families;
  ASSERT_EQ(m.size(), 1u);
  ASSERT_EQ(m[0]->metric.size(), 1u);
  EXPECT_EQ(m[0]->metric[0].gauge.value, 1);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "duplicate series in family x; kept the first");
}

TEST(MergeTest, TypeConflictKeepsFirst) {
  std::vector<MetricFamily> a = {Gauge("x", {{"1", 1}})};
  MetricFamily c = Gauge("x", {{"2", 2}});
  c.type = MetricType::Counter;
  std::vector<MetricFamily> b = {c};
  std::vector<std::string> problems;
  auto merged = MergeFamilies({&a, &b}, &problems);
  auto& m = merged.families;
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]->type, MetricType::Gauge);
  EXPECT_EQ(m[0]->metric.size(), 1u);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("type counter in one source and gauge"),
            std::string::npos);
}

TEST(SerializeTest, TextFormat) {
  std::vector<MetricFamily> f = {Gauge("x", {{"a\"b", 1.5}})};
  EXPECT_EQ(Serialize(f),
            "# HELP x help for x\n# TYPE x gauge\nx{id=\"a\\\"b\"} 1.5\n");
}

TEST(SerializeTest, EveryTypeEscapingAndSpecialValues) {
  MetricFamily c;
  c.name = "c_total";
  c.help = "multi\nline \\ help";
  c.type = MetricType::Counter;
  c.metric.emplace_back();
  c.metric.back().counter.value = 1e21;
  c.metric.back().timestamp_ms = 1700000000123;
  MetricFamily u;
  u.name = "u";
  u.help = "untyped";
  u.metric.emplace_back();
  u.metric.back().label = {{"path", "C:\\x\n\"q\""}};
  u.metric.back().untyped.value = std::numeric_limits<double>::quiet_NaN();
  MetricFamily h;
  h.name = "h_seconds";
  h.help = "histogram";
  h.type = MetricType::Histogram;
  h.metric.emplace_back();
  h.metric.back().label = {{"op", "get"}};
  h.metric.back().histogram.sample_count = 3;
  h.metric.back().histogram.sample_sum = 0.75;
  h.metric.back().histogram.bucket = {{1, 0.1}, {2, 0.5}};
  MetricFamily s;
  s.name = "s";
  s.help = "summary";
  s.type = MetricType::Summary;
  s.metric.emplace_back();
  s.metric.back().summary.sample_count = 10;
  s.metric.back().summary.sample_sum = -std::numeric_limits<double>::infinity();
  s.metric.back().summary.quantile = {{0.5, 2}, {0.99, 0.001}};
  EXPECT_EQ(Serialize({c, u, h, s}),
            "# HELP c_total multi\\nline \\\\ help\n"
            "# TYPE c_total counter\n"
            "c_total 1e+21 1700000000123\n"
            "# HELP u untyped\n"
            "# TYPE u untyped\n"
            "u{path=\"C:\\\\x\\n\\\"q\\\"\"} NaN\n"
            "# HELP h_seconds histogram\n"
            "# TYPE h_seconds histogram\n"
            "h_seconds_bucket{op=\"get\",le=\"0.1\"} 1\n"
            "h_seconds_bucket{op=\"get\",le=\"0.5\"} 2\n"
            "h_seconds_bucket{op=\"get\",le=\"+Inf\"} 3\n"
            "h_seconds_sum{op=\"get\"} 0.75\n"
            "h_seconds_count{op=\"get\"} 3\n"
            "# HELP s summary\n"
            "# TYPE s summary\n"
            "s{quantile=\"0.5\"} 2\n"
            "s{quantile=\"0.99\"} 0.001\n"
            "s_sum -Inf\n"
            "s_count 10\n");
}

// Where number formatting cannot differ, the output is byte for byte what
// prometheus-cpp's own serializer writes.
TEST(SerializeTest, MatchesPrometheusCppSerializer) {
  std::vector<MetricFamily> f = {Gauge("g", {{"a", 1}, {"b", 0.5}, {"c", 42}})};
  MetricFamily c = Gauge("c_total", {{"x", 7}});
  c.type = MetricType::Counter;
  c.metric[0].counter.value = 7;
  f.push_back(c);
  std::ostringstream ref;
  prometheus::TextSerializer().Serialize(ref, f);
  EXPECT_EQ(Serialize(f), ref.str());
}

TEST(GzipTest, AcceptEncodingNegotiation) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, gzip;q=1.0, *;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("GZIP"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("br, deflate"));
}

TEST(GzipTest, RoundTrips) {
  std::string in;
  for (int i = 0; i < 10000; ++i)
    in += "metric{i=\"" + std::to_string(i) + "\"} 1\n";
  std::string z;
  ASSERT_TRUE(Gzip(in, &z));
  EXPECT_EQ(static_cast<unsigned char>(z[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(z[1]), 0x8b);
  std::string out(in.size(), '\0');
  uLongf len = out.size();
  z_stream zs{};
  inflateInit2(&zs, 31);
  zs.next_in = reinterpret_cast<Bytef*>(z.data());
  zs.avail_in = static_cast<uInt>(z.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(len);
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  inflateEnd(&zs);
  EXPECT_EQ(out, in);
}

}  // namespace
}  // namespace exporterd
