#include "self_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "exporterd/metrics.h"

namespace exporterd {

using prometheus::MetricFamily;
using prometheus::MetricType;

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
      AddScalar(&out, "process_cpu_seconds_total",
                "Total user and system CPU time spent in seconds.", cpu,
                MetricType::Counter);
      AddScalar(&out, "process_resident_memory_bytes",
                "Resident memory size in bytes.", rss);
      AddScalar(&out, "process_virtual_memory_bytes",
                "Virtual memory size in bytes.", vsize);
      AddScalar(&out, "process_start_time_seconds",
                "Start time of the process since unix epoch in "
                "seconds.",
                boot + start_ticks / tick);
    }
  }
  int fds = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++fds;
    closedir(d);
    --fds;  // the directory stream's own descriptor
  }
  AddScalar(&out, "process_open_fds", "Number of open file descriptors.", fds);
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    AddScalar(&out, "process_max_fds",
              "Maximum number of open file descriptors.",
              static_cast<double>(rl.rlim_cur));
  }
  return out;
}

std::vector<MetricFamily> SelfMetrics(const std::vector<ModuleOutcome>& modules,
                                      const ReloadState& reload) {
  std::vector<MetricFamily> out;
  Family::Info("exporterd_build_info",
               "A metric with a constant '1' value labeled by version and "
               "revision from which exporterd was built.")
      .Add({{"revision", EXPORTERD_REVISION}, {"version", EXPORTERD_VERSION}})
      .MoveTo(&out);

  Family up = Family::Gauge("exporterd_module_up",
                            "1 if the module's last collection for this "
                            "scrape succeeded in time, else 0.");
  Family dur = Family::Gauge("exporterd_module_scrape_duration_seconds",
                             "How long the module's collection took (or was "
                             "waited for) in this scrape.");
  Family last =
      Family::Gauge("exporterd_module_last_success_timestamp_seconds",
                    "Unix time of the module's last successful collection.");
  Family why = Family::Info(
      "exporterd_module_error_info",
      "Present while a module is down; reason is timeout, error, busy, stale "
      "or failed (did not start). Details are on the landing page and in the "
      "log.");
  for (const auto& m : modules) {
    up.Add({{"module", m.module}}, m.up ? 1 : 0);
    dur.Add({{"module", m.module}}, m.duration_seconds);
    if (m.last_success_unix > 0)
      last.Add({{"module", m.module}}, m.last_success_unix);
    if (!m.up) why.Add({{"module", m.module}, {"reason", m.reason}});
  }
  for (Family* f : {&up, &dur, &last, &why})
    if (!f->empty()) f->MoveTo(&out);

  AddScalar(&out, "exporterd_config_last_reload_successful",
            "Whether the last configuration reload attempt was "
            "successful.",
            reload.last_successful ? 1 : 0);
  AddScalar(&out, "exporterd_config_last_reload_success_timestamp_seconds",
            "Timestamp of the last successful configuration reload.",
            reload.last_success_unix);

  auto proc = ProcessMetrics();
  for (auto& f : proc) out.push_back(std::move(f));
  return out;
}

}  // namespace exporterd
