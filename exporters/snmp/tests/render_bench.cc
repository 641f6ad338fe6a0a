// Not a test: times loading a snmp.yml and rendering a synthetic
// 2,000-interface ifTable + ifXTable (22 + 19 columns, ~44k varbinds, like
// the real 2,000-ifb capture in /work/shared) with upstream's if_mib module.
//   snmp_render_bench tests/fixtures/upstream-0.30.1/snmp.yml
#include <chrono>
#include <cstdio>
#include <string>

#include "render.h"
#include "snmp_config.h"

using namespace exporterd::snmp;

int main(int argc, char** argv) {
  const std::string path =
      argc > 1 ? argv[1] : "tests/fixtures/upstream-0.30.1/snmp.yml";
  auto t0 = std::chrono::steady_clock::now();
  Config c;
  exporterd::ConfigErrors e;
  if (!LoadConfigFiles({path}, {}, &c, &e, nullptr)) {
    std::fprintf(stderr, "%s", e.ToString().c_str());
    return 1;
  }
  auto t1 = std::chrono::steady_clock::now();
  std::printf("load %s: %.3f s (%zu modules)\n", path.c_str(),
              std::chrono::duration<double>(t1 - t0).count(), c.modules.size());
  std::vector<Varbind> vbs;
  const int kIfaces = 2000;
  auto add = [&](Oid base, uint32_t col, int i, PduType t) {
    Varbind v;
    v.oid = base;
    v.oid.push_back(col);
    v.oid.push_back(static_cast<uint32_t>(i));
    v.type = t;
    if (t == PduType::kOctetString)
      v.bytes = "port" + std::to_string(i);
    else if (t == PduType::kInteger)
      v.int_value = i % 3 + 1;
    else
      v.uint_value = static_cast<uint64_t>(i) * 1000003;
    vbs.push_back(std::move(v));
  };
  const Oid if_entry = {1, 3, 6, 1, 2, 1, 2, 2, 1};
  const Oid ifx_entry = {1, 3, 6, 1, 2, 1, 31, 1, 1, 1};
  for (uint32_t col = 1; col <= 22; ++col)
    for (int i = 1; i <= kIfaces; ++i)
      add(if_entry, col, i,
          col == 2 || col == 6                  ? PduType::kOctetString
          : col >= 10 && col <= 21 && col != 12 ? PduType::kCounter32
          : col == 5 || col == 9                ? PduType::kGauge32
                                                : PduType::kInteger);
  for (uint32_t col = 1; col <= 19; ++col)
    for (int i = 1; i <= kIfaces; ++i)
      add(ifx_entry, col, i,
          col == 1 || col == 18   ? PduType::kOctetString
          : col >= 6 && col <= 13 ? PduType::kCounter64
          : col == 15             ? PduType::kGauge32
                                  : PduType::kInteger);
  const Module& m = c.modules.at("if_mib");
  // ifTable alone (22 columns x 2,000 = 44k varbinds), then both tables.
  for (size_t n : {size_t{22} * kIfaces, vbs.size()}) {
    std::vector<Varbind> part(vbs.begin(),
                              vbs.begin() + static_cast<ptrdiff_t>(n));
    double best_table = 1e9, best_render = 1e9;
    size_t series = 0;
    for (int run = 0; run < 5; ++run) {
      auto a = std::chrono::steady_clock::now();
      VarbindTable table(part);
      auto b = std::chrono::steady_clock::now();
      RenderResult r = Render(m, table, nullptr, {});
      auto d = std::chrono::steady_clock::now();
      best_table =
          std::min(best_table, std::chrono::duration<double>(b - a).count());
      best_render =
          std::min(best_render, std::chrono::duration<double>(d - b).count());
      series = 0;
      for (const auto& f : r.families) series += f.metric.size();
    }
    std::printf(
        "if_mib, %zu varbinds -> %zu series: table %.3f s + render %.3f s "
        "(best of 5)\n",
        n, series, best_table, best_render);
  }
  return 0;
}
