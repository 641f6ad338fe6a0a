// `ceph osd test-reweight-by-utilization` reimplemented: what the mgr's
// reweight::by_utilization() would set, from the same inputs (exact per-OSD
// statfs bytes from `pg dump osds`, reweights from `osd dump`).
//
// Deliberate choices, all equal to Ceph 16 on x86-64 libstdc++:
//  - util is a float, the average and the overload threshold doubles;
//  - OSDs are visited in the order given (the mgr's osd_stat order, which
//    `pg dump osds` prints), sorted with std::sort by |util - average|
//    descending, so ties come out as in Ceph when the input order is Ceph's;
//  - an in OSD with no capacity (total == 0) is never changed (Ceph: NaN
//    comparisons are false); an in OSD at util 0 is never raised (Ceph casts
//    inf to unsigned, which yields 0 on x86-64, so no increase).
#ifndef EXPORTERS_CEPH_REWEIGHT_H_
#define EXPORTERS_CEPH_REWEIGHT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ceph {

inline constexpr uint32_t kOsdIn = 0x10000;  // reweight 1.0

struct ReweightParams {
  int64_t oload = 120;       // percent of the average, must be > 100
  double max_change = 0.05;  // per-run step, > 0
  int64_t max_osds = 4;      // changes per run, > 0
  bool no_increasing = false;
  // mon_reweight_min_bytes_per_osd (mgr option, default 100 MiB).
  uint64_t min_bytes_per_osd = 100ull << 20;
};

struct ReweightOsd {
  int id = -1;
  uint64_t total = 0;      // statfs.total, bytes (0 for out OSDs)
  uint64_t available = 0;  // statfs.available, bytes
  uint32_t weight = 0;     // current reweight, 1/65536 units; 0 = out
};

struct ReweightResult {
  bool valid = false;  // false: Ceph would refuse (error says why)
  std::string error;
  double average_util = 0;   // ratio
  double overload_util = 0;  // ratio
  int num_changed = 0;
  std::map<int, uint32_t> new_weights;  // changed OSDs only
};

ReweightResult ReweightByUtilization(const std::vector<ReweightOsd>& osds,
                                     const ReweightParams& p);

}  // namespace ceph

#endif  // EXPORTERS_CEPH_REWEIGHT_H_
