// The daemon: configuration and its reloads, module slots, the HTTP routes.
#ifndef EXPORTERD_APP_H_
#define EXPORTERD_APP_H_

#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "collector.h"
#include "config.h"
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
  bool Reload(std::string* error);
  void Stop();
  // Start, then serve until SIGTERM/SIGINT; SIGHUP reloads.
  int Run();

  HttpResponse Handle(const HttpRequest& req);
  std::vector<uint16_t> Ports() const;

 private:
  std::shared_ptr<Runtime> Current() const;
  Clock::time_point Deadline(const HttpRequest& req,
                             std::chrono::milliseconds cap) const;
  HttpResponse Metrics(const HttpRequest& req);
  HttpResponse Target(const HttpRequest& req,
                      const std::shared_ptr<ModuleSlot>& slot);
  HttpResponse Landing();
  HttpResponse Exposition(const HttpRequest& req, std::string text);
  void Install(std::shared_ptr<Runtime> rt);

  Flags flags_;
  Logger* logger_;
  ModuleLoader loader_;
  std::unique_ptr<HttpServer> server_;

  mutable std::mutex mu_;  // guards runtime_, reload_, merge_problems_
  std::shared_ptr<Runtime> runtime_;
  ReloadState reload_;
  std::string last_reload_error_;
  std::string merge_problems_;  // logged once per change
  std::mutex reload_mu_;        // one reload at a time
};

std::string VersionString();

}  // namespace exporterd

#endif  // EXPORTERD_APP_H_
