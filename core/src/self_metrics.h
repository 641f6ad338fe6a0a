// exporterd's own metrics: build info, per-module status, config reloads and
// the standard process_* families.
#ifndef EXPORTERD_SELF_METRICS_H_
#define EXPORTERD_SELF_METRICS_H_

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

#include "collector.h"

namespace exporterd {

struct ReloadState {
  bool last_successful = true;
  double last_success_unix = 0;
};

// exporterd_build_info, exporterd_module_*, exporterd_config_*, process_*.
std::vector<prometheus::MetricFamily> SelfMetrics(
    const std::vector<ModuleOutcome>& modules, const ReloadState& reload);

// The process_* families of the running process, read from /proc/self.
std::vector<prometheus::MetricFamily> ProcessMetrics();

}  // namespace exporterd

#endif  // EXPORTERD_SELF_METRICS_H_
