// Family merging, serialization and gzip negotiation.
#include "exposition.h"

#include <gtest/gtest.h>
#include <zlib.h>

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
  auto m = MergeFamilies({&a, &b}, &problems);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].name, "alpha");
  EXPECT_EQ(m[0].metric.size(), 2u);
  EXPECT_EQ(m[1].name, "zeta");
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
  auto m = MergeFamilies({&a, &b}, &problems);
  ASSERT_EQ(m.size(), 1u);
  ASSERT_EQ(m[0].metric.size(), 1u);
  EXPECT_EQ(m[0].metric[0].gauge.value, 1);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "duplicate series in family x; kept the first");
}

TEST(MergeTest, TypeConflictKeepsFirst) {
  std::vector<MetricFamily> a = {Gauge("x", {{"1", 1}})};
  MetricFamily c = Gauge("x", {{"2", 2}});
  c.type = MetricType::Counter;
  std::vector<MetricFamily> b = {c};
  std::vector<std::string> problems;
  auto m = MergeFamilies({&a, &b}, &problems);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].type, MetricType::Gauge);
  EXPECT_EQ(m[0].metric.size(), 1u);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("type counter in one source and gauge"),
            std::string::npos);
}

TEST(SerializeTest, TextFormat) {
  std::vector<MetricFamily> f = {Gauge("x", {{"a\"b", 1.5}})};
  EXPECT_EQ(Serialize(f),
            "# HELP x help for x\n# TYPE x gauge\nx{id=\"a\\\"b\"} 1.5\n");
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
