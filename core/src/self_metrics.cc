#include "self_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace exporterd {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void AddGauge(MetricFamily* f, double v,
              std::vector<ClientMetric::Label> l = {}) {
  ClientMetric m;
  m.label = std::move(l);
  m.gauge.value = v;
  f->metric.push_back(std::move(m));
}

void AddCounter(MetricFamily* f, double v) {
  ClientMetric m;
  m.counter.value = v;
  f->metric.push_back(std::move(m));
}

}  // namespace

std::vector<MetricFamily> ProcessMetrics() {
  std::vector<MetricFamily> out;
  // /proc/self/stat: fields after the parenthesised command name.
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  size_t rp = stat.rfind(')');
  if (rp != std::string::npos) {
    std::istringstream ss(stat.substr(rp + 2));
    std::vector<std::string> f;
    std::string tok;
    while (ss >> tok) f.push_back(tok);
    // f[0] is field 3 (state); utime=14, stime=15, starttime=22, vsize=23,
    // rss=24 (1-based field numbers) -> index = field - 3.
    if (f.size() > 21) {
      const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
      const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
      double cpu = (std::stod(f[11]) + std::stod(f[12])) / tick;
      double start_ticks = std::stod(f[19]);
      double vsize = std::stod(f[20]);
      double rss = std::stod(f[21]) * page;
      double boot = 0;
      std::ifstream st("/proc/stat");
      std::string line;
      while (std::getline(st, line))
        if (line.rfind("btime ", 0) == 0) boot = std::stod(line.substr(6));
      auto cpu_f = Family("process_cpu_seconds_total",
                          "Total user and system CPU time spent in seconds.",
                          MetricType::Counter);
      AddCounter(&cpu_f, cpu);
      out.push_back(std::move(cpu_f));
      auto rss_f = Family("process_resident_memory_bytes",
                          "Resident memory size in bytes.", MetricType::Gauge);
      AddGauge(&rss_f, rss);
      out.push_back(std::move(rss_f));
      auto vs_f = Family("process_virtual_memory_bytes",
                         "Virtual memory size in bytes.", MetricType::Gauge);
      AddGauge(&vs_f, vsize);
      out.push_back(std::move(vs_f));
      auto st_f = Family("process_start_time_seconds",
                         "Start time of the process since unix epoch in "
                         "seconds.",
                         MetricType::Gauge);
      AddGauge(&st_f, boot + start_ticks / tick);
      out.push_back(std::move(st_f));
    }
  }
  int fds = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++fds;
    closedir(d);
    --fds;  // the directory stream's own descriptor
  }
  auto fd_f = Family("process_open_fds", "Number of open file descriptors.",
                     MetricType::Gauge);
  AddGauge(&fd_f, fds);
  out.push_back(std::move(fd_f));
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    auto max_f =
        Family("process_max_fds", "Maximum number of open file descriptors.",
               MetricType::Gauge);
    AddGauge(&max_f, static_cast<double>(rl.rlim_cur));
    out.push_back(std::move(max_f));
  }
  return out;
}

std::vector<MetricFamily> SelfMetrics(const std::vector<ModuleOutcome>& modules,
                                      const ReloadState& reload) {
  std::vector<MetricFamily> out;
  auto build = Family("exporterd_build_info",
                      "A metric with a constant '1' value labeled by version "
                      "and revision from which exporterd was built.",
                      MetricType::Gauge);
  AddGauge(&build, 1,
           {{"revision", EXPORTERD_REVISION}, {"version", EXPORTERD_VERSION}});
  out.push_back(std::move(build));

  auto up = Family("exporterd_module_up",
                   "1 if the module's last collection for this scrape "
                   "succeeded in time, else 0.",
                   MetricType::Gauge);
  auto dur = Family("exporterd_module_scrape_duration_seconds",
                    "How long the module's collection took (or was waited "
                    "for) in this scrape.",
                    MetricType::Gauge);
  auto last = Family("exporterd_module_last_success_timestamp_seconds",
                     "Unix time of the module's last successful collection.",
                     MetricType::Gauge);
  auto why = Family("exporterd_module_error_info",
                    "Present while a module is down; reason is timeout, "
                    "error, busy or stale. Details are on the landing page "
                    "and in the log.",
                    MetricType::Gauge);
  for (const auto& m : modules) {
    AddGauge(&up, m.up ? 1 : 0, {{"module", m.module}});
    AddGauge(&dur, m.duration_seconds, {{"module", m.module}});
    if (m.last_success_unix > 0)
      AddGauge(&last, m.last_success_unix, {{"module", m.module}});
    if (!m.up) AddGauge(&why, 1, {{"module", m.module}, {"reason", m.reason}});
  }
  for (auto* f : {&up, &dur, &last, &why})
    if (!f->metric.empty()) out.push_back(std::move(*f));

  auto ok = Family("exporterd_config_last_reload_successful",
                   "Whether the last configuration reload attempt was "
                   "successful.",
                   MetricType::Gauge);
  AddGauge(&ok, reload.last_successful ? 1 : 0);
  out.push_back(std::move(ok));
  auto ts = Family("exporterd_config_last_reload_success_timestamp_seconds",
                   "Timestamp of the last successful configuration reload.",
                   MetricType::Gauge);
  AddGauge(&ts, reload.last_success_unix);
  out.push_back(std::move(ts));

  auto proc = ProcessMetrics();
  for (auto& f : proc) out.push_back(std::move(f));
  return out;
}

}  // namespace exporterd
