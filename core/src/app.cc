#include "app.h"

#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "exporterd/asio.h"
#include "exposition.h"
#include "landing.h"
#include "logger.h"

namespace exporterd {

namespace {

HttpResponse Html(std::string body) {
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(body);
  return r;
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

// The exposition of `families` as a response, gzip-compressed when the
// client accepts it.
HttpResponse Exposition(const HttpRequest& req,
                        const std::vector<prometheus::MetricFamily>& families) {
  HttpResponse r;
  r.content_type = kExpositionContentType;
  std::string text = Serialize(families);
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

// A multi-target request between the core and a module (TargetCall). Ends
// exactly once: by the module's reply, at the deadline, or when the client
// goes away.
class CoreCall : public TargetCall,
                 public std::enable_shared_from_this<CoreCall> {
 public:
  CoreCall(std::shared_ptr<HttpExchange> ex, TargetRequest req,
           std::string module, std::shared_ptr<std::atomic<int64_t>> in_flight)
      : ex_(std::move(ex)),
        req_(std::move(req)),
        module_(std::move(module)),
        in_flight_(std::move(in_flight)),
        timer_(ex_->loop()) {}

  ~CoreCall() override { End(); }

  // Arms the deadline and the client watch (on the loop).
  void Arm() {
    timer_.expires_at(req_.deadline);
    // The timer keeps the call alive until it ends, whatever the module
    // keeps.
    timer_.async_wait(
        [self = shared_from_this()](boost::system::error_code ec) {
          if (!ec) self->Expire();
        });
    std::weak_ptr<CoreCall> weak = shared_from_this();
    ex_->OnClientGone([weak] {
      if (auto self = weak.lock()) self->Cancel(/*gone=*/true);
    });
  }

  const TargetRequest& request() const override { return req_; }
  boost::asio::io_context& loop() override { return ex_->loop(); }
  bool cancelled() const override { return cancelled_; }

  void Reply(TargetResponse resp) override {
    std::function<void()> unused;  // may hold the call: freed unlocked
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (replied_) return;
      replied_ = true;
      unused = std::move(on_cancel_);
    }
    // The timer belongs to the loop: cancel it there.
    boost::asio::post(ex_->loop(),
                      [self = shared_from_this()] { self->timer_.cancel(); });
    HttpResponse r;
    if (resp.status != 200 || req_.debug) {
      r.status = resp.status;
      r.body = std::move(resp.text);
    } else {
      r = Exposition(ex_->request(), resp.families);
    }
    ex_->Reply(std::move(r));
    End();
  }

  void OnCancel(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!cancelled_) {
        on_cancel_ = std::move(fn);
        return;
      }
    }
    if (fn) fn();
  }

 private:
  // The deadline passed: the module may still answer from its cancel
  // callback; otherwise the core does.
  void Expire() {
    Cancel(/*gone=*/false);
    bool replied;
    {
      std::lock_guard<std::mutex> lock(mu_);
      replied = replied_;
    }
    if (!replied)
      Reply({504,
             "module " + module_ + " did not answer before the deadline\n",
             {}});
  }

  void Cancel(bool gone) {
    std::function<void()> fn;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cancelled_) return;
      cancelled_ = true;
      fn = std::move(on_cancel_);
      if (gone) replied_ = true;  // nobody to answer
    }
    if (fn) fn();
    if (gone) {
      timer_.cancel();
      End();
    }
  }

  void End() {
    if (!ended_.exchange(true)) --*in_flight_;
  }

  std::shared_ptr<HttpExchange> ex_;
  TargetRequest req_;
  std::string module_;
  std::shared_ptr<std::atomic<int64_t>> in_flight_;
  boost::asio::steady_timer timer_;
  std::mutex mu_;
  bool replied_ = false;
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> ended_{false};
  std::function<void()> on_cancel_;
};

}  // namespace

