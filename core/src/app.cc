#include "app.h"

#include <signal.h>
#include <string.h>

#include <cmath>
#include <set>
#include <sstream>

#include "exposition.h"
#include "logger.h"

namespace exporterd {

namespace {

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

const std::set<std::string>& ReservedPaths() {
  static const std::set<std::string> s = {"/", "/metrics", "/-/healthy",
                                          "/-/ready", "/-/reload"};
  return s;
}

}  // namespace

std::string VersionString() {
  return std::string("exporterd, version ") + EXPORTERD_VERSION +
         " (revision: " + EXPORTERD_REVISION +
         ")\n  module ABI: " + std::to_string(EXPORTERD_MODULE_ABI_VERSION) +
         "\n  build: " EXPORTERD_MODULE_BUILD_ID "\n";
}

App::App(Flags flags, Logger* logger)
    : flags_(std::move(flags)),
      logger_(logger),
      loader_(flags_.module_dirs.empty() ? DefaultModuleDirs()
                                         : flags_.module_dirs) {}

App::~App() { Stop(); }

std::shared_ptr<Runtime> App::Build(ConfigErrors* errors) {
  auto rt = std::make_shared<Runtime>();
  std::optional<Config> cfg =
      flags_.config_file.empty()
          ? ParseConfig(EmbeddedDefaultConfig(), kEmbeddedConfigName, errors)
          : LoadConfigFile(flags_.config_file, errors);

  auto security = std::make_shared<HttpSecurity>();
  if (!flags_.web_config_file.empty()) {
    std::optional<WebConfig> web =
        LoadWebConfig(flags_.web_config_file, errors);
    if (web) {
      security->tls = web->tls_context;
      if (!web->basic_auth_users.empty())
        security->auth =
            std::make_shared<const BasicAuth>(web->basic_auth_users);
      security->headers = web->headers;
    }
  }
  rt->security = security;
  if (!cfg) return nullptr;
  rt->config = std::move(*cfg);

  for (const ModuleConfig& mc : rt->config.modules) {
    const std::string key = "modules." + mc.name;
    std::string err;
    bool not_found = false;
    auto lib = loader_.Load(mc.name, &err, &not_found);
    if (!lib) {
      if (rt->config.embedded && not_found) {
        rt->skipped.push_back(mc.name);
        continue;
      }
      errors->Add(rt->config.file, mc.line, key, err);
      continue;
    }
    ModuleEnv env;
    env.name = mc.name;
    env.config = &mc.body;
    env.config_file = rt->config.file;
    env.key_path = key;
    env.embedded_default = rt->config.embedded;
    auto inst = ModuleLoader::Create(
        lib, env,
        std::make_unique<FieldLogger>(logger_, LogFields{{"module", mc.name}}),
        errors);
    if (!inst) continue;
    auto slot = std::make_shared<ModuleSlot>(
        std::shared_ptr<ModuleInstance>(std::move(inst)), mc.timeout,
        mc.min_interval, logger_);
    for (const std::string& route : slot->instance()->Routes()) {
      if (route.empty() || route[0] != '/' || ReservedPaths().count(route)) {
        errors->Add(
            rt->config.file, mc.line, key,
            "module asks for route \"" + route + "\", which is not allowed");
      } else if (rt->routes.count(route)) {
        errors->Add(rt->config.file, mc.line, key,
                    "route " + route + " is already served by module " +
                        rt->routes[route]->name());
      } else {
        rt->routes[route] = slot;
      }
    }
    rt->slots.push_back(std::move(slot));
  }
  if (!errors->empty()) return nullptr;
  return rt;
}

int App::CheckConfig(std::ostream& out) {
  ConfigErrors errors;
  auto rt = Build(&errors);
  if (!rt) {
    out << errors.ToString();
    out << errors.list.size() << " error"
        << (errors.list.size() == 1 ? "" : "s") << " in configuration\n";
    return 1;
  }
  out << "config OK: " << rt->config.file << ", " << rt->slots.size()
      << " module" << (rt->slots.size() == 1 ? "" : "s");
  for (const auto& s : rt->slots) out << " " << s->name();
  if (!rt->skipped.empty()) {
    out << " (not installed, skipped:";
    for (const auto& s : rt->skipped) out << " " << s;
    out << ")";
  }
  out << "\n";
  return 0;
}

void App::Install(std::shared_ptr<Runtime> rt) {
  for (const auto& s : rt->slots) s->Start();
  std::shared_ptr<Runtime> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = std::move(runtime_);
    runtime_ = rt;
    reload_.last_successful = true;
    reload_.last_success_unix = UnixNow();
    last_reload_error_.clear();
  }
  if (server_) server_->SetSecurity(rt->security);
  if (old)
    for (const auto& s : old->slots) s->Stop();
  std::string names;
  for (const auto& s : rt->slots)
    names += (names.empty() ? "" : ",") + s->name();
  LogFields f = {{"file", rt->config.file}, {"modules", names}};
  if (!rt->skipped.empty()) {
    std::string sk;
    for (const auto& s : rt->skipped) sk += (sk.empty() ? "" : ",") + s;
    f.emplace_back("not_installed", sk);
  }
  logger_->Info("configuration loaded", f);
}

