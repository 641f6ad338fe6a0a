#include "ceph_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

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
  EXPECT_EQ(err.rfind("invalid JSON: ", 0), 0u) << err;
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

// Bare inf/nan make the fast parse fail; the retry on the sanitised text
// must then succeed, for every parser, with the tokens read as absent.
TEST(RetryTest, BareNonFiniteInEveryDocument) {
  std::string err;
  OsdDump d;
  ASSERT_TRUE(
      ParseOsdDump(R"({"epoch":3,"full_ratio":nan,"nearfull_ratio":0.85,)"
                   R"("osds":[{"osd":0,"up":1,"in":1,"weight":-nan},)"
                   R"({"osd":1,"up":1,"in":1,"weight":inf,"note":"inf nan"}]})",
                   &d, &err))
      << err;
  EXPECT_EQ(d.epoch, 3);
  EXPECT_TRUE(std::isnan(d.full_ratio));  // absent: no metric
  EXPECT_TRUE(std::isnan(d.backfillfull_ratio));
  EXPECT_DOUBLE_EQ(d.nearfull_ratio, 0.85);
  ASSERT_EQ(d.osds.size(), 2u);
  EXPECT_EQ(d.osds[0].weight, 0);
  EXPECT_EQ(d.osds[1].weight, 0);
  PgDumpOsds p;
  ASSERT_TRUE(ParsePgDumpOsds(R"({"osd_stats":[{"osd":2,"num_pgs":5,"x":-inf,)"
                              R"("statfs":{"total":1000,"available":NaN}}]})",
                              &p, &err))
      << err;
  ASSERT_EQ(p.osd_stats.size(), 1u);
  EXPECT_EQ(p.osd_stats[0].total, 1000u);
  EXPECT_EQ(p.osd_stats[0].available, 0u);
  DfStats s;
  ASSERT_TRUE(ParseDf(R"({"stats":{"total_bytes":10,"total_used_bytes":4,)"
                      R"("total_used_raw_bytes":Infinity}})",
                      &s, &err))
      << err;
  EXPECT_EQ(s.total_used_raw_bytes, 4u);  // null: falls back to used
  int st = -1;
  ASSERT_TRUE(ParseHealthStatus(R"({"status":"HEALTH_OK","x":nan})", &st, &err))
      << err;
  EXPECT_EQ(st, 0);
}

TEST(RetryTest, InvalidForOtherReasonsStillFails) {
  OsdDf df;
  std::string err;
  EXPECT_FALSE(ParseOsdDf(R"({"nodes":[{"id":1,"var":nan},]})", &df, &err));
  EXPECT_EQ(err.rfind("invalid JSON: ", 0), 0u) << err;
  err.clear();
  // "nan" only inside a string: nothing to sanitise, still an error.
  EXPECT_FALSE(ParseOsdDf(R"({"nodes":["nan" 1]})", &df, &err));
  EXPECT_FALSE(err.empty());
  err.clear();
  EXPECT_FALSE(ParseOsdDf(R"({"nodes":[nonsense]})", &df, &err));
  EXPECT_FALSE(err.empty());
}

