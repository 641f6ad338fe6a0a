#include "metrics.h"

#include <set>
#include <string>
#include <utility>

namespace bacula {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

MetricFamily Gauge(std::string name, std::string help) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = MetricType::Gauge;
  return f;
}

void Add(MetricFamily* f, Labels labels, double v) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = v;
  f->metric.push_back(std::move(m));
}

Labels JobLabels(const JobKey& k) {
  Labels l = {{"job_name", k.name}, {"client", k.client}};
  std::string type = TypeLabel(k.type);
  if (!type.empty()) l.push_back({"type", type});
  return l;
}

Labels With(Labels l, std::string name, std::string value) {
  l.push_back({std::move(name), std::move(value)});
  return l;
}

}  // namespace

std::vector<MetricFamily> BuildFamilies(const Snapshot& s) {
  MetricFamily ts = Gauge(
      "bacula_job_last_run_timestamp_seconds",
      "JobTDate (Unix time of the end) of the newest finished job of this "
      "name and client. Restore and admin jobs carry a type label.");
  MetricFamily status = Gauge(
      "bacula_job_last_status",
      "Result of the newest finished job, one-hot over ok, warning (T with "
      "errors or missing files, W), error (E, e), fatal (f), canceled (A), "
      "other.");
  MetricFamily info = Gauge("bacula_job_last_status_info",
                            "Raw JobStatus code of the newest finished job.");
  MetricFamily bytes =
      Gauge("bacula_job_last_bytes", "JobBytes of the newest finished job.");
  MetricFamily files =
      Gauge("bacula_job_last_files", "JobFiles of the newest finished job.");
  MetricFamily errors =
      Gauge("bacula_job_last_errors", "JobErrors of the newest finished job.");
  MetricFamily missing = Gauge("bacula_job_last_missing_files",
                               "JobMissingFiles of the newest finished job.");
  MetricFamily duration = Gauge(
      "bacula_job_last_duration_seconds",
      "RealEndTime (or EndTime) minus StartTime of the newest finished job; "
      "absent when the job never started.");
  MetricFamily success = Gauge(
      "bacula_job_last_success_timestamp_seconds",
      "JobTDate of the newest backup that ended T (with or without warnings) "
      "or W, per level: full (incl. VirtualFull), differential, "
      "incremental.");
  MetricFamily runs = Gauge(
      "bacula_job_runs",
      "Finished jobs whose JobTDate is within the configured lookback, by "
      "result (same classes as bacula_job_last_status).");
  MetricFamily running = Gauge(
      "bacula_jobs_running",
      "Jobs in the catalog with a running JobStatus (R, a, i, L, l, u, w).");
  MetricFamily waiting = Gauge(
      "bacula_jobs_waiting",
      "Jobs in the catalog waiting, by reason (JobStatus C, B, F, S, m, M, "
      "s, j, c, d, t, p, q).");
  MetricFamily vols = Gauge("bacula_pool_volumes",
                            "Volumes (Media rows) of a pool by VolStatus.");
  MetricFamily pbytes =
      Gauge("bacula_pool_bytes", "Sum of VolBytes of a pool's volumes.");

  std::set<JobKey> keys;
  for (const LastJob& j : s.last) {
    keys.insert(j.key);
    const Labels l = JobLabels(j.key);
    Add(&ts, l, static_cast<double>(j.tdate));
    const std::string cls = StatusClass(j.status, j.errors, j.missing_files);
    for (const std::string& c : StatusClasses())
      Add(&status, With(l, "status", c), c == cls ? 1 : 0);
    Add(&info, With(l, "code", std::string(1, j.status)), 1);
    Add(&bytes, l, static_cast<double>(j.bytes));
    Add(&files, l, static_cast<double>(j.files));
    Add(&errors, l, static_cast<double>(j.errors));
    Add(&missing, l, static_cast<double>(j.missing_files));
    if (j.duration_seconds) Add(&duration, l, *j.duration_seconds);
  }
  for (const auto& [key, levels] : s.last_success)
    for (const auto& [level, t] : levels)
      Add(&success, With(JobLabels(key), "level", level),
          static_cast<double>(t));
  for (const auto& [key, unused] : s.runs) keys.insert(key);
  for (const JobKey& key : keys) {
    auto it = s.runs.find(key);
    for (const std::string& c : StatusClasses()) {
      int64_t n = 0;
      if (it != s.runs.end()) {
        auto r = it->second.find(c);
        if (r != it->second.end()) n = r->second;
      }
      Add(&runs, With(JobLabels(key), "result", c), static_cast<double>(n));
    }
  }
  Add(&running, {}, static_cast<double>(s.running));
  for (const auto& [reason, n] : s.waiting)
    Add(&waiting, {{"reason", reason}}, static_cast<double>(n));
  for (const auto& [pool, by_status] : s.pool_volumes)
    for (const auto& [st, n] : by_status)
      Add(&vols, {{"pool", pool}, {"status", st}}, static_cast<double>(n));
  for (const auto& [pool, b] : s.pool_bytes)
    Add(&pbytes, {{"pool", pool}}, static_cast<double>(b));

  std::vector<MetricFamily> out;
  for (MetricFamily* f :
       {&ts, &status, &info, &bytes, &files, &errors, &missing, &duration,
        &success, &runs, &running, &waiting, &vols, &pbytes})
    out.push_back(std::move(*f));
  return out;
}

}  // namespace bacula