bool App::Start(std::string* error) {
  ConfigErrors errors;
  auto rt = Build(&errors);
  if (!rt) {
    *error = errors.ToString();
    return false;
  }
  HttpServerOptions opts;
  opts.listen_addresses = flags_.listen_addresses;
  opts.handler_threads = flags_.web_threads;
  server_ = std::make_unique<HttpServer>(
      opts, [this](const HttpRequest& r) { return Handle(r); }, logger_);
  if (!server_->Start(rt->security, error)) {
    server_.reset();
    return false;
  }
  Install(rt);
  auto ports = server_->Ports();
  for (size_t i = 0; i < ports.size(); ++i)
    logger_->Info("listening", {{"address", flags_.listen_addresses[i]},
                                {"port", std::to_string(ports[i])},
                                {"tls", rt->security->tls ? "true" : "false"}});
  return true;
}

bool App::Reload(std::string* error) {
  std::lock_guard<std::mutex> reload_lock(reload_mu_);
  ConfigErrors errors;
  auto rt = Build(&errors);
  if (!rt) {
    *error = errors.ToString();
    {
      std::lock_guard<std::mutex> lock(mu_);
      reload_.last_successful = false;
      last_reload_error_ = *error;
    }
    logger_->Error(
        "reload failed; keeping the running configuration",
        {{"errors", std::to_string(errors.list.size())}, {"err", *error}});
    return false;
  }
  Install(rt);
  return true;
}

void App::Stop() {
  if (server_) server_->Stop();
  std::shared_ptr<Runtime> rt;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rt = std::move(runtime_);
  }
  if (rt)
    for (const auto& s : rt->slots) s->Stop();
}

int App::Run() {
  // Signals go to the sigwait() below only: block them before any thread
  // exists so every thread inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::string error;
  if (!Start(&error)) {
    logger_->Error("cannot start", {{"err", error}});
    return 1;
  }
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      logger_->Info("SIGHUP: reloading configuration");
      std::string err;
      Reload(&err);
      continue;
    }
    logger_->Info("shutting down", {{"signal", strsignal(sig)}});
    break;
  }
  Stop();
  return 0;
}

std::shared_ptr<Runtime> App::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runtime_;
}

std::vector<uint16_t> App::Ports() const {
  return server_ ? server_->Ports() : std::vector<uint16_t>{};
}

// Deadline from X-Prometheus-Scrape-Timeout-Seconds less the offset, capped
// by `cap` (a module's timeout).
Clock::time_point App::Deadline(const HttpRequest& req,
                                std::chrono::milliseconds cap) const {
  const auto now = Clock::now();
  auto limit = std::chrono::duration<double>(cap);
  std::string h = req.Header("x-prometheus-scrape-timeout-seconds");
  if (!h.empty()) {
    try {
      double s = std::stod(h);
      if (std::isfinite(s) && s > 0) {
        double off =
            std::chrono::duration<double>(flags_.timeout_offset).count();
        // Too small to take the offset from: keep most of it instead.
        double budget = s > off ? s - off : s * 0.9;
        limit = std::min(limit, std::chrono::duration<double>(budget));
      }
    } catch (...) {
    }
  }
  return now + std::chrono::duration_cast<Clock::duration>(limit);
}

HttpResponse App::Exposition(const HttpRequest& req, std::string text) {
  HttpResponse r;
  r.content_type = kExpositionContentType;
  if (AcceptsGzip(req.Header("accept-encoding"))) {
    std::string z;
    if (Gzip(text, &z)) {
      r.body = std::move(z);
      r.headers.emplace_back("Content-Encoding", "gzip");
      r.headers.emplace_back("Vary", "Accept-Encoding");
      return r;
    }
  }
  r.body = std::move(text);
  return r;
}

HttpResponse App::Metrics(const HttpRequest& req) {
  auto rt = Current();
  if (!rt) return Text(503, "not ready\n");
  const auto start = Clock::now();
  std::vector<std::shared_ptr<ModuleSlot>> collecting;
  for (const auto& s : rt->slots)
    if (s->instance()->HasCollect()) collecting.push_back(s);
  // Start every module first, then wait: they run in parallel.
  for (const auto& s : collecting) s->Kick(Deadline(req, s->timeout()));
  std::vector<ModuleOutcome> outcomes;
  for (const auto& s : collecting)
    outcomes.push_back(s->Collect(Deadline(req, s->timeout()), start));

  ReloadState reload;
  {
    std::lock_guard<std::mutex> lock(mu_);
    reload = reload_;
  }
  const auto self = SelfMetrics(outcomes, reload);
  std::vector<const Families*> sources = {&self};
  for (const auto& o : outcomes)
    if (o.families) sources.push_back(o.families.get());
  std::vector<std::string> problems;
  auto merged = MergeFamilies(sources, &problems);
  std::string joined;
  for (const auto& p : problems) joined += p + "; ";
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (joined != merge_problems_) {
      if (!joined.empty())
        logger_->Warn("conflicting metrics between modules", {{"err", joined}});
      merge_problems_ = joined;
    }
  }
  return Exposition(req, Serialize(merged.families));
}

