// Turns one scrape's worth of parsed Ceph state into metric families.
#ifndef EXPORTERS_CEPH_CEPH_METRICS_H_
#define EXPORTERS_CEPH_CEPH_METRICS_H_

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

#include "ceph_json.h"
#include "reweight.h"

namespace ceph {

// What one scrape read. osd_dump and osd_df are required; the rest may be
// missing (has_* false), which drops the metrics that need them.
struct Snapshot {
  OsdDump osd_dump;
  OsdDf osd_df;
  bool has_pg_dump = false;
  PgDumpOsds pg_dump;
  bool has_df = false;
  DfStats df;
  bool has_health = false;
  int health_status = 0;
};

// The reweight-by-utilization inputs: pg dump's osd_stat order, reweights
// from osd dump (an OSD missing there counts as out).
std::vector<ReweightOsd> ReweightInputs(const Snapshot& s);

// Hints for `s` (invalid when pg stats are missing or not ready).
ReweightResult ComputeHints(const Snapshot& s, const ReweightParams& p);

std::vector<prometheus::MetricFamily> BuildFamilies(const Snapshot& s,
                                                    const ReweightParams& p);

}  // namespace ceph

#endif  // EXPORTERS_CEPH_CEPH_METRICS_H_
