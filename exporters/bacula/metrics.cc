#include "metrics.h"

#include <set>
#include <string>
#include <utility>

#include "exporterd/metrics.h"

namespace bacula {
namespace {

using exporterd::Family;
using exporterd::Labels;
using prometheus::MetricFamily;

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
  Family ts = Family::Gauge(
      "bacula_job_last_run_timestamp_seconds",
      "JobTDate (Unix time of the end) of the newest finished job of this "
      "name and client. Restore and admin jobs carry a type label.");
  Family status = Family::Gauge(
      "bacula_job_last_status",
      "Result of the newest finished job, one-hot over ok, warning (T with "
      "errors or missing files, W), error (E, e), fatal (f), canceled (A), "
      "other.");
  Family info = Family::Gauge("bacula_job_last_status_info",
                              "Raw JobStatus code of the newest finished job.");
  Family bytes = Family::Gauge("bacula_job_last_bytes",
                               "JobBytes of the newest finished job.");
  Family files = Family::Gauge("bacula_job_last_files",
                               "JobFiles of the newest finished job.");
  Family errors = Family::Gauge("bacula_job_last_errors",
                                "JobErrors of the newest finished job.");
  Family missing = Family::Gauge("bacula_job_last_missing_files",
                                 "JobMissingFiles of the newest finished job.");
  Family duration = Family::Gauge(
      "bacula_job_last_duration_seconds",
      "RealEndTime (or EndTime) minus StartTime of the newest finished job; "
      "absent when the job never started.");
  Family success = Family::Gauge(
      "bacula_job_last_success_timestamp_seconds",
      "JobTDate of the newest backup that ended T (with or without warnings) "
      "or W, per level: full (incl. VirtualFull), differential, "
      "incremental.");
  Family runs = Family::Gauge(
      "bacula_job_runs",
      "Finished jobs whose JobTDate is within the configured lookback, by "
      "result (same classes as bacula_job_last_status).");
  Family running = Family::Gauge(
      "bacula_jobs_running",
      "Jobs in the catalog with a running JobStatus (R, a, i, L, l, u, w).");
  Family waiting = Family::Gauge(
      "bacula_jobs_waiting",
      "Jobs in the catalog waiting, by reason (JobStatus C, B, F, S, m, M, "
      "s, j, c, d, t, p, q).");
  Family vols = Family::Gauge("bacula_pool_volumes",
                              "Volumes (Media rows) of a pool by VolStatus.");
  Family pbytes = Family::Gauge("bacula_pool_bytes",
                                "Sum of VolBytes of a pool's volumes.");

  std::set<JobKey> keys;
  for (const LastJob& j : s.last) {
    keys.insert(j.key);
    const Labels l = JobLabels(j.key);
    ts.Add(l, static_cast<double>(j.tdate));
    const std::string cls = StatusClass(j.status, j.errors, j.missing_files);
    for (const std::string& c : StatusClasses())
      status.Add(With(l, "status", c), c == cls ? 1 : 0);
    info.Add(With(l, "code", std::string(1, j.status)), 1);
    bytes.Add(l, static_cast<double>(j.bytes));
    files.Add(l, static_cast<double>(j.files));
    errors.Add(l, static_cast<double>(j.errors));
    missing.Add(l, static_cast<double>(j.missing_files));
    if (j.duration_seconds) duration.Add(l, *j.duration_seconds);
  }
  for (const auto& [key, levels] : s.last_success)
    for (const auto& [level, t] : levels)
      success.Add(With(JobLabels(key), "level", level), static_cast<double>(t));
  for (const auto& [key, unused] : s.runs) keys.insert(key);
  for (const JobKey& key : keys) {
    auto it = s.runs.find(key);
    for (const std::string& c : StatusClasses()) {
      int64_t n = 0;
      if (it != s.runs.end()) {
        auto r = it->second.find(c);
        if (r != it->second.end()) n = r->second;
      }
      runs.Add(With(JobLabels(key), "result", c), static_cast<double>(n));
    }
  }
  running.Add({}, static_cast<double>(s.running));
  for (const auto& [reason, n] : s.waiting)
    waiting.Add({{"reason", reason}}, static_cast<double>(n));
  for (const auto& [pool, by_status] : s.pool_volumes)
    for (const auto& [st, n] : by_status)
      vols.Add({{"pool", pool}, {"status", st}}, static_cast<double>(n));
  for (const auto& [pool, b] : s.pool_bytes)
    pbytes.Add({{"pool", pool}}, static_cast<double>(b));

  std::vector<MetricFamily> out;
  for (Family* f :
       {&ts, &status, &info, &bytes, &files, &errors, &missing, &duration,
        &success, &runs, &running, &waiting, &vols, &pbytes})
    f->MoveTo(&out);
  return out;
}

}  // namespace bacula
