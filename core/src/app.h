// The daemon: configuration and its reloads, module slots, the HTTP routes.
#ifndef EXPORTERD_APP_H_
#define EXPORTERD_APP_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "collector.h"
#include "config.h"
#include "event_loops.h"
#include "flags.h"
#include "http_server.h"
#include "module_loader.h"
#include "self_metrics.h"

namespace exporterd {

// Everything one accepted configuration brings up.
struct Runtime {
  Config config;
  std::vector<std::shared_ptr<ModuleSlot>> slots;             // config order
  std::map<std::string, std::shared_ptr<ModuleSlot>> routes;  // path -> slot
  std::vector<std::string> skipped;  // default-config modules not installed
  std::shared_ptr<const HttpSecurity> security;
};

// How long SIGTERM may take: past it the process exits (status 1) even if a
// module is still blocked in its Stop() or a collection.
inline constexpr std::chrono::milliseconds kShutdownGrace{10000};

class App {
 public:
  App(Flags flags, Logger* logger);
  ~App();

  // Loads config and web config into a new, not yet started runtime.
  // Null with every problem in *errors on failure.
  std::shared_ptr<Runtime> Build(ConfigErrors* errors);

  // --config.check: prints every error (or a summary) and returns the exit
  // code.
  int CheckConfig(std::ostream& out);

  // Loads the configuration, starts modules and the server.
  bool Start(std::string* error);
  // Re-reads both config files; on any error keeps the running ones.
  // Blocks; one reload runs at a time.
  bool Reload(std::string* error);
  // Queues a reload on the reload thread; `done` (may be empty) gets the
  // outcome there. Requests that arrive while one waits share it.
  void RequestReload(std::function<void(bool ok, const std::string& err)> done);
  void Stop();
  // Start, then serve until SIGTERM/SIGINT; SIGHUP reloads.
  int Run();

  // Answers one HTTP request (on its connection's loop, without blocking).
  void Handle(std::shared_ptr<HttpExchange> ex);
  // Answers `req` as if it came over HTTP and waits for the answer, with
  // the body in one piece (tests and tools; needs Start()).
  HttpResponse HandleNow(const HttpRequest& req);
  std::vector<uint16_t> Ports() const;
  // The loops lent to modules.
  EventLoops* loops() { return &loops_; }

 private:
  struct ModuleBody;
  std::shared_ptr<Runtime> Current() const;
  Clock::time_point Deadline(const HttpRequest& req,
                             std::chrono::milliseconds cap) const;
  HttpResponse Metrics(const HttpRequest& req);
  void Target(const std::shared_ptr<HttpExchange>& ex,
              const std::shared_ptr<ModuleSlot>& slot);
  HttpResponse Landing();
  // Module families served as one shared serialized body while unchanged.
  std::shared_ptr<ModuleBody> ModulesBody(
      const std::vector<ModuleOutcome>& outcomes,
      const std::vector<prometheus::MetricFamily>& self);
  std::string RouteOf(const std::string& path) const;
  void Install(std::shared_ptr<Runtime> rt);
  void ReloadLoop();

  Flags flags_;
  Logger* logger_;
  ModuleLoader loader_;
  CoreLoops loops_;  // outlives runtime_ (declared first)
  HttpStats stats_;
  std::optional<boost::asio::thread_pool> pool_;  // blocking handlers
  std::unique_ptr<HttpServer> server_;
  std::shared_ptr<std::atomic<int64_t>> targets_in_flight_ =
      std::make_shared<std::atomic<int64_t>>(0);

  mutable std::mutex mu_;  // guards runtime_, reload_, merge_problems_
  std::shared_ptr<Runtime> runtime_;
  ReloadState reload_;
  std::string last_reload_error_;
  std::string merge_problems_;  // logged once per change
  std::mutex reload_mu_;        // one reload at a time

  std::mutex body_mu_;  // ModulesBody(): one build at a time
  std::shared_ptr<ModuleBody> body_;

  // The reload thread (it also returns freed memory) and its queue.
  std::mutex rq_mu_;
  std::condition_variable rq_cv_;
  std::vector<std::function<void(bool, const std::string&)>> rq_waiting_;
  bool rq_pending_ = false;
  bool rq_stop_ = false;
  std::thread reloader_;
  std::atomic<bool> scraped_{false};  // since the last malloc_trim
};

std::string VersionString();

}  // namespace exporterd

#endif  // EXPORTERD_APP_H_