// A serialized exposition of the modules' families, shared by every scrape
// that serves the same collection results.
struct App::ModuleBody {
  std::vector<std::shared_ptr<const Families>> key;
  std::shared_ptr<const std::string> text;
  std::string problems;  // merge conflicts, joined
  std::once_flag deflate_once;
  std::shared_ptr<const DeflatedPart> deflated;  // text, compressed
};

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
                                         : flags_.module_dirs),
      loops_(static_cast<size_t>(flags_.io_threads)) {}

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
    env.loops = &loops_;
    env.timeout = mc.timeout;
    env.min_interval = mc.min_interval;
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
  opts.max_connections = static_cast<size_t>(flags_.max_connections);
  opts.max_connections_per_address =
      static_cast<size_t>(flags_.max_connections_per_address);
  // By default keep half the descriptors for probes, modules and files; a
  // value set on the command line is the operator's.
  rlimit rl{};
  if (flags_.max_connections == Flags{}.max_connections &&
      getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      opts.max_connections > rl.rlim_cur / 2) {
    opts.max_connections = rl.rlim_cur / 2;
    logger_->Warn("file descriptor limit is low; capping connections",
                  {{"max_fds", std::to_string(rl.rlim_cur)},
                   {"max_connections", std::to_string(opts.max_connections)}});
  }
  opts.route_of = [this](const std::string& p) { return RouteOf(p); };
  pool_.emplace(static_cast<size_t>(flags_.web_threads));
  loops_.Start();
  server_ = std::make_unique<HttpServer>(
      opts, [this](std::shared_ptr<HttpExchange> ex) { Handle(std::move(ex)); },
      logger_, &loops_, &stats_);
  if (!server_->Start(rt->security, error)) {
    server_.reset();
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(rq_mu_);
    rq_stop_ = false;
  }
  reloader_ = std::thread([this] { ReloadLoop(); });
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

void App::RequestReload(
    std::function<void(bool ok, const std::string& err)> done) {
  {
    std::lock_guard<std::mutex> lock(rq_mu_);
    rq_pending_ = true;
    if (done) rq_waiting_.push_back(std::move(done));
  }
  rq_cv_.notify_all();
}

void App::ReloadLoop() {
  std::unique_lock<std::mutex> lock(rq_mu_);
  for (;;) {
    // Between reloads: collections come and go with scrapes; once a second,
    // off every request path, hand what they freed back to the system.
    if (!rq_cv_.wait_for(lock, std::chrono::seconds(1),
                         [&] { return rq_pending_ || rq_stop_; })) {
      if (scraped_.exchange(false)) malloc_trim(0);
      continue;
    }
    if (rq_stop_) break;
    // Everyone waiting now is answered by this one reload.
    auto waiting = std::move(rq_waiting_);
    rq_waiting_.clear();
    rq_pending_ = false;
    lock.unlock();
    std::string err;
    bool ok = Reload(&err);
    for (auto& fn : waiting) fn(ok, err);
    lock.lock();
  }
  // Nobody will reload for those still waiting.
  for (auto& fn : rq_waiting_) fn(false, "shutting down");
  rq_waiting_.clear();
}

void App::Stop() {
  if (server_) server_->Stop();
  {
    std::lock_guard<std::mutex> lock(rq_mu_);
    rq_stop_ = true;
  }
  rq_cv_.notify_all();
  if (reloader_.joinable()) reloader_.join();
  if (pool_) pool_->join();
  loops_.Stop();
  std::shared_ptr<Runtime> rt;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rt = std::move(runtime_);
  }
  if (rt)
    for (const auto& s : rt->slots) s->Stop();
  rt.reset();
  JoinCollections(Clock::now() + std::chrono::seconds(2));
  // Connections and module work still queued on the loops.
  loops_.DestroyPending();
  server_.reset();
}

namespace {
// Raises the soft open-files limit to the hard one, as the Go runtime does:
// every connection and probe needs a descriptor.
void RaiseFileLimit(Logger* logger) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlim_t before = rl.rlim_cur;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) rl.rlim_cur = before;
  }
  logger->Info("file descriptor limit",
               {{"soft", std::to_string(rl.rlim_cur)},
                {"was", std::to_string(before)},
                {"hard", std::to_string(rl.rlim_max)}});
}
}  // namespace

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
  RaiseFileLimit(logger_);

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
      RequestReload(nullptr);
      continue;
    }
    logger_->Info("shutting down", {{"signal", strsignal(sig)}});
    break;
  }
  // Stopping is bounded: a module blocked in a library call (a Ceph client
  // waiting on its cluster, say) must not keep the daemon alive after
  // SIGTERM. Past the grace period the process leaves anyway.
  std::thread([logger = logger_] {
    std::this_thread::sleep_for(kShutdownGrace);
    logger->Error("shutdown did not finish in time; exiting",
                  {{"grace", FormatDuration(kShutdownGrace)}});
    std::fflush(nullptr);
    std::_Exit(1);
  }).detach();
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

std::string App::RouteOf(const std::string& path) const {
  if (ReservedPaths().count(path)) return path;
  if (auto rt = Current())
    if (rt->routes.count(path)) return path;
  return "other";
}