HttpResponse App::Target(const HttpRequest& req,
                         const std::shared_ptr<ModuleSlot>& slot) {
  TargetRequest tr;
  tr.path = req.path;
  tr.params = req.query;
  tr.deadline = Deadline(req, slot->timeout());
  tr.debug = req.Query("debug") == "true";
  TargetResponse resp = slot->instance()->Handle(tr);
  if (resp.status != 200 || tr.debug) {
    HttpResponse r = Text(resp.status, std::move(resp.text));
    return r;
  }
  return Exposition(req, Serialize(resp.families));
}

HttpResponse App::Landing() {
  auto rt = Current();
  std::string reload_error;
  bool reload_ok;
  {
    std::lock_guard<std::mutex> lock(mu_);
    reload_error = last_reload_error_;
    reload_ok = reload_.last_successful;
  }
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
       "<title>exporterd</title>\n<style>body{font-family:sans-serif;"
       "margin:2em}table{border-collapse:collapse}td,th{border:1px solid "
       "#ccc;padding:4px 8px;text-align:left;vertical-align:top}"
       ".up{color:#070}.down{color:#b00}pre{margin:0;white-space:pre-wrap}"
       "</style></head><body>\n<h1>exporterd</h1>\n<p>"
    << HtmlEscape(VersionString()) << "</p>\n<ul><li><a href=\"metrics\">"
    << "Metrics</a></li>";
  if (rt)
    for (const auto& [path, slot] : rt->routes)
      h << "<li><a href=\"" << HtmlEscape(path.substr(1)) << "\">"
        << HtmlEscape(path) << "</a> (module " << HtmlEscape(slot->name())
        << ")</li>";
  h << "<li><a href=\"-/healthy\">Health</a></li></ul>\n";
  if (!reload_ok)
    h << "<p class=\"down\">Last configuration reload failed; still running "
         "the previous one:</p><pre>"
      << HtmlEscape(reload_error) << "</pre>\n";
  if (rt) {
    h << "<h2>Modules</h2>\n<p>Configuration: " << HtmlEscape(rt->config.file)
      << "</p>\n<table><tr><th>module</th><th>status</th><th>last "
         "error</th><th>timeout</th><th>min_interval</th><th>details</th></"
         "tr>\n";
    for (const auto& s : rt->slots) {
      ModuleOutcome last = s->Last();
      bool has_collect = s->instance()->HasCollect();
      std::string status = !has_collect ? "serves requests"
                           : last.last_success_unix == 0 && last.up
                               ? "not collected yet"
                           : last.up ? "up"
                                     : "down (" + last.reason + ")";
      h << "<tr><td>" << HtmlEscape(s->name()) << "</td><td class=\""
        << (last.up ? "up" : "down") << "\">" << HtmlEscape(status)
        << "</td><td>" << HtmlEscape(last.error) << "</td><td>"
        << FormatDuration(s->timeout()) << "</td><td>"
        << FormatDuration(s->min_interval()) << "</td><td><pre>"
        << HtmlEscape(s->instance()->Debug()) << "</pre></td></tr>\n";
    }
    h << "</table>\n";
    if (!rt->skipped.empty()) {
      h << "<p>In the default configuration but not installed:";
      for (const auto& s : rt->skipped) h << " " << HtmlEscape(s);
      h << "</p>\n";
    }
  }
  h << "</body></html>\n";
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = h.str();
  return r;
}

HttpResponse App::Handle(const HttpRequest& req) {
  const bool get = req.method == "GET" || req.method == "HEAD";
  auto method_not_allowed = [](const char* allow) {
    HttpResponse r = Text(405, "method not allowed\n");
    r.headers.emplace_back("Allow", allow);
    return r;
  };
  if (req.path == "/-/reload") {
    if (req.method != "POST" && req.method != "PUT")
      return method_not_allowed("POST, PUT");
    std::string err;
    if (!Reload(&err)) return Text(500, "failed to reload config: " + err);
    return Text(200, "OK\n");
  }
  if (!get) return method_not_allowed("GET, HEAD");
  if (req.path == "/metrics") return Metrics(req);
  if (req.path == "/-/healthy") return Text(200, "Healthy\n");
  if (req.path == "/-/ready") {
    return Current() ? Text(200, "Ready\n") : Text(503, "not ready\n");
  }
  if (req.path == "/") return Landing();
  if (auto rt = Current()) {
    auto it = rt->routes.find(req.path);
    if (it != rt->routes.end()) return Target(req, it->second);
  }
  return Text(404, "404 page not found\n");
}

}  // namespace exporterd
