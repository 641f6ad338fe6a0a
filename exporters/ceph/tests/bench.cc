// Parse + hints for N OSDs (default 10,000): medians of runs.
//   ceph_bench [osds] [runs]              synthetic documents, minimal fields
//   ceph_bench [osds] [runs] --realistic  the Pacific captures replicated
//
// --realistic builds `osd df`, `osd dump` and `pg dump osds` from the
// entries of tests/fixtures/pacific_a_*: every field Ceph prints, `osd dump`
// with addresses and osd_xinfo, `pg dump osds` with 10 heartbeat peers and
// their ping times per OSD. It also reports the process's peak RSS
// (VmHWM, reset once the inputs are built) and its RSS at that point.
#include <malloc.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ceph_json.h"
#include "ceph_metrics.h"

namespace {

struct Docs {
  std::string df, dump, pg;
  size_t size() const { return df.size() + dump.size() + pg.size(); }
};

Docs Synthetic(int n) {
  Docs d;
  d.df = R"({"nodes":[)";
  d.dump = R"({"epoch":1,"full_ratio":0.95,)"
           R"("backfillfull_ratio":0.9,)"
           R"("nearfull_ratio":0.85,"osds":[)";
  d.pg = R"({"pg_ready":true,"osd_stats":[)";
  unsigned seed = 1;
  auto rnd = [&] { return seed = seed * 1103515245u + 12345u; };
  for (int i = 0; i < n; ++i) {
    const uint64_t total = (1ull << 40) * (1 + rnd() % 4);
    const uint64_t used = total / 100 * (30 + rnd() % 60);
    const std::string id = std::to_string(i), sep = i ? "," : "";
    d.df +=
        sep + R"({"id":)" + id + R"(,"device_class":"hdd","name":"osd.)" + id +
        R"(","type":"osd","type_id":0,"crush_weight":3.6,"depth":2,)" +
        R"("reweight":1,"kb":)" + std::to_string(total >> 10) +
        R"(,"kb_used":)" + std::to_string(used >> 10) +
        R"(,"kb_avail":1,"utilization":50.1,"var":1.01,"pgs":100,"status":"up"})";
    d.dump += sep + R"({"osd":)" + id +
              R"(,"uuid":"x","up":1,"in":1,"weight":1,"primary_affinity":1})";
    d.pg += sep + R"({"osd":)" + id + R"(,"num_pgs":100,"statfs":{"total":)" +
            std::to_string(total) + R"(,"available":)" +
            std::to_string(total - used) + "}}";
  }
  d.df += R"(],"stray":[],"summary":{"average_utilization":50,"dev":3}})";
  d.dump += "]}";
  d.pg += "]}";
  return d;
}

