// Parse + hints for N synthetic OSDs (default 10,000): median of runs.
//   ceph_bench [osds] [runs]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ceph_json.h"
#include "ceph_metrics.h"

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 21;
  std::string df = R"({"nodes":[)",
              dump = R"({"epoch":1,"full_ratio":0.95,)"
                     R"("backfillfull_ratio":0.9,)"
                     R"("nearfull_ratio":0.85,"osds":[)",
              pg = R"({"pg_ready":true,"osd_stats":[)";
  unsigned seed = 1;
  auto rnd = [&] { return seed = seed * 1103515245u + 12345u; };
  for (int i = 0; i < n; ++i) {
    const uint64_t total = (1ull << 40) * (1 + rnd() % 4);
    const uint64_t used = total / 100 * (30 + rnd() % 60);
    const std::string id = std::to_string(i), sep = i ? "," : "";
    df +=
        sep + R"({"id":)" + id + R"(,"device_class":"hdd","name":"osd.)" + id +
        R"(","type":"osd","type_id":0,"crush_weight":3.6,"depth":2,)" +
        R"("reweight":1,"kb":)" + std::to_string(total >> 10) +
        R"(,"kb_used":)" + std::to_string(used >> 10) +
        R"(,"kb_avail":1,"utilization":50.1,"var":1.01,"pgs":100,"status":"up"})";
    dump += sep + R"({"osd":)" + id +
            R"(,"uuid":"x","up":1,"in":1,"weight":1,"primary_affinity":1})";
    pg += sep + R"({"osd":)" + id + R"(,"num_pgs":100,"statfs":{"total":)" +
          std::to_string(total) + R"(,"available":)" +
          std::to_string(total - used) + "}}";
  }
  df += R"(],"stray":[],"summary":{"average_utilization":50,"dev":3}})";
  dump += "]}";
  pg += "]}";
  std::vector<double> ms, parse_ms, hints_ms;
  size_t families = 0;
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    ceph::Snapshot s;
    std::string err;
    if (!ceph::ParseOsdDf(df, &s.osd_df, &err) ||
        !ceph::ParseOsdDump(dump, &s.osd_dump, &err) ||
        !ceph::ParsePgDumpOsds(pg, &s.pg_dump, &err)) {
      std::fprintf(stderr, "parse: %s\n", err.c_str());
      return 1;
    }
    s.has_pg_dump = true;
    parse_ms.push_back(since(t0));
    auto t1 = Clock::now();
    ceph::ReweightResult h = ceph::ComputeHints(s, ceph::ReweightParams());
    hints_ms.push_back(since(t1));
    if (!h.valid) {
      std::fprintf(stderr, "hints: %s\n", h.error.c_str());
      return 1;
    }
    families += ceph::BuildFamilies(s, ceph::ReweightParams()).size();
    ms.push_back(since(t0));
  }
  std::sort(parse_ms.begin(), parse_ms.end());
  std::sort(hints_ms.begin(), hints_ms.end());
  std::printf("median parse (3 docs) %.1f ms, hints alone %.2f ms\n",
              parse_ms[runs / 2], hints_ms[runs / 2]);
  std::sort(ms.begin(), ms.end());
  std::printf(
      "osds=%d runs=%d input=%zu bytes parse+hints+families (hints twice) "
      "median=%.1f ms "
      "min=%.1f max=%.1f (%zu)\n",
      n, runs, df.size() + dump.size() + pg.size(), ms[ms.size() / 2],
      ms.front(), ms.back(), families / runs);
  return 0;
}
