// Entry point of exporterd_ceph.so: config, the librados worker thread and
// the deadline. Parsing, hints and metrics are in ceph_lib.
//
// librados calls can block (a dead mon: up to client_mount_timeout per
// connect, rados_mon_op_timeout per command), so they run on one worker
// thread that owns the connection. Collect() hands it a request and waits
// until the deadline; a late fetch keeps running (never a second one: at most
// one outstanding fetch or connection attempt) and a Collect() arriving
// while it runs waits for it instead of starting another.
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "ceph_json.h"
#include "ceph_metrics.h"
#include "exporterd/config_map.h"
#include "exporterd/module.h"
#include "rados_client.h"
#include "reweight.h"

namespace ceph {
namespace {

using exporterd::CollectRequest;
using exporterd::CollectResult;
using exporterd::ConfigErrors;
using exporterd::Key;
using exporterd::ModuleEnv;

// The module's keys. Defaults are librados' and Ceph's own, taken from the
// structs they configure.
const exporterd::ConfigMap<ReweightParams>& ReweightKeys() {
  static const ReweightParams d;
  static const exporterd::ConfigMap<ReweightParams> m{
      Key("oload", &ReweightParams::oload, d.oload,
          "Overload threshold in percent of the average utilization.")
          .Range(101, 1000000),
      Key("max_change", &ReweightParams::max_change, d.max_change,
          "Largest reweight change per OSD and run.")
          .Range(0.0001, 1.0),
      Key("max_osds", &ReweightParams::max_osds, d.max_osds,
          "Most OSDs changed per run.")
          .Range(1, 1000000),
      Key("no_increasing", &ReweightParams::no_increasing, d.no_increasing,
          "Never raise a reweight (--no-increasing)."),
  };
  return m;
}

const exporterd::ConfigMap<RadosOptions>& RadosKeys() {
  static const RadosOptions d;
  auto not_empty = [](const std::string& v) {
    return v.empty() ? "must not be empty" : "";
  };
  static const exporterd::ConfigMap<RadosOptions> m{
      Key("conf_file", &RadosOptions::conf_file, d.conf_file,
          "ceph.conf of the cluster.")
          .Check(not_empty),
      Key("cluster", &RadosOptions::cluster, d.cluster, "Cluster name."),
      Key("user", &RadosOptions::user, d.user,
          "cephx id, with or without \"client.\".")
          .Check(not_empty),
      Key("keyring", &RadosOptions::keyring, d.keyring,
          "Keyring file; empty: librados' own search.")
          .DefaultText(""),
  };
  return m;
}

class CephModule : public exporterd::Module {
 public:
  static std::unique_ptr<exporterd::Module> Create(const ModuleEnv& env,
                                                   ConfigErrors& errors);
  // The rados keys sit at the top level, reweight: below.
  static std::string ConfigReference() {
    std::string ref = RadosKeys().Reference();
    for (const auto& row : ReweightKeys().Rows())
      ref += "| `reweight." + row[0] + "` | " + row[1] + " | `" + row[2] +
             "` | " + row[3] + " |\n";
    return ref;
  }
  ~CephModule() override;

  void Start() override;
  bool HasCollect() const override { return !idle_; }
  std::string Idle() const override { return idle_reason_; }
  CollectResult Collect(const CollectRequest& req) override;

 private:
  void WorkerLoop();
  CollectResult Fetch();
  // Runs one command; false (and drops the connection on transport errors).
  bool Run(bool mgr, const std::string& json, std::string* out,
           std::string* error);

  exporterd::Logger* logger_ = nullptr;
  RadosOptions rados_opts_;
  ReweightParams params_;
  bool idle_ = false;
  std::string idle_reason_;