// Ceph prints some numbers as ints or floats depending on the release.
TEST(NumbersTest, IntsAndFloatsEverywhere) {
  std::string err;
  OsdDf df;
  ASSERT_TRUE(ParseOsdDf(
      R"({"nodes":[{"id":1.0,"type":"osd","crush_weight":2,"reweight":1,)"
      R"("kb":1024.0,"kb_used":512.9,"kb_avail":-5,"utilization":50,)"
      R"("var":1,"pgs":12.0},)"
      R"({"id":2,"crush_weight":18446744073709551615,"kb":1e30,"pgs":-3}],)"
      R"("summary":{"total_kb":2048.0,"average_utilization":17,"dev":0}})",
      &df, &err))
      << err;
  ASSERT_EQ(df.nodes.size(), 2u);
  const OsdDfNode& a = df.nodes[0];
  EXPECT_EQ(a.id, 1);
  EXPECT_EQ(a.name, "osd.1");
  EXPECT_DOUBLE_EQ(a.crush_weight, 2);
  EXPECT_DOUBLE_EQ(a.reweight, 1);
  EXPECT_EQ(a.kb, 1024u);
  EXPECT_EQ(a.kb_used, 512u);  // truncated
  EXPECT_EQ(a.kb_avail, 0u);   // negative: 0
  EXPECT_DOUBLE_EQ(a.utilization_pct, 50);
  EXPECT_DOUBLE_EQ(a.var, 1);
  EXPECT_EQ(a.pgs, 12);
  const OsdDfNode& b = df.nodes[1];
  EXPECT_DOUBLE_EQ(b.crush_weight, 18446744073709551615.0);
  EXPECT_EQ(b.kb, std::numeric_limits<uint64_t>::max());  // clamped
  EXPECT_EQ(b.pgs, -3);
  EXPECT_EQ(df.total_kb, 2048u);
  EXPECT_DOUBLE_EQ(df.average_utilization_pct, 17);

  OsdDump d;
  ASSERT_TRUE(ParseOsdDump(
      R"({"epoch":7.0,"full_ratio":1,"osds":[)"
      R"({"osd":0.0,"up":true,"in":1.0,"weight":1},)"
      R"({"osd":1,"up":0,"in":false,"weight":0},)"
      R"({"osd":2,"up":"yes","in":1,"weight":18446744073709551615}]})",
      &d, &err))
      << err;
  EXPECT_EQ(d.epoch, 7);
  EXPECT_DOUBLE_EQ(d.full_ratio, 1);
  ASSERT_EQ(d.osds.size(), 3u);
  EXPECT_TRUE(d.osds[0].up);
  EXPECT_TRUE(d.osds[0].in);
  EXPECT_EQ(d.osds[0].weight_raw, 0x10000u);
  EXPECT_FALSE(d.osds[1].up);
  EXPECT_FALSE(d.osds[1].in);
  EXPECT_EQ(d.osds[1].weight_raw, 0u);
  EXPECT_FALSE(d.osds[2].up);                 // a string is not a flag
  EXPECT_EQ(d.osds[2].weight_raw, 0x10000u);  // clamped to 1

  PgDumpOsds p;
  ASSERT_TRUE(ParsePgDumpOsds(
      R"({"osd_stats":[{"osd":4.0,"num_pgs":38.0,)"
      R"("statfs":{"total":1073741824.0,"available":9007199254740993}}]})",
      &p, &err))
      << err;
  ASSERT_EQ(p.osd_stats.size(), 1u);
  EXPECT_EQ(p.osd_stats[0].id, 4);
  EXPECT_EQ(p.osd_stats[0].num_pgs, 38);
  EXPECT_EQ(p.osd_stats[0].total, 1073741824u);
  EXPECT_EQ(p.osd_stats[0].available,
            9007199254740993u);  // exact: not a double

  DfStats s;
  ASSERT_TRUE(ParseDf(R"({"stats":{"total_bytes":3.0e9,"total_used_bytes":)"
                      R"(18446744073709551615,"total_avail_bytes":-1}})",
                      &s, &err))
      << err;
  EXPECT_EQ(s.total_bytes, 3000000000u);
  EXPECT_EQ(s.total_used_bytes, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(s.total_avail_bytes, 0u);
  EXPECT_EQ(s.total_used_raw_bytes, s.total_used_bytes);  // absent
}

// Wrong types and null read as absent: the defaults stay.
TEST(NumbersTest, NullAndWrongTypesKeepDefaults) {
  std::string err;
  OsdDf df;
  ASSERT_TRUE(ParseOsdDf(
      R"({"nodes":[{"id":3,"name":null,"device_class":7,"crush_weight":"2",)"
      R"("kb":null,"pgs":[1],"status":{}}],"summary":[]})",
      &df, &err))
      << err;
  ASSERT_EQ(df.nodes.size(), 1u);
  EXPECT_EQ(df.nodes[0].name, "osd.3");
  EXPECT_EQ(df.nodes[0].device_class, "");
  EXPECT_EQ(df.nodes[0].crush_weight, 0);
  EXPECT_EQ(df.nodes[0].kb, 0u);
  EXPECT_EQ(df.nodes[0].pgs, 0);
  EXPECT_EQ(df.nodes[0].status, "");
  // An id that is not a number: not an OSD row.
  ASSERT_TRUE(
      ParseOsdDf(R"({"nodes":[{"id":"1"},{"id":null},5,"x"]})", &df, &err));
  EXPECT_TRUE(df.nodes.empty());
}

// A JSON DOM keeps the last of repeated keys; so do the parsers.
TEST(DuplicateKeysTest, LastWins) {
  std::string err;
  OsdDump d;
  ASSERT_TRUE(ParseOsdDump(
      R"({"osds":[{"osd":9}],"osds":[{"osd":1,"weight":0.5,"weight":0.25}]})",
      &d, &err))
      << err;
  ASSERT_EQ(d.osds.size(), 1u);
  EXPECT_EQ(d.osds[0].id, 1);
  EXPECT_EQ(d.osds[0].weight_raw, 0x4000u);
  OsdDf df;
  ASSERT_TRUE(ParseOsdDf(R"({"nodes":[{"id":1,"kb":5,"kb":null}]})", &df, &err))
      << err;
  ASSERT_EQ(df.nodes.size(), 1u);
  EXPECT_EQ(df.nodes[0].kb, 0u);  // the later null wins
  int st = -1;
  ASSERT_TRUE(ParseHealthStatus(
      R"({"status":"HEALTH_ERR","status":"HEALTH_WARN"})", &st, &err));
  EXPECT_EQ(st, 1);
}

TEST(PgDumpOsdsTest, PgMapNestingOrderAndShapes) {
  PgDumpOsds p;
  std::string err;
  // `pg dump` without dumpcontents: under pg_map; the order is kept.
  ASSERT_TRUE(
      ParsePgDumpOsds(R"({"pg_ready":true,"pg_map":{"version":3,"osd_stats":[)"
                      R"({"osd":5,"statfs":{"total":50,"available":5}},)"
                      R"({"osd":1,"statfs":{"total":10,"available":1}},)"
                      R"({"osd":3,"kb":3,"kb_avail":1},"junk",{"osd":-1}]}})",
                      &p, &err))
      << err;
  ASSERT_EQ(p.osd_stats.size(), 3u);
  EXPECT_EQ(p.osd_stats[0].id, 5);
  EXPECT_EQ(p.osd_stats[1].id, 1);
  EXPECT_EQ(p.osd_stats[2].id, 3);
  EXPECT_EQ(p.osd_stats[2].total, 3072u);  // pre-Mimic kB
  EXPECT_EQ(p.osd_stats[2].available, 1024u);
  // A top-level osd_stats that is not an array is not looked past.
  EXPECT_FALSE(ParsePgDumpOsds(
      R"({"osd_stats":{},"pg_map":{"osd_stats":[{"osd":1}]}})", &p, &err));
  EXPECT_FALSE(ParsePgDumpOsds(R"({"pg_map":[]})", &p, &err));
  EXPECT_FALSE(ParsePgDumpOsds(R"("osd_stats")", &p, &err));
  // pg_ready that is not a bool: ignored.
  ASSERT_TRUE(ParsePgDumpOsds(R"({"pg_ready":0,"osd_stats":[]})", &p, &err));
  EXPECT_TRUE(p.pg_ready);
}

TEST(OsdDfTest, StrayDedupAcrossSections) {
  OsdDf df;
  std::string err;
  ASSERT_TRUE(ParseOsdDf(R"({"nodes":[{"id":2,"kb":1},{"id":0,"kb":2}],)"
                         R"("stray":[{"id":2,"kb":9},{"id":4,"kb":3}]})",
                         &df, &err))
      << err;
  ASSERT_EQ(df.nodes.size(), 3u);
  EXPECT_EQ(df.nodes[0].id, 2);
  EXPECT_EQ(df.nodes[0].kb, 1u);  // the first seen wins
  EXPECT_EQ(df.nodes[1].id, 0);
  EXPECT_EQ(df.nodes[2].id, 4);
  // stray that is not an array: ignored.
  ASSERT_TRUE(ParseOsdDf(R"({"nodes":[],"stray":{}})", &df, &err)) << err;
  EXPECT_TRUE(df.nodes.empty());
}

// Every proper prefix of every capture is rejected with an error; none
// crashes (run under ASan in the sanitiser build).
TEST(RobustnessTest, TruncatedCapturesFailCleanly) {
  const char* kFiles[] = {"pacific_a_osd_df.json", "pacific_b_osd_dump.json",
                          "pacific_c_pg_dump_osds.json", "pacific_a_df.json",
                          "pacific_a_health.json"};
  for (const char* name : kFiles) {
    std::string full = Fixture(name);
    while (!full.empty() &&
           std::isspace(static_cast<unsigned char>(full.back())))
      full.pop_back();
    for (size_t n = 0; n < full.size(); ++n) {
      const std::string cut = full.substr(0, n);  // exact size: no slack
      std::string err;
      OsdDf df;
      OsdDump d;
      PgDumpOsds p;
      DfStats s;
      int st = -1;
      EXPECT_FALSE(ParseOsdDf(cut, &df, &err)) << name << " " << n;
      EXPECT_FALSE(err.empty());
      err.clear();
      EXPECT_FALSE(ParseOsdDump(cut, &d, &err)) << name << " " << n;
      EXPECT_FALSE(err.empty());
      err.clear();
      EXPECT_FALSE(ParsePgDumpOsds(cut, &p, &err)) << name << " " << n;
      EXPECT_FALSE(err.empty());
      err.clear();
      EXPECT_FALSE(ParseDf(cut, &s, &err)) << name << " " << n;
      EXPECT_FALSE(err.empty());
      err.clear();
      EXPECT_FALSE(ParseHealthStatus(cut, &st, &err)) << name << " " << n;
      EXPECT_FALSE(err.empty());
    }
  }
}

TEST(RobustnessTest, DeepNestingAndHugeNumbersFail) {
  std::string err;
  OsdDf df;
  EXPECT_FALSE(ParseOsdDf(std::string(100000, '['), &df, &err));
  EXPECT_FALSE(err.empty());
  err.clear();
  std::string deep =
      R"({"nodes":[)" + std::string(5000, '[') + std::string(5000, ']') + "]}";
  EXPECT_FALSE(ParseOsdDf(deep, &df, &err));  // past simdjson's depth limit
  EXPECT_FALSE(err.empty());
  // Integers beyond 64 bits: simdjson rejects the document (nlohmann read
  // them as doubles). Ceph prints 64-bit counters only.
  err.clear();
  PgDumpOsds p;
  EXPECT_FALSE(ParsePgDumpOsds(
      R"({"osd_stats":[{"osd":1,"statfs":{"total":18446744073709551616}}]})",
      &p, &err));
  EXPECT_EQ(err.rfind("invalid JSON: ", 0), 0u) << err;
  EXPECT_FALSE(ParsePgDumpOsds("", &p, &err));
  EXPECT_FALSE(ParsePgDumpOsds("  \n", &p, &err));
  EXPECT_FALSE(ParsePgDumpOsds("[] []", &p, &err));  // trailing content
}

// On-Demand reads only what it is asked for; the parsers still walk and
// check every value they do not use, so a document is rejected as a whole,
// as simdjson's DOM did.
TEST(RobustnessTest, UnusedValuesAreStillChecked) {
  const char* kBad[] = {
      R"({"nodes":[],"x":[1 2]})",    R"({"nodes":[],"x":{"a" 1}})",
      R"({"nodes":[],"x":nonsense})", R"({"nodes":[],"x":01})",
      R"({"nodes":[],"x":"\q"})",     R"({"nodes":[],"x":[1,]})",
      R"({"nodes":[],"x":{"a":[}]})", R"({"nodes":[],"x":{"a":1]})",
      R"({"nodes":[],"x":tru})",      R"({"nodes":[],"x\":1})",
      R"({"nodes":[],"x":{"a":{}})",  R"({"nodes":[]} {})",
      R"({"nodes":[],"x":1e400})",    R"({"nodes":[{"id":1,"x":-}]})",
  };
  for (const char* bad : kBad) {
    OsdDf df;
    std::string err;
    EXPECT_FALSE(ParseOsdDf(bad, &df, &err)) << bad;
    EXPECT_EQ(err.rfind("invalid JSON: ", 0), 0u) << bad << ": " << err;
  }
}

// simdjson 3.0.1's On-Demand get_number() reads floats of more than 19
// significant digits as 0; escapes in keys and strings; the DOM's depth
// limit (1023 nested non-empty arrays and objects, plus an empty one).
TEST(NumbersTest, LongFloatsEscapesAndDepth) {
  OsdDf df;
  std::string err;
  ASSERT_TRUE(ParseOsdDf(R"({"nodes":[{"id":1,"kb":16893488147410.53232,)"
                         R"("utilization":0.123456789012345678901234}]})",
                         &df, &err))
      << err;
  ASSERT_EQ(df.nodes.size(), 1u);
  EXPECT_EQ(df.nodes[0].kb, 16893488147410u);
  EXPECT_DOUBLE_EQ(df.nodes[0].utilization_pct, 0.123456789012345678901234);
  ASSERT_TRUE(ParseOsdDf(
      R"({"n\u006fdes":[{"i\u0064":2,"name":"osd.\u0032\n","type":"osd"}]})",
      &df, &err))
      << err;
  ASSERT_EQ(df.nodes.size(), 1u);
  EXPECT_EQ(df.nodes[0].id, 2);
  EXPECT_EQ(df.nodes[0].name, "osd.2\n");
  // The root and "nodes" are two levels; the innermost array is empty.
  auto nested = [](int n) {
    return R"({"nodes":[)" + std::string(n, '[') + std::string(n, ']') + "]}";
  };
  EXPECT_TRUE(ParseOsdDf(nested(1022), &df, &err)) << err;
  EXPECT_TRUE(df.nodes.empty());
  EXPECT_FALSE(ParseOsdDf(nested(1023), &df, &err));
  EXPECT_EQ(err.rfind("invalid JSON: ", 0), 0u) << err;
}

}  // namespace
}  // namespace ceph
