// One model for every RAID tool: what a parser returns, and how it becomes
// metrics. Parsers (parse_<tool>.cc) are pure: captured CLI output in, a
// Report out, no I/O.
#ifndef EXPORTERD_RAID_MODEL_H_
#define EXPORTERD_RAID_MODEL_H_

#include <prometheus/metric_family.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace exporterd::raid {

// Exported as the value of raid_*_health. Severity for the rollup is
// ok < warning < unknown < critical: a state we do not know is never
// counted as ok, but a known failure outranks it.
enum class Health { kOk = 0, kWarning = 1, kCritical = 2, kUnknown = 3 };

// The more severe of two.
Health Worse(Health a, Health b);

struct Controller {
  std::string id;     // "0", "c0", vendor's numbering as printed
  std::string model;  // empty if not reported
  std::string state;  // vendor's own string
  Health health = Health::kUnknown;
  std::optional<double> temperature_celsius;
};

struct LogicalDrive {
  std::string controller;
  std::string id;     // "0/0" (storcli DG/VD), "u0", "md0", ...
  std::string level;  // "RAID6", "raid1", ...
  std::string state;  // vendor's own string
  Health health = Health::kUnknown;
  std::optional<double> rebuild_progress_ratio;  // 0..1, while rebuilding
};

struct PhysicalDrive {
  std::string controller;
  std::string id;     // "252:0" (enclosure:slot), "p3", "sda1", ...
  std::string model;  // empty if not reported
  std::string state;  // vendor's own string
  Health health = Health::kUnknown;
  std::optional<double> media_errors;
  std::optional<double> predictive_failures;
  std::optional<double> temperature_celsius;
};

// A battery/cache-vault/capacitor that is present. Absent ones ("Not
// Installed", "use /cx/cv") are simply not listed: absence is not failure.
struct Battery {
  std::string controller;
  std::string state;  // vendor's own string
  Health health = Health::kUnknown;
};

struct Report {
  std::vector<Controller> controllers;
  std::vector<LogicalDrive> logical_drives;
  std::vector<PhysicalDrive> physical_drives;
  std::vector<Battery> batteries;
  // Extra families a tool exports beyond the common model (md keeps
  // node_exporter's node_md_* shapes).
  std::vector<prometheus::MetricFamily> extra;
};

// What a parser returns. ok=false means the output could not be understood
// (raid_up 0); "no controller found" is ok=true with an empty report.
struct ParseResult {
  bool ok = true;
  std::string error;
  Report report;
};

// Captured output of a tool's commands, keyed by the command's short name
// (each parser documents its keys).
using ToolOutputs = std::map<std::string, std::string>;

// One tool's outcome for one scrape.
struct ToolResult {
  std::string tool;  // storcli|megacli|arcconf|tw_cli|areca|ssacli|md
  bool up = false;
  std::string error;
  Report report;
};

// All raid_* families for these results, including raid_up{tool} and the
// raid_health rollup (the worst health of everything reported, a tool that
// is down counting as unknown; 0 when nothing is reported).
std::vector<prometheus::MetricFamily> ToFamilies(
    const std::vector<ToolResult>& results);

}  // namespace exporterd::raid

#endif  // EXPORTERD_RAID_MODEL_H_