std::shared_ptr<App::ModuleBody> App::ModulesBody(
    const std::vector<ModuleOutcome>& outcomes, const Families& self) {
  std::vector<std::shared_ptr<const Families>> key;
  for (const auto& o : outcomes)
    if (o.families) key.push_back(o.families);
  std::lock_guard<std::mutex> lock(body_mu_);
  if (body_ && body_->key == key) return body_;
  auto body = std::make_shared<ModuleBody>();
  body->key = std::move(key);
  // The core's own names are not the modules' to use.
  std::set<std::string> own;
  for (const auto& f : self) own.insert(f.name);
  std::vector<Families> filtered(body->key.size());
  std::vector<const Families*> sources;
  std::vector<std::string> problems;
  for (size_t i = 0; i < body->key.size(); ++i) {
    const Families& fams = *body->key[i];
    bool clash = false;
    for (const auto& f : fams) clash = clash || own.count(f.name);
    if (!clash) {
      sources.push_back(&fams);
      continue;
    }
    for (const auto& f : fams) {
      if (own.count(f.name))
        problems.push_back("family " + f.name +
                           " belongs to exporterd; dropped from a module");
      else
        filtered[i].push_back(f);
    }
    sources.push_back(&filtered[i]);
  }
  auto merged = MergeFamilies(sources, &problems);
  body->text = std::make_shared<const std::string>(Serialize(merged.families));
  for (const auto& p : problems) body->problems += p + "; ";
  body_ = body;
  return body;
}

HttpResponse App::Metrics(const HttpRequest& req) {
  auto rt = Current();
  if (!rt) return Text(503, "not ready\n");
  const auto start = Clock::now();
  std::vector<std::shared_ptr<ModuleSlot>> collecting;
  for (const auto& s : rt->slots)
    if (s->has_collect() || !s->failure().empty()) collecting.push_back(s);
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
  Families self = SelfMetrics(outcomes, reload);
  for (auto& f : stats_.Families()) self.push_back(std::move(f));
  std::vector<const Families*> self_sources = {&self};
  std::vector<std::string> ignored;
  std::string self_text =
      Serialize(MergeFamilies(self_sources, &ignored).families);
  auto body = ModulesBody(outcomes, self);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (body->problems != merge_problems_) {
      if (!body->problems.empty())
        logger_->Warn("conflicting metrics between modules",
                      {{"err", body->problems}});
      merge_problems_ = body->problems;
    }
  }

  scraped_ = true;  // the reload thread returns freed memory
  HttpResponse r;
  r.content_type = kExpositionContentType;
  if (AcceptsGzip(req.Header("accept-encoding"))) {
    // The modules' part is compressed once per collection, shared.
    std::call_once(body->deflate_once, [&] {
      auto d = std::make_shared<DeflatedPart>();
      if (DeflateRaw(*body->text, /*last=*/true, d.get())) body->deflated = d;
    });
    DeflatedPart head;
    if (body->deflated && DeflateRaw(self_text, /*last=*/false, &head)) {
      r.body = GzipHeader() + head.data;
      r.shared_body = {std::shared_ptr<const std::string>(
                           body->deflated, &body->deflated->data),
                       std::make_shared<const std::string>(
                           GzipTrailer(head, *body->deflated))};
      r.headers.emplace_back("Content-Encoding", "gzip");
      r.headers.emplace_back("Vary", "Accept-Encoding");
      return r;
    }
  }
  r.body = std::move(self_text);
  r.shared_body = {body->text};
  return r;
}

void App::Target(const std::shared_ptr<HttpExchange>& ex,
                 const std::shared_ptr<ModuleSlot>& slot) {
  const HttpRequest& req = ex->request();
  if (targets_in_flight_->fetch_add(1) >= flags_.max_requests) {
    --*targets_in_flight_;
    stats_.Rejected(req.path, "max_requests");
    HttpResponse r = Text(503, "too many requests in flight (" +
                                   std::to_string(flags_.max_requests) +
                                   ", --web.max-requests); retry later\n");
    r.headers.emplace_back("Retry-After", "1");
    return ex->Reply(std::move(r));
  }
  if (!slot->failure().empty()) {
    --*targets_in_flight_;
    return ex->Reply(Text(503, slot->failure() + "\n"));
  }
  TargetRequest tr;
  tr.path = req.path;
  tr.params = req.query;
  tr.deadline = Deadline(req, slot->timeout());
  tr.debug = req.Query("debug") == "true";
  auto call = std::make_shared<CoreCall>(ex, std::move(tr), slot->name(),
                                         targets_in_flight_);
  call->Arm();
  if (slot->instance()->IsAsync()) {
    slot->instance()->HandleAsync(call);
    return;
  }
  // A module that blocks gets a handler thread; the deadline still holds.
  boost::asio::post(*pool_, [call, slot] {
    call->Reply(slot->instance()->Handle(call->request()));
  });
}

