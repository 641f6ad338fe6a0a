// A module for tests and benchmarks only: emits N series, can block, fail,
// throw, and serve a multi-target route, synchronously or (async: true) on
// the core's event loops: ?sleep=2s answers after an Asio timer, ?never=true
// never answers. Built as exporterd_testmod.so and exporterd_testmod2.so
// (TESTMOD_NAME) so two modules can share families.
#include <atomic>
#include <thread>

#include "exporterd/asio.h"
#include "exporterd/module.h"

#ifndef TESTMOD_NAME
#define TESTMOD_NAME testmod
#endif
#ifndef TESTMOD_BUILD_ID
#define TESTMOD_BUILD_ID EXPORTERD_MODULE_BUILD_ID
#endif

namespace {

using exporterd::CollectRequest;
using exporterd::CollectResult;
using exporterd::ConfigErrors;
using exporterd::ConfigReader;
using exporterd::ModuleEnv;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily ProbeSuccess(const std::string& target, bool success) {
  MetricFamily f;
  f.name = "testprobe_success";
  f.help = "Whether the test probe succeeded.";
  f.type = MetricType::Gauge;
  f.metric.emplace_back();
  f.metric.back().label.push_back({"target", target});
  f.metric.back().gauge.value = success ? 1 : 0;
  return f;
}

class TestModule : public exporterd::Module {
 public:
  static std::unique_ptr<Module> Create(const ModuleEnv& env,
                                        ConfigErrors& errors) {
    auto m = std::make_unique<TestModule>();
    m->name_ = env.name;
    ConfigReader r = exporterd::ModuleConfigReader(env, errors);
    m->series_ = r.Int("series", 3, 0, 10000000);
    m->family_ = r.String("family", env.name + "_value");
    m->type_ = r.Enum("type", "gauge", {"gauge", "counter"});
    m->labels_ = r.Int("labels", 1, 1, 8);
    m->sleep_ = r.Duration("sleep", std::chrono::milliseconds(0));
    m->handle_sleep_ = r.Duration("handle_sleep", std::chrono::milliseconds(0));
    m->stop_sleep_ = r.Duration("stop_sleep", std::chrono::milliseconds(0));
    m->honor_cancel_ = r.Bool("honor_cancel", false);
    m->fail_ = r.String("fail", "");
    m->throw_ = r.Bool("throw", false);
    m->route_ = r.String("route", "");
    m->collect_ = r.Bool("collect", true);
    m->async_ = r.Bool("async", false);
    m->idle_ = r.String("idle", "");
    m->start_fail_ = r.String("start_fail", "");
    m->has_collect_fail_ = r.String("has_collect_fail", "");
    m->timeout_ = env.timeout;
    r.Finish();
    if (!m->route_.empty() && m->route_[0] != '/')
      r.Error("route", "must start with /");
    return m;
  }

  void Start() override {
    if (!start_fail_.empty()) throw std::runtime_error(start_fail_);
  }
  // stop_sleep: the module blocks when it is destroyed (at shutdown or a
  // reload), as a library call that does not return would (a Ceph client
  // waiting on its cluster).
  ~TestModule() override {
    if (stop_sleep_.count() > 0) std::this_thread::sleep_for(stop_sleep_);
  }
  bool HasCollect() const override {
    if (!has_collect_fail_.empty()) throw std::runtime_error(has_collect_fail_);
    return collect_;
  }
  bool Async() const override { return async_; }
  std::string Idle() const override { return idle_; }

