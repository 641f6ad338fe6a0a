#include "ceph_json.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"

namespace ceph {
namespace {

using testing::Fixture;

TEST(SanitizeTest, BareInfNanBecomeNull) {
  EXPECT_EQ(SanitizeCephJson(R"({"a": inf, "b": -nan, "c": nan, "d": -inf})"),
            R"({"a": null, "b": null, "c": null, "d": null})");
  // Inside strings and inside other words: untouched.
  EXPECT_EQ(SanitizeCephJson(R"({"inf": "nan -inf", "x": true, "e": 1e5})"),
            R"({"inf": "nan -inf", "x": true, "e": 1e5})");
  EXPECT_EQ(SanitizeCephJson(R"(["a\"inf", Infinity, NaN])"),
            R"(["a\"inf", null, null])");
  // An escaped backslash ends the string; the token after it is bare.
  EXPECT_EQ(SanitizeCephJson(R"(["a\\", inf, "\\\"nan"])"),
            R"(["a\\", null, "\\\"nan"])");
  EXPECT_EQ(SanitizeCephJson(R"({"x": "unterminated inf)"),
            R"({"x": "unterminated inf)");
}

TEST(OsdDfTest, PacificCapture) {
  OsdDf df;
  std::string err;
  ASSERT_TRUE(ParseOsdDf(Fixture("pacific_a_osd_df.json"), &df, &err)) << err;
  ASSERT_EQ(df.nodes.size(), 4u);
  const OsdDfNode& n0 = df.nodes[0];
  EXPECT_EQ(n0.id, 0);
  EXPECT_EQ(n0.name, "osd.0");
  EXPECT_EQ(n0.device_class, "hdd");
  EXPECT_DOUBLE_EQ(n0.crush_weight, 1.0);
  EXPECT_DOUBLE_EQ(n0.reweight, 1.0);
  EXPECT_EQ(n0.kb, 262144u);  // 256 MiB memstore
  EXPECT_GT(n0.kb_used, 0u);
  EXPECT_NEAR(n0.utilization_pct, 53.41, 0.01);
  EXPECT_EQ(n0.pgs, 36);
  EXPECT_EQ(n0.status, "up");
  EXPECT_NEAR(df.average_utilization_pct, 17.14, 0.01);
  EXPECT_NEAR(df.dev_pct, 19.21, 0.01);
  EXPECT_EQ(df.total_kb, 262144u + 524288u + 2 * 1048576u);
}

TEST(OsdDfTest, OutOsdHasZeroes) {
  OsdDf df;
  std::string err;
  ASSERT_TRUE(ParseOsdDf(Fixture("pacific_c_osd_df.json"), &df, &err)) << err;
  ASSERT_EQ(df.nodes.size(), 4u);
  EXPECT_EQ(df.nodes[2].id, 2);
  EXPECT_EQ(df.nodes[2].kb, 0u);
  EXPECT_DOUBLE_EQ(df.nodes[2].reweight, 0);
}

TEST(OsdDfTest, TreeOutputSkipsBucketsAndDuplicates) {
  const char* j = R"({"nodes":[
    {"id":-1,"name":"default","type":"root","children":[-3]},
    {"id":1,"name":"osd.1","type":"osd","crush_weight":2,"reweight":1,
     "kb":100,"kb_used":50,"utilization":50.0,"var":-nan,"pgs":3},
    {"id":1,"name":"osd.1","type":"osd","crush_weight":2,"reweight":1}],
    "stray":[{"id":7,"name":"osd.7","type_id":0,"kb":0,"utilization":inf}],
    "summary":{"average_utilization":nan}})";
  OsdDf df;
  std::string err;
  ASSERT_TRUE(ParseOsdDf(j, &df, &err)) << err;
  ASSERT_EQ(df.nodes.size(), 2u);
  EXPECT_EQ(df.nodes[0].id, 1);
  EXPECT_EQ(df.nodes[0].var, 0);
  EXPECT_EQ(df.nodes[0].device_class, "");
  EXPECT_EQ(df.nodes[1].id, 7);
  EXPECT_EQ(df.average_utilization_pct, 0);
}

TEST(OsdDfTest, Rejects) {
  OsdDf df;
  std::string err;
  EXPECT_FALSE(ParseOsdDf("{", &df, &err));
  EXPECT_EQ(err, "invalid JSON");
  EXPECT_FALSE(ParseOsdDf(R"({"summary":{}})", &df, &err));
  EXPECT_FALSE(ParseOsdDf("[]", &df, &err));
}

