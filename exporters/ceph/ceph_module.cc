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
#include "exporterd/module.h"
#include "rados_client.h"
#include "reweight.h"

namespace ceph {
namespace {

using exporterd::CollectRequest;
using exporterd::CollectResult;
using exporterd::ConfigErrors;
using exporterd::ModuleEnv;

class CephModule : public exporterd::Module {
 public:
  static std::unique_ptr<exporterd::Module> Create(const ModuleEnv& env,
                                                   ConfigErrors& errors);
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
  RadosOptions& o = m->rados_opts_;
  o.conf_file = r.String("conf_file", o.conf_file);
  o.cluster = r.String("cluster", o.cluster);
  o.user = r.String("user", o.user);
  o.keyring = r.String("keyring", "");
  if (o.user.rfind("client.", 0) == 0) o.user = o.user.substr(7);
  {
    exporterd::ConfigReader rw = r.Child("reweight");
    ReweightParams& p = m->params_;
    p.oload = rw.Int("oload", p.oload, 101, 1000000);
    p.max_change = rw.Float("max_change", p.max_change);
    p.max_osds = rw.Int("max_osds", p.max_osds, 1, 1000000);
    p.no_increasing = rw.Bool("no_increasing", p.no_increasing);
    if (!(p.max_change > 0 && p.max_change <= 1))
      rw.Error("max_change", "must be greater than 0 and at most 1");
    rw.Finish();
  }
  r.Finish();
  // The core owns `timeout`; librados gets the same bound (whole seconds).
  std::chrono::milliseconds timeout(10000);
  if (env.config && (*env.config)["timeout"]) {
    try {
      if (auto d = exporterd::ParseDuration(
              (*env.config)["timeout"].as<std::string>()))
        timeout = *d;
    } catch (const YAML::Exception&) {
    }
  }
  o.timeout_seconds = std::max<int>(
      1, static_cast<int>(
             std::ceil(static_cast<double>(timeout.count()) / 1000.0)));
  if (o.conf_file.empty()) r.Error("conf_file", "must not be empty");
  if (o.user.empty()) r.Error("user", "must not be empty");

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
