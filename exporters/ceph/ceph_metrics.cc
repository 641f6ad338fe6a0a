#include "ceph_metrics.h"

#include <algorithm>
#include <map>
#include <utility>

#include "exporterd/metrics.h"

namespace ceph {
using exporterd::AddScalar;
using exporterd::Family;
using prometheus::MetricFamily;

std::vector<ReweightOsd> ReweightInputs(const Snapshot& s) {
  std::map<int, uint32_t> weight;
  for (const auto& o : s.osd_dump.osds) weight[o.id] = o.weight_raw;
  std::vector<ReweightOsd> in;
  in.reserve(s.pg_dump.osd_stats.size());
  for (const auto& st : s.pg_dump.osd_stats) {
    auto it = weight.find(st.id);
    in.push_back(
        {st.id, st.total, st.available, it == weight.end() ? 0 : it->second});
  }
  return in;
}

ReweightResult ComputeHints(const Snapshot& s, const ReweightParams& p) {
  if (!s.has_pg_dump) {
    ReweightResult r;
    r.error = "no pg stats";
    return r;
  }
  if (!s.pg_dump.pg_ready) {
    ReweightResult r;
    r.error = "pg stats not ready (mgr restarted)";
    return r;
  }
  return ReweightByUtilization(ReweightInputs(s), p);
}

std::vector<MetricFamily> BuildFamilies(const Snapshot& s,
                                        const ReweightParams& p) {
  struct Row {
    const OsdDumpOsd* dump = nullptr;
    const OsdDfNode* df = nullptr;
    const OsdStat* stat = nullptr;
  };
  std::map<int, Row> rows;  // by id
  for (const auto& o : s.osd_dump.osds) rows[o.id].dump = &o;
  for (const auto& n : s.osd_df.nodes) rows[n.id].df = &n;
  if (s.has_pg_dump)
    for (const auto& st : s.pg_dump.osd_stats) rows[st.id].stat = &st;

  const ReweightResult hints = ComputeHints(s, p);

  Family up = Family::Gauge("ceph_osd_up", "1 if the OSD is up (osd dump).");
  Family in = Family::Gauge("ceph_osd_in", "1 if the OSD is in (osd dump).");
  Family crush = Family::Gauge(
      "ceph_osd_crush_weight",
      "CRUSH weight of the OSD in its parent bucket (osd df crush_weight).");
  Family reweight = Family::Gauge(
      "ceph_osd_reweight",
      "Override weight (reweight) of the OSD, 0..1; 0 is out (osd dump).");
  Family bytes = Family::Gauge("ceph_osd_stat_bytes",
                               "OSD capacity in bytes (statfs total).");
  Family used = Family::Gauge("ceph_osd_stat_bytes_used",
                              "Raw bytes used on the OSD (statfs total - "
                              "available).");
  Family util = Family::Gauge("ceph_osd_utilization_ratio",
                              "Used / capacity of the OSD, 0..1 (OSDs with a "
                              "capacity only).");
  Family var = Family::Gauge(
      "ceph_osd_variance_ratio",
      "OSD utilization divided by the average utilization of in OSDs (osd df "
      "var).");
  Family pgs = Family::Gauge(
      "ceph_osd_pgs", "PGs whose acting set holds the OSD (osd df pgs).");
  Family suggested = Family::Gauge(
      "ceph_osd_reweight_suggested",
      "The reweight `ceph osd test-reweight-by-utilization <oload> "
      "<max_change> <max_osds>` would set now; the current reweight where it "
      "would change nothing.");

  for (const auto& [id, row] : rows) {
    const std::string daemon =
        row.df ? row.df->name : "osd." + std::to_string(id);
    exporterd::Labels labels = {
        {"ceph_daemon", daemon},
        {"device_class", row.df ? row.df->device_class : ""}};
    if (row.dump) {
      up.Add(labels, row.dump->up ? 1 : 0);
      in.Add(labels, row.dump->in ? 1 : 0);
      reweight.Add(labels, row.dump->weight);
      auto it = hints.new_weights.find(id);
      suggested.Add(labels, it == hints.new_weights.end()
                                ? row.dump->weight
                                : it->second / 65536.0);
    } else if (row.df) {
      reweight.Add(labels, row.df->reweight);
    }
    if (row.df) {
      crush.Add(labels, row.df->crush_weight);
      pgs.Add(labels, static_cast<double>(row.df->pgs));
    }
    uint64_t total = 0, used_bytes = 0;
    bool have_bytes = false;
    if (row.stat) {
      total = row.stat->total;
      used_bytes = total - std::min(row.stat->available, total);
      have_bytes = true;
    } else if (row.df) {
      total = row.df->kb << 10;
      used_bytes = row.df->kb_used << 10;
      have_bytes = true;
    }
    if (have_bytes) {
      bytes.Add(labels, static_cast<double>(total));
      used.Add(labels, static_cast<double>(used_bytes));
      if (total > 0) {
        util.Add(labels,
                 static_cast<double>(used_bytes) / static_cast<double>(total));
        if (row.df) var.Add(labels, row.df->var);
      }
    }
  }

  std::vector<MetricFamily> out;
  for (Family* f :
       {&up, &in, &crush, &reweight, &bytes, &used, &util, &var, &pgs})
    if (!f->empty()) f->MoveTo(&out);

  if (s.has_health)
    AddScalar(&out, "ceph_health_status",
              "Cluster health: 0 HEALTH_OK, 1 HEALTH_WARN, 2 HEALTH_ERR.",
              s.health_status);
  AddScalar(&out, "ceph_osd_full_ratio",
            "OSDMap full_ratio: OSDs above it stop accepting writes.",
            s.osd_dump.full_ratio);
  AddScalar(&out, "ceph_osd_backfillfull_ratio",
            "OSDMap backfillfull_ratio: OSDs above it refuse backfill.",
            s.osd_dump.backfillfull_ratio);
  AddScalar(&out, "ceph_osd_nearfull_ratio",
            "OSDMap nearfull_ratio: OSDs above it raise OSD_NEARFULL.",
            s.osd_dump.nearfull_ratio);
  if (s.has_df) {
    AddScalar(&out, "ceph_cluster_total_bytes",
              "Raw capacity of all OSDs in bytes (df total_bytes).",
              static_cast<double>(s.df.total_bytes));
    AddScalar(&out, "ceph_cluster_total_used_bytes",
              "Used bytes (df total_used_bytes).",
              static_cast<double>(s.df.total_used_bytes));
    AddScalar(&out, "ceph_cluster_total_used_raw_bytes",
              "Raw used bytes (df total_used_raw_bytes); divided by "
              "ceph_cluster_total_bytes it is the reweight average.",
              static_cast<double>(s.df.total_used_raw_bytes));
  }
  AddScalar(&out, "ceph_osd_utilization_stddev_ratio",
            "Reweight-weighted standard deviation of OSD utilization over in "
            "OSDs, as a ratio (osd df summary dev / 100).",
            s.osd_df.dev_pct / 100.0);

  if (!suggested.empty()) suggested.MoveTo(&out);
  AddScalar(&out, "ceph_reweight_hints_valid",
            "1 if reweight-by-utilization would run now; 0 if Ceph would "
            "refuse (too little data per OSD, PG stats not ready).",
            hints.valid ? 1 : 0);
  if (hints.valid) {
    AddScalar(&out, "ceph_reweight_average_utilization_ratio",
              "Average utilization reweight-by-utilization compares with: "
              "sum(used) / sum(capacity) over all OSDs with stats.",
              hints.average_util);
    AddScalar(&out, "ceph_reweight_overload_utilization_ratio",
              "OSDs at or above this utilization would be reweighted down "
              "(average * oload / 100).",
              hints.overload_util);
    AddScalar(&out, "ceph_reweight_suggested_changes",
              "How many OSDs reweight-by-utilization would change now.",
              hints.num_changed);
  }
  return out;
}

}  // namespace ceph
