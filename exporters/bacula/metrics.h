// Snapshot -> Prometheus families (pure; no I/O).
#ifndef EXPORTERS_BACULA_METRICS_H_
#define EXPORTERS_BACULA_METRICS_H_

#include <prometheus/metric_family.h>

#include <vector>

#include "snapshot.h"

namespace bacula {

std::vector<prometheus::MetricFamily> BuildFamilies(const Snapshot& s);

}  // namespace bacula

#endif  // EXPORTERS_BACULA_METRICS_H_
