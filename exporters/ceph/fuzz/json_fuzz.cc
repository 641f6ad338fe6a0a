// libFuzzer target: every Ceph JSON parser on arbitrary bytes must return
// (true or false with an error), never crash or read out of bounds, and what
// it accepts must satisfy the invariants the metric builder relies on.
// Both the fast path and the sanitise-and-retry path (bare inf/nan) run.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_set>

#include "ceph_json.h"

namespace {

void Check(bool ok, const std::string& error) {
  if (!ok && error.empty()) std::abort();  // a failure always says why
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A copy of exactly `size` bytes: ASan catches any read past the end
  // (simdjson needs padding; the parsers must provide it themselves).
  const std::string in(reinterpret_cast<const char*>(data), size);
  const std::string_view text(in);
  std::string err;

  ceph::OsdDf df;
  err.clear();
  bool ok = ceph::ParseOsdDf(text, &df, &err);
  Check(ok, err);
  if (ok) {
    std::unordered_set<int> ids;
    for (const ceph::OsdDfNode& n : df.nodes)
      if (n.name.empty() || !ids.insert(n.id).second) std::abort();
  }

  ceph::OsdDump dump;
  err.clear();
  ok = ceph::ParseOsdDump(text, &dump, &err);
  Check(ok, err);
  if (ok) {
    for (const ceph::OsdDumpOsd& o : dump.osds)
      if (!(o.weight >= 0 && o.weight <= 1) || o.weight_raw > 0x10000)
        std::abort();
  }

  ceph::PgDumpOsds pg;
  err.clear();
  Check(ceph::ParsePgDumpOsds(text, &pg, &err), err);

  ceph::DfStats stats;
  err.clear();
  Check(ceph::ParseDf(text, &stats, &err), err);

  int health = -1;
  err.clear();
  ok = ceph::ParseHealthStatus(text, &health, &err);
  Check(ok, err);
  if (ok && (health < 0 || health > 2)) std::abort();

  (void)ceph::SanitizeCephJson(text);
  return 0;
}
