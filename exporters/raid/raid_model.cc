#include "raid_model.h"

#include <string>
#include <utility>

#include "exporterd/metrics.h"

namespace exporterd::raid {
namespace {

using prometheus::MetricFamily;

// Position on the severity scale: ok < warning < unknown < critical.
int Rank(Health h) {
  switch (h) {
    case Health::kOk:
      return 0;
    case Health::kWarning:
      return 1;
    case Health::kUnknown:
      return 2;
    case Health::kCritical:
      return 3;
  }
  return 2;
}

double Value(Health h) { return static_cast<double>(static_cast<int>(h)); }

}  // namespace

Health Worse(Health a, Health b) { return Rank(b) > Rank(a) ? b : a; }

std::vector<MetricFamily> ToFamilies(const std::vector<ToolResult>& results) {
  Family up = Family::Gauge(
      "raid_up", "Whether the RAID tool ran and its output was understood.");
  Family ctrl_info = Family::Info(
      "raid_controller_info",
      "RAID controller; state is the tool's own string. Value is always 1.");
  Family ctrl_health = Family::Gauge(
      "raid_controller_health",
      "RAID controller health: 0 ok, 1 warning, 2 critical, 3 unknown.");
  Family ctrl_temp =
      Family::Gauge("raid_controller_temperature_celsius",
                    "RAID controller (ROC) temperature in degrees Celsius.");
  Family ld_info = Family::Info("raid_logical_drive_info",
                                "Logical drive (array, volume); state is the "
                                "tool's own string. Value is always 1.");
  Family ld_health = Family::Gauge(
      "raid_logical_drive_health",
      "Logical drive health: 0 ok, 1 warning, 2 critical, 3 unknown.");
  Family rebuild = Family::Gauge(
      "raid_rebuild_progress_ratio",
      "Progress of a running rebuild/recovery of a logical drive, 0..1.");
  Family pd_info = Family::Info(
      "raid_physical_drive_info",
      "Physical drive; state is the tool's own string. Value is always 1.");
  Family pd_health = Family::Gauge(
      "raid_physical_drive_health",
      "Physical drive health: 0 ok, 1 warning, 2 critical, 3 unknown.");
  Family pd_media = Family::Gauge("raid_physical_drive_media_errors",
                                  "Media errors the controller counted on the "
                                  "physical drive.");
  Family pd_pred = Family::Gauge(
      "raid_physical_drive_predictive_failures",
      "Predictive failure (SMART) events reported for the drive.");
  Family pd_temp =
      Family::Gauge("raid_physical_drive_temperature_celsius",
                    "Physical drive temperature in degrees Celsius.");
  Family bat_info = Family::Info(
      "raid_battery_info",
      "Battery, cache vault or capacitor of a controller; state is the "
      "tool's own string. Value is always 1.");
  Family bat_health = Family::Gauge(
      "raid_battery_health",
      "Battery/cache vault health: 0 ok, 1 warning, 2 critical, 3 unknown.");
  Family rollup = Family::Gauge(
      "raid_health",
      "Worst RAID health on this host: 0 ok, 1 warning, 2 critical, 3 "
      "unknown (a tool that is down counts as unknown).");

  std::vector<MetricFamily> extra;
  Health worst = Health::kOk;
  for (const ToolResult& r : results) {
    const std::string& t = r.tool;
    up.Add({{"tool", t}}, r.up ? 1 : 0);
    if (!r.up) worst = Worse(worst, Health::kUnknown);
    const Report& rep = r.report;
    for (const Controller& c : rep.controllers) {
      ctrl_info.Add({{"tool", t},
                     {"controller", c.id},
                     {"model", c.model},
                     {"state", c.state}});
      ctrl_health.Add({{"tool", t}, {"controller", c.id}}, Value(c.health));
      if (c.temperature_celsius)
        ctrl_temp.Add({{"tool", t}, {"controller", c.id}},
                      *c.temperature_celsius);
      worst = Worse(worst, c.health);
    }
    for (const LogicalDrive& d : rep.logical_drives) {
      ld_info.Add({{"tool", t},
                   {"controller", d.controller},
                   {"drive", d.id},
                   {"level", d.level},
                   {"state", d.state}});
      Labels id = {{"tool", t}, {"controller", d.controller}, {"drive", d.id}};
      ld_health.Add(id, Value(d.health));
      if (d.rebuild_progress_ratio) rebuild.Add(id, *d.rebuild_progress_ratio);
      worst = Worse(worst, d.health);
    }
    for (const PhysicalDrive& d : rep.physical_drives) {
      pd_info.Add({{"tool", t},
                   {"controller", d.controller},
                   {"drive", d.id},
                   {"model", d.model},
                   {"state", d.state}});
      Labels id = {{"tool", t}, {"controller", d.controller}, {"drive", d.id}};
      pd_health.Add(id, Value(d.health));
      if (d.media_errors) pd_media.Add(id, *d.media_errors);
      if (d.predictive_failures) pd_pred.Add(id, *d.predictive_failures);
      if (d.temperature_celsius) pd_temp.Add(id, *d.temperature_celsius);
      worst = Worse(worst, d.health);
    }
    for (const Battery& b : rep.batteries) {
      bat_info.Add(
          {{"tool", t}, {"controller", b.controller}, {"state", b.state}});
      bat_health.Add({{"tool", t}, {"controller", b.controller}},
                     Value(b.health));
      worst = Worse(worst, b.health);
    }
    for (const MetricFamily& f : rep.extra) {
      // Two reports with the same extra family (unusual) share one family.
      bool merged = false;
      for (MetricFamily& e : extra) {
        if (e.name == f.name) {
          e.metric.insert(e.metric.end(), f.metric.begin(), f.metric.end());
          merged = true;
          break;
        }
      }
      if (!merged) extra.push_back(f);
    }
  }
  rollup.Add({}, Value(worst));

  std::vector<MetricFamily> out;
  for (Family* f : {&up, &ctrl_info, &ctrl_health, &ctrl_temp, &ld_info,
                    &ld_health, &rebuild, &pd_info, &pd_health, &pd_media,
                    &pd_pred, &pd_temp, &bat_info, &bat_health, &rollup}) {
    if (!f->empty()) f->MoveTo(&out);
  }
  for (MetricFamily& f : extra) out.push_back(std::move(f));
  return out;
}

}  // namespace exporterd::raid
