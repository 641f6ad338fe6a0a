#include "reweight.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace ceph {

ReweightResult ReweightByUtilization(const std::vector<ReweightOsd>& osds,
                                     const ReweightParams& p) {
  ReweightResult r;
  if (p.oload <= 100) {
    r.error = "oload must be higher than 100";
    return r;
  }
  if (!(p.max_change > 0)) {
    r.error = "max_change must be positive";
    return r;
  }
  if (p.max_osds <= 0) {
    r.error = "max_osds must be positive";
    return r;
  }
  // osd_sum over every osd_stat entry, out OSDs (zeroed) included.
  uint64_t sum_total = 0, sum_avail = 0;
  for (const auto& o : osds) {
    sum_total += o.total;
    sum_avail += o.available;
  }
  const uint64_t num_osd = std::max<uint64_t>(1, osds.size());
  if (sum_total / num_osd < p.min_bytes_per_osd) {
    r.error = "Refusing to reweight: we only have " +
              std::to_string(sum_total >> 10) + " kb across all osds";
    return r;
  }
  const uint64_t sum_used = sum_total - std::min(sum_avail, sum_total);
  if (sum_used / num_osd < p.min_bytes_per_osd) {
    r.error = "Refusing to reweight: we only have " +
              std::to_string(sum_used >> 10) + " kb used across all osds";
    return r;
  }
  const double average_util =
      static_cast<double>(sum_used) / static_cast<double>(sum_total);
  const double overload_util =
      average_util * static_cast<double>(p.oload) / 100.0;
  const double underload_util = average_util;
  const uint32_t max_change =
      static_cast<uint32_t>(p.max_change * static_cast<double>(kOsdIn));
  r.valid = true;
  r.average_util = average_util;
  r.overload_util = overload_util;

  struct Entry {
    int id;
    float util;
    uint32_t weight;
    bool has_capacity;
  };
  std::vector<Entry> by_util;
  by_util.reserve(osds.size());
  for (const auto& o : osds) {
    const uint64_t used = o.total - std::min(o.available, o.total);
    // 0/0 is NaN for out OSDs, as in Ceph; kept so the sort sees the same
    // sequence.
    const float util = o.total == 0
                           ? std::numeric_limits<float>::quiet_NaN()
                           : static_cast<float>(static_cast<double>(used) /
                                                static_cast<double>(o.total));
    by_util.push_back({o.id, util, o.weight, o.total != 0});
  }
  std::sort(by_util.begin(), by_util.end(),
            [average_util](const Entry& a, const Entry& b) {
              return std::fabs(static_cast<double>(a.util) - average_util) >
                     std::fabs(static_cast<double>(b.util) - average_util);
            });

  const int64_t max_osds = p.max_osds;
  for (const Entry& e : by_util) {
    const uint32_t w = e.weight;
    if (w == 0 || !e.has_capacity) continue;
    const double util = e.util;  // float promoted, as in Ceph's comparisons
    if (util >= overload_util) {
      uint32_t nw =
          static_cast<uint32_t>((average_util / util) * static_cast<float>(w));
      if (w > max_change) nw = std::max(nw, w - max_change);
      r.new_weights.emplace(e.id, nw);
      if (++r.num_changed >= max_osds) break;
    }
    if (!p.no_increasing && util <= underload_util && e.util > 0) {
      const double want = (average_util / util) * static_cast<float>(w);
      uint32_t nw =
          want >= 4294967295.0 ? 0xffffffffu : static_cast<uint32_t>(want);
      nw = std::min(nw, w + max_change);
      if (nw > kOsdIn) nw = kOsdIn;
      if (nw > w) {
        r.new_weights.emplace(e.id, nw);
        if (++r.num_changed >= max_osds) break;
      }
    }
  }
  return r;
}

}  // namespace ceph