std::string ReadFixture(const char* name) {
  const std::string path = std::string(CEPH_TEST_DIR) + "/fixtures/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(1);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using Members = std::vector<std::pair<std::string_view, std::string>>;

// `o` as compact JSON, with the members named in `replace` given new values.
std::string With(simdjson::dom::object o, const Members& replace) {
  std::string out = "{";
  for (const simdjson::dom::key_value_pair m : o) {
    if (out.size() > 1) out += ',';
    out += '"';
    out += m.key;  // Ceph's keys need no escaping
    out += "\":";
    auto it = std::find_if(replace.begin(), replace.end(),
                           [&](const auto& r) { return r.first == m.key; });
    out += it != replace.end() ? it->second : simdjson::minify(m.value);
  }
  return out += '}';
}

simdjson::dom::object First(simdjson::dom::object o, const char* array) {
  return o[array].get_array().at(0).get_object().value();
}

// The captured entries of pacific_a, replicated to n OSDs.
Docs Realistic(int n) {
  simdjson::dom::parser p1, p2, p3;
  const std::string df_text = ReadFixture("pacific_a_osd_df.json"),
                    dump_text = ReadFixture("pacific_a_osd_dump.json"),
                    pg_text = ReadFixture("pacific_a_pg_dump_osds.json");
  const simdjson::dom::object df = p1.parse(df_text).get_object().value(),
                              dump = p2.parse(dump_text).get_object().value(),
                              pg = p3.parse(pg_text).get_object().value();
  const simdjson::dom::object node = First(df, "nodes"),
                              osd = First(dump, "osds"),
                              xinfo = First(dump, "osd_xinfo"),
                              stat = First(pg, "osd_stats"),
                              ping = First(stat, "network_ping_times");
  constexpr int kPeers = 10;
  std::string nodes = "[", osds = "[", xinfos = "[", stats = "[";
  for (int i = 0; i < n; ++i) {
    const std::string id = std::to_string(i), sep = i ? "," : "";
    nodes += sep + With(node, {{"id", id}, {"name", "\"osd." + id + "\""}});
    osds += sep + With(osd, {{"osd", id}});
    xinfos += sep + With(xinfo, {{"osd", id}});
    std::string peers = "[", pings = "[";
    for (int k = 1; k <= kPeers && k < n; ++k) {
      const std::string peer = std::to_string((i + k) % n);
      peers += (k > 1 ? "," : "") + peer;
      pings += (k > 1 ? "," : "") + With(ping, {{"osd", peer}});
    }
    stats += sep + With(stat, {{"osd", id},
                               {"hb_peers", peers + "]"},
                               {"network_ping_times", pings + "]"}});
  }
  Docs d;
  d.df = With(df, {{"nodes", nodes + "]"}});
  d.dump = With(dump, {{"osds", osds + "]"}, {"osd_xinfo", xinfos + "]"}});
  d.pg = With(pg, {{"osd_stats", stats + "]"}});
  return d;
}

// kB from /proc/self/status ("VmRSS", "VmHWM"); -1 if unavailable.
long StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(field);
  while (std::getline(in, line))
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':')
      return std::atol(line.c_str() + n + 1);
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  bool realistic = false;
  std::vector<const char*> args;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--realistic") == 0) {
      realistic = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  const int n = args.size() > 0 ? std::atoi(args[0]) : 10000;
  const int runs = args.size() > 1 ? std::atoi(args[1]) : 21;
  if (n < 1 || runs < 1) {
    std::fprintf(stderr, "usage: ceph_bench [osds] [runs] [--realistic]\n");
    return 2;
  }
  const Docs docs = realistic ? Realistic(n) : Synthetic(n);
  // From here the peak counts the inputs and what parsing adds to them
  // (the heap freed while building them is handed back first).
  malloc_trim(0);
  { std::ofstream("/proc/self/clear_refs") << "5"; }
  const long rss_inputs_kb = StatusKb("VmRSS");

  std::vector<double> ms, parse_ms, hints_ms, doc_ms[3];
  size_t families = 0;
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    ceph::Snapshot s;
    std::string err;
    if (!ceph::ParseOsdDf(docs.df, &s.osd_df, &err)) {
      std::fprintf(stderr, "osd df: %s\n", err.c_str());
      return 1;
    }
    doc_ms[0].push_back(since(t0));
    auto t = Clock::now();
    if (!ceph::ParseOsdDump(docs.dump, &s.osd_dump, &err)) {
      std::fprintf(stderr, "osd dump: %s\n", err.c_str());
      return 1;
    }
    doc_ms[1].push_back(since(t));
    t = Clock::now();
    if (!ceph::ParsePgDumpOsds(docs.pg, &s.pg_dump, &err)) {
      std::fprintf(stderr, "pg dump osds: %s\n", err.c_str());
      return 1;
    }
    doc_ms[2].push_back(since(t));
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
  auto median = [runs](std::vector<double>& v) {
    std::sort(v.begin(), v.end());
    return v[runs / 2];
  };
  std::printf("median parse (3 docs) %.1f ms, hints alone %.2f ms\n",
              median(parse_ms), median(hints_ms));
  if (realistic) {
    std::printf(
        "realistic: osd df %zu + osd dump %zu + pg dump osds %zu bytes; "
        "median parse %.1f / %.1f / %.1f ms; RSS with the inputs %.1f MB, "
        "peak %.1f MB\n",
        docs.df.size(), docs.dump.size(), docs.pg.size(), median(doc_ms[0]),
        median(doc_ms[1]), median(doc_ms[2]), rss_inputs_kb / 1024.0,
        StatusKb("VmHWM") / 1024.0);
  }
  std::sort(ms.begin(), ms.end());
  std::printf(
      "osds=%d runs=%d input=%zu bytes parse+hints+families (hints twice) "
      "median=%.1f ms "
      "min=%.1f max=%.1f (%zu)\n",
      n, runs, docs.size(), ms[ms.size() / 2], ms.front(), ms.back(),
      families / runs);
  return 0;
}