HttpResponse App::Landing() {
  auto rt = Current();
  LandingPage page;
  page.version = VersionString();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!reload_.last_successful) page.reload_error = last_reload_error_;
  }
  if (!rt) return Html(RenderLanding(page));
  page.running = true;
  page.config_file = rt->config.file;
  page.skipped = rt->skipped;
  for (const auto& [path, slot] : rt->routes)
    page.routes.emplace_back(path, slot->name());
  for (const auto& s : rt->slots) {
    ModuleOutcome last = s->Last();
    std::string routes;
    for (const auto& [path, slot] : rt->routes)
      if (slot == s) routes += (routes.empty() ? "" : ", ") + path;
    LandingModule m{s->name(),
                    "idle",
                    "",
                    last.error,
                    FormatDuration(s->timeout()),
                    FormatDuration(s->min_interval()),
                    s->instance()->Debug()};
    std::string idle = s->instance()->Idle();
    if (!s->failure().empty()) {
      m.status_class = "down";
      m.status = "down (failed)";
    } else if (!idle.empty()) {
      m.status = "idle: " + idle;
    } else if (!s->has_collect()) {
      m.status = routes.empty() ? "idle: nothing to collect on this host"
                                : "idle: answers " + routes + " on request";
    } else if (!s->Collected()) {
      m.status = "not yet collected";
    } else {
      m.status_class = last.up ? "up" : "down";
      m.status = last.up ? "up" : "down (" + last.reason + ")";
    }
    page.modules.push_back(std::move(m));
  }
  return Html(RenderLanding(page));
}

namespace {
// An exchange with no connection behind it, for HandleNow().
class LocalExchange : public HttpExchange {
 public:
  LocalExchange(HttpRequest req, boost::asio::io_context& loop)
      : req_(std::move(req)), loop_(loop) {}
  const HttpRequest& request() const override { return req_; }
  boost::asio::io_context& loop() override { return loop_; }
  void OnClientGone(std::function<void()>) override {}
  void Reply(HttpResponse r) override {
    if (done_.exchange(true)) return;
    for (const auto& part : r.shared_body) r.body += *part;
    r.shared_body.clear();
    promise_.set_value(std::move(r));
  }
  std::future<HttpResponse> Answer() { return promise_.get_future(); }

 private:
  HttpRequest req_;
  boost::asio::io_context& loop_;
  std::atomic<bool> done_{false};
  std::promise<HttpResponse> promise_;
};
}  // namespace

HttpResponse App::HandleNow(const HttpRequest& req) {
  auto ex = std::make_shared<LocalExchange>(req, loops_.Get(0));
  auto answer = ex->Answer();
  // Handlers expect to run on a loop.
  boost::asio::post(loops_.Get(0), [this, ex] { Handle(ex); });
  return answer.get();
}

void App::Handle(std::shared_ptr<HttpExchange> ex) {
  const HttpRequest& req = ex->request();
  const bool get = req.method == "GET" || req.method == "HEAD";
  auto method_not_allowed = [](const char* allow) {
    HttpResponse r = Text(405, "method not allowed\n");
    r.headers.emplace_back("Allow", allow);
    return r;
  };
  if (req.path == "/-/reload") {
    if (req.method != "POST" && req.method != "PUT")
      return ex->Reply(method_not_allowed("POST, PUT"));
    // Off the request path, one at a time; the answer waits for it.
    const bool detail = Current() && Current()->security->auth != nullptr;
    return RequestReload([ex, detail](bool ok, const std::string& err) {
      if (ok) return ex->Reply(Text(200, "OK\n"));
      // Error text goes to authenticated clients only; the log and the
      // landing page have it too.
      ex->Reply(Text(500, detail ? "failed to reload config: " + err
                                 : "failed to reload config; see the "
                                   "exporterd log\n"));
    });
  }
  if (!get) return ex->Reply(method_not_allowed("GET, HEAD"));
  // Health never waits behind scrapes.
  if (req.path == "/-/healthy") return ex->Reply(Text(200, "Healthy\n"));
  if (req.path == "/-/ready") {
    return ex->Reply(Current() ? Text(200, "Ready\n")
                               : Text(503, "not ready\n"));
  }
  if (req.path == "/metrics" || req.path == "/") {
    const bool metrics = req.path == "/metrics";
    boost::asio::post(*pool_, [this, ex, metrics] {
      ex->Reply(metrics ? Metrics(ex->request()) : Landing());
    });
    return;
  }
  if (auto rt = Current()) {
    auto it = rt->routes.find(req.path);
    if (it != rt->routes.end()) return Target(ex, it->second);
  }
  ex->Reply(Text(404, "404 page not found\n"));
}

}  // namespace exporterd