TEST(OsdDumpTest, PacificCapture) {
  OsdDump d;
  std::string err;
  ASSERT_TRUE(ParseOsdDump(Fixture("pacific_b_osd_dump.json"), &d, &err))
      << err;
  EXPECT_GT(d.epoch, 0);
  EXPECT_DOUBLE_EQ(d.full_ratio, 0.95);
  EXPECT_DOUBLE_EQ(d.backfillfull_ratio, 0.9);
  EXPECT_DOUBLE_EQ(d.nearfull_ratio, 0.85);
  ASSERT_EQ(d.osds.size(), 4u);
  EXPECT_TRUE(d.osds[0].up);
  EXPECT_TRUE(d.osds[0].in);
  EXPECT_EQ(d.osds[0].weight_raw, 0x10000u);
  // `ceph osd reweight 2 0.8` stores 0xcccc, `3 0.9` 0xe666.
  EXPECT_EQ(d.osds[2].weight_raw, 0xccccu);
  EXPECT_EQ(d.osds[3].weight_raw, 0xe666u);
}

TEST(OsdDumpTest, OutOsd) {
  OsdDump d;
  std::string err;
  ASSERT_TRUE(ParseOsdDump(Fixture("pacific_c_osd_dump.json"), &d, &err))
      << err;
  EXPECT_TRUE(d.osds[2].up);
  EXPECT_FALSE(d.osds[2].in);
  EXPECT_EQ(d.osds[2].weight_raw, 0u);
}

TEST(PgDumpOsdsTest, PacificCaptureKeepsOrder) {
  PgDumpOsds p;
  std::string err;
  ASSERT_TRUE(ParsePgDumpOsds(Fixture("pacific_a_pg_dump_osds.json"), &p, &err))
      << err;
  EXPECT_TRUE(p.pg_ready);
  ASSERT_EQ(p.osd_stats.size(), 4u);
  EXPECT_EQ(p.osd_stats[0].id, 3);  // the mgr's unordered_map order
  EXPECT_EQ(p.osd_stats[0].total, 1073741824u);
  EXPECT_EQ(p.osd_stats[0].available, 917798018u);
  EXPECT_EQ(p.osd_stats[0].num_pgs, 38);
}

TEST(PgDumpOsdsTest, OldShapesAndNotReady) {
  PgDumpOsds p;
  std::string err;
  ASSERT_TRUE(ParsePgDumpOsds(R"([{"osd":1,"kb":4,"kb_avail":1}])", &p, &err));
  ASSERT_EQ(p.osd_stats.size(), 1u);
  EXPECT_EQ(p.osd_stats[0].total, 4096u);
  EXPECT_EQ(p.osd_stats[0].available, 1024u);
  ASSERT_TRUE(
      ParsePgDumpOsds(R"({"pg_ready":false,"osd_stats":[]})", &p, &err));
  EXPECT_FALSE(p.pg_ready);
  EXPECT_FALSE(ParsePgDumpOsds(R"({"pg_ready":true})", &p, &err));
}

TEST(DfTest, PacificCapture) {
  DfStats s;
  std::string err;
  ASSERT_TRUE(ParseDf(Fixture("pacific_b_df.json"), &s, &err)) << err;
  EXPECT_EQ(s.total_bytes, 2952790016u);
  EXPECT_EQ(s.total_used_raw_bytes, 506113546u);
  EXPECT_EQ(s.total_avail_bytes + s.total_used_raw_bytes, s.total_bytes);
}

TEST(HealthTest, Shapes) {
  int st = -1;
  std::string err;
  ASSERT_TRUE(ParseHealthStatus(Fixture("pacific_a_health.json"), &st, &err));
  EXPECT_EQ(st, 0);
  ASSERT_TRUE(ParseHealthStatus(
      R"({"status":"HEALTH_WARN","checks":{"PG_DEGRADED":{"severity":)"
      R"("HEALTH_WARN","summary":{"message":"1 pg degraded","count":1},)"
      R"("muted":false}},"mutes":[]})",
      &st, &err));
  EXPECT_EQ(st, 1);
  ASSERT_TRUE(
      ParseHealthStatus(R"({"health":{"status":"HEALTH_ERR"}})", &st, &err));
  EXPECT_EQ(st, 2);
  ASSERT_TRUE(
      ParseHealthStatus(R"({"overall_status":"HEALTH_WARN"})", &st, &err));
  EXPECT_EQ(st, 1);
  EXPECT_FALSE(ParseHealthStatus(R"({"status":"HEALTH_MAYBE"})", &st, &err));
}

}  // namespace
}  // namespace ceph