  CollectResult Collect(const CollectRequest& req) override {
    ++collections_;
    auto until = exporterd::Clock::now() + sleep_;
    while (exporterd::Clock::now() < until) {
      if (honor_cancel_ && req.cancelled && req.cancelled->load()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (throw_) throw std::runtime_error("testmod was told to throw");
    CollectResult r;
    if (!fail_.empty()) {
      r.ok = false;
      r.error = fail_;
      return r;
    }
    MetricFamily f;
    f.name = family_;
    f.help = "Test series from module " + name_ + ".";
    f.type = type_ == "counter" ? MetricType::Counter : MetricType::Gauge;
    f.metric.reserve(static_cast<size_t>(series_));
    for (int64_t i = 0; i < series_; ++i) {
      ClientMetric m;
      m.label.push_back({"module", name_});
      m.label.push_back({"series", std::to_string(i)});
      for (int64_t l = 1; l < labels_; ++l)
        m.label.push_back(
            {"l" + std::to_string(l), "value" + std::to_string(i % 7)});
      if (f.type == MetricType::Counter)
        m.counter.value = static_cast<double>(i);
      else
        m.gauge.value = static_cast<double>(i) + 0.5;
      f.metric.push_back(std::move(m));
    }
    r.families.push_back(std::move(f));
    MetricFamily c;
    c.name = name_ + "_collections_total";
    c.help = "Collections run by module " + name_ + ".";
    c.type = MetricType::Counter;
    c.metric.emplace_back();
    c.metric.back().counter.value = static_cast<double>(collections_.load());
    r.families.push_back(std::move(c));
    MetricFamily k;
    k.name = name_ + "_cancellations_total";
    k.help = "Asynchronous requests the core cancelled.";
    k.type = MetricType::Counter;
    k.metric.emplace_back();
    k.metric.back().counter.value = static_cast<double>(cancellations_->load());
    r.families.push_back(std::move(k));
    return r;
  }

  // Answers after an Asio timer (?sleep=), or never (?never=true), holding
  // no thread in between.
  void HandleAsync(std::shared_ptr<exporterd::TargetCall> call) override {
    const exporterd::TargetRequest& req = call->request();
    if (req.Param("target").empty() || req.debug)
      return call->Reply(Handle(req));
    auto cancellations = cancellations_;
    if (req.Param("never") == "true") {
      // Not kept: the core's deadline still ends the request.
      call->OnCancel([cancellations] { ++*cancellations; });
      return;
    }
    auto sleep = exporterd::ParseDuration(req.Param("sleep"))
                     .value_or(std::chrono::milliseconds(0));
    auto timer = std::make_shared<boost::asio::steady_timer>(call->loop());
    timer->expires_after(sleep);
    auto answer = [target = req.Param("target")](exporterd::TargetCall& c,
                                                 bool success) {
      exporterd::TargetResponse resp;
      resp.families.push_back(ProbeSuccess(target, success));
      c.Reply(std::move(resp));
    };
    // At the deadline: a partial answer, from the cancel callback.
    std::weak_ptr<exporterd::TargetCall> weak = call;
    call->OnCancel([weak, timer, cancellations, answer] {
      ++*cancellations;
      timer->cancel();
      if (auto c = weak.lock()) answer(*c, false);
    });
    timer->async_wait([call, timer, answer](boost::system::error_code ec) {
      if (!ec) answer(*call, true);
    });
  }

  std::vector<std::string> Routes() const override {
    if (route_.empty()) return {};
    return {route_};
  }

  exporterd::TargetResponse Handle(
      const exporterd::TargetRequest& req) override {
    exporterd::TargetResponse resp;
    std::this_thread::sleep_for(handle_sleep_);
    std::string target = req.Param("target");
    if (target.empty()) {
      resp.status = 400;
      resp.text = "target parameter is missing\n";
      return resp;
    }
    if (req.debug) {
      resp.text = "debug: would probe " + target + "\n";
      return resp;
    }
    resp.families.push_back(ProbeSuccess(target, true));
    MetricFamily t;
    t.name = "testprobe_timeout_seconds";
    t.help = "Time the probe was given.";
    t.type = MetricType::Gauge;
    t.metric.emplace_back();
    t.metric.back().gauge.value =
        std::chrono::duration<double>(req.deadline - exporterd::Clock::now())
            .count();
    resp.families.push_back(std::move(t));
    return resp;
  }

  std::string Debug() const override {
    return "timeout=" + exporterd::FormatDuration(timeout_) +
           " series=" + std::to_string(series_) +
           " collections=" + std::to_string(collections_.load()) +
           " cancellations=" + std::to_string(cancellations_->load());
  }

 private:
  std::string name_;
  int64_t series_ = 0;
  std::string family_;
  std::string type_;
  int64_t labels_ = 1;
  std::chrono::milliseconds sleep_{0};
  std::chrono::milliseconds handle_sleep_{0};
  std::chrono::milliseconds stop_sleep_{0};
  bool honor_cancel_ = false;
  std::string fail_;
  bool throw_ = false;
  std::string route_;
  bool collect_ = true;
  bool async_ = false;
  std::string idle_;
  std::string start_fail_;
  std::string has_collect_fail_;
  std::chrono::milliseconds timeout_{0};  // the core's, from ModuleEnv
  std::atomic<int64_t> collections_{0};
  // Shared with pending timers, which may outlive the instance.
  std::shared_ptr<std::atomic<int64_t>> cancellations_ =
      std::make_shared<std::atomic<int64_t>>(0);
};

}  // namespace

EXPORTERD_MODULE_WITH_BUILD_ID(TESTMOD_NAME, TestModule, TESTMOD_BUILD_ID)