  std::unique_ptr<RadosClient> client_;  // worker thread only
  bool was_connected_ = false;           // worker thread only

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::thread worker_;
  bool stop_ = false;
  bool busy_ = false;       // a fetch is requested or running
  uint64_t requested_ = 0;  // id of the last requested fetch
  uint64_t finished_ = 0;   // id of the last finished fetch
  CollectResult last_;
};

std::unique_ptr<exporterd::Module> CephModule::Create(const ModuleEnv& env,
                                                      ConfigErrors& errors) {
  auto m = std::make_unique<CephModule>();
  m->logger_ = env.logger;
  exporterd::ConfigReader r = exporterd::ModuleConfigReader(env, errors);
  exporterd::ConfigReader rw = r.Child("reweight");
  m->params_ = ReweightKeys().Read(rw);
  RadosOptions& o = m->rados_opts_;
  o = RadosKeys().Read(r);
  if (o.user.rfind("client.", 0) == 0) o.user = o.user.substr(7);
  // librados gets the core's timeout too (whole seconds).
  o.timeout_seconds = std::max<int>(
      1, static_cast<int>(
             std::ceil(static_cast<double>(env.timeout.count()) / 1000.0)));

  if (env.embedded_default) {
    struct stat st;
    if (stat(o.conf_file.c_str(), &st) != 0) {
      m->idle_ = true;
      m->idle_reason_ = "no Ceph configuration at " + o.conf_file;
      m->logger_->Info("no Ceph configuration found, ceph is idle",
                       {{"conf_file", o.conf_file}});
    }
  }
  return m;
}

void CephModule::Start() {
  if (idle_ || worker_.joinable()) return;
  client_ = std::make_unique<RadosClient>(rados_opts_);
  worker_ = std::thread([this] { WorkerLoop(); });
}

CephModule::~CephModule() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  // Bounded by the librados timeouts if a call is in flight.
  if (worker_.joinable()) worker_.join();
}

CollectResult CephModule::Collect(const CollectRequest& req) {
  if (!worker_.joinable()) Start();
  std::unique_lock<std::mutex> lk(mu_);
  if (!busy_) {
    busy_ = true;
    ++requested_;
    work_cv_.notify_one();
  }
  const uint64_t want = requested_;
  if (!done_cv_.wait_until(lk, req.deadline,
                           [&] { return finished_ >= want; })) {
    CollectResult r;
    r.ok = false;
    r.error = "ceph did not answer within the deadline";
    return r;
  }
  return last_;
}

void CephModule::WorkerLoop() {
  std::unique_lock<std::mutex> lk(mu_);
  while (true) {
    work_cv_.wait(lk, [&] { return stop_ || finished_ < requested_; });
    if (stop_) break;
    const uint64_t id = requested_;
    lk.unlock();
    CollectResult r = Fetch();
    lk.lock();
    last_ = std::move(r);
    finished_ = id;
    busy_ = false;
    done_cv_.notify_all();
  }
  lk.unlock();
  client_.reset();
}

bool CephModule::Run(bool mgr, const std::string& json, std::string* out,
                     std::string* error) {
  std::string status;
  int r = client_->Command(mgr, json, out, &status);
  if (r >= 0) return true;
  *error = json + ": " + std::strerror(-r) +
           (status.empty() ? "" : " (" + status + ")");
  // Permission and argument errors leave the session usable; anything
  // else (timeouts, lost connection) gets a fresh connection next time.
  if (r != -EACCES && r != -EPERM && r != -EINVAL && r != -ENOENT)
    client_->Shutdown();
  return false;
}

CollectResult CephModule::Fetch() {
  CollectResult res;
  res.ok = false;
  if (!client_->connected()) {
    std::string err;
    if (!client_->Connect(&err)) {
      if (was_connected_)
        logger_->Warn("lost the Ceph cluster", {{"err", err}});
      was_connected_ = false;
      res.error = err;
      return res;
    }
    if (!was_connected_)
      logger_->Info("connected to Ceph",
                    {{"cluster", rados_opts_.cluster},
                     {"user", "client." + rados_opts_.user}});
    was_connected_ = true;
  }
  Snapshot s;
  std::string out, err;
  if (!Run(false, R"({"prefix":"osd dump","format":"json"})", &out, &err) ||
      !ParseOsdDump(out, &s.osd_dump, &err)) {
    res.error = err;
    return res;
  }
  // osd df and pg dump are mgr commands: sent to the mgr directly.
  if (!Run(true, R"({"prefix":"osd df","format":"json"})", &out, &err) ||
      !ParseOsdDf(out, &s.osd_df, &err)) {
    res.error = err;
    return res;
  }
  if (Run(true,
          R"({"prefix":"pg dump","dumpcontents":["osds"],"format":"json"})",
          &out, &err))
    s.has_pg_dump = ParsePgDumpOsds(out, &s.pg_dump, &err);
  if (!s.has_pg_dump) logger_->Debug("pg dump osds failed", {{"err", err}});
  if (client_->connected() &&
      Run(false, R"({"prefix":"df","format":"json"})", &out, &err))
    s.has_df = ParseDf(out, &s.df, &err);
  if (client_->connected() &&
      Run(false, R"({"prefix":"health","format":"json"})", &out, &err))
    s.has_health = ParseHealthStatus(out, &s.health_status, &err);
  if (!client_->connected()) {
    res.error = err;
    return res;
  }
  res.ok = true;
  res.families = BuildFamilies(s, params_);
  return res;
}

}  // namespace
}  // namespace ceph

EXPORTERD_MODULE(ceph, ceph::CephModule)
