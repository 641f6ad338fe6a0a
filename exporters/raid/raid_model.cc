#include "raid_model.h"

#include <utility>

namespace exporterd::raid {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

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

MetricFamily Gauge(std::string name, std::string help) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = MetricType::Gauge;
  return f;
}

void Add(MetricFamily& f, std::vector<ClientMetric::Label> labels,
         double value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

}  // namespace

Health Worse(Health a, Health b) { return Rank(b) > Rank(a) ? b : a; }

std::vector<MetricFamily> ToFamilies(const std::vector<ToolResult>& results) {
  MetricFamily up = Gauge(
      "raid_up", "Whether the RAID tool ran and its output was understood.");
  MetricFamily ctrl_info = Gauge(
      "raid_controller_info",
      "RAID controller; state is the tool's own string. Value is always 1.");
  MetricFamily ctrl_health =
      Gauge("raid_controller_health",
            "RAID controller health: 0 ok, 1 warning, 2 critical, 3 unknown.");
  MetricFamily ctrl_temp =
      Gauge("raid_controller_temperature_celsius",
            "RAID controller (ROC) temperature in degrees Celsius.");
  MetricFamily ld_info = Gauge("raid_logical_drive_info",
                               "Logical drive (array, volume); state is the "
                               "tool's own string. Value is always 1.");
  MetricFamily ld_health =
      Gauge("raid_logical_drive_health",
            "Logical drive health: 0 ok, 1 warning, 2 critical, 3 unknown.");
  MetricFamily rebuild =
      Gauge("raid_rebuild_progress_ratio",
            "Progress of a running rebuild/recovery of a logical drive, 0..1.");
  MetricFamily pd_info = Gauge(
      "raid_physical_drive_info",
      "Physical drive; state is the tool's own string. Value is always 1.");
  MetricFamily pd_health =
      Gauge("raid_physical_drive_health",
            "Physical drive health: 0 ok, 1 warning, 2 critical, 3 unknown.");
  MetricFamily pd_media = Gauge("raid_physical_drive_media_errors",
                                "Media errors the controller counted on the "
                                "physical drive.");
  MetricFamily pd_pred =
      Gauge("raid_physical_drive_predictive_failures",
            "Predictive failure (SMART) events reported for the drive.");
  MetricFamily pd_temp =
      Gauge("raid_physical_drive_temperature_celsius",
            "Physical drive temperature in degrees Celsius.");
  MetricFamily bat_info =
      Gauge("raid_battery_info",
            "Battery, cache vault or capacitor of a controller; state is the "
            "tool's own string. Value is always 1.");
  MetricFamily bat_health = Gauge(
      "raid_battery_health",
      "Battery/cache vault health: 0 ok, 1 warning, 2 critical, 3 unknown.");
  MetricFamily rollup =
      Gauge("raid_health",
            "Worst RAID health on this host: 0 ok, 1 warning, 2 critical, 3 "
            "unknown (a tool that is down counts as unknown).");

  std::vector<MetricFamily> extra;
  Health worst = Health::kOk;
  for (const ToolResult& r : results) {
    const std::string& t = r.tool;
    Add(up, {{"tool", t}}, r.up ? 1 : 0);
    if (!r.up) worst = Worse(worst, Health::kUnknown);
    const Report& rep = r.report;
    for (const Controller& c : rep.controllers) {
      Add(ctrl_info,
          {{"tool", t},
           {"controller", c.id},
           {"model", c.model},
           {"state", c.state}},
          1);
      Add(ctrl_health, {{"tool", t}, {"controller", c.id}}, Value(c.health));
      if (c.temperature_celsius)
        Add(ctrl_temp, {{"tool", t}, {"controller", c.id}},
            *c.temperature_celsius);
      worst = Worse(worst, c.health);
    }
    for (const LogicalDrive& d : rep.logical_drives) {
      Add(ld_info,
          {{"tool", t},
           {"controller", d.controller},
           {"drive", d.id},
           {"level", d.level},
           {"state", d.state}},
          1);
      std::vector<ClientMetric::Label> id = {
          {"tool", t}, {"controller", d.controller}, {"drive", d.id}};
      Add(ld_health, id, Value(d.health));
      if (d.rebuild_progress_ratio) Add(rebuild, id, *d.rebuild_progress_ratio);
      worst = Worse(worst, d.health);
    }
    for (const PhysicalDrive& d : rep.physical_drives) {
      Add(pd_info,
          {{"tool", t},
           {"controller", d.controller},
           {"drive", d.id},
           {"model", d.model},
           {"state", d.state}},
          1);
      std::vector<ClientMetric::Label> id = {
          {"tool", t}, {"controller", d.controller}, {"drive", d.id}};
      Add(pd_health, id, Value(d.health));
      if (d.media_errors) Add(pd_media, id, *d.media_errors);
      if (d.predictive_failures) Add(pd_pred, id, *d.predictive_failures);
      if (d.temperature_celsius) Add(pd_temp, id, *d.temperature_celsius);
      worst = Worse(worst, d.health);
    }
    for (const Battery& b : rep.batteries) {
      Add(bat_info,
          {{"tool", t}, {"controller", b.controller}, {"state", b.state}}, 1);
      Add(bat_health, {{"tool", t}, {"controller", b.controller}},
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
  Add(rollup, {}, Value(worst));

  std::vector<MetricFamily> out;
  for (MetricFamily* f :
       {&up, &ctrl_info, &ctrl_health, &ctrl_temp, &ld_info, &ld_health,
        &rebuild, &pd_info, &pd_health, &pd_media, &pd_pred, &pd_temp,
        &bat_info, &bat_health, &rollup}) {
    if (!f->metric.empty()) out.push_back(std::move(*f));
  }
  for (MetricFamily& f : extra) out.push_back(std::move(f));
  return out;
}

}  // namespace exporterd::raid
