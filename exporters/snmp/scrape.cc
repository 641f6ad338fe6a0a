#include "scrape.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "exporterd/asio.h"
#include "exporterd/metrics.h"
#include "exporterd/text_format.h"
#include "plan.h"

namespace exporterd::snmp {
namespace {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

double Seconds(SteadyClock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string Human(SteadyClock::duration d) {
  char buf[32];
  const double s = Seconds(d);
  if (s < 1)
    snprintf(buf, sizeof(buf), "%.1fms", s * 1000);
  else
    snprintf(buf, sizeof(buf), "%.2fs", s);
  return buf;
}

// What a request needs fetched, one entry per client operation.
struct Op {
  enum class Kind { kFilterWalk, kWalk, kGet };
  enum class State { kQueued, kRunning, kDone, kFailed };
  Kind kind = Kind::kWalk;
  size_t group = 0;
  Oid oid;                      // walk root
  std::vector<Oid> oids;        // GET
  std::vector<size_t> modules;  // positions in the group's module list
  size_t filter = 0;            // kFilterWalk: index into filter_walks
  State state = State::kQueued;
  SteadyClock::time_point started;
  OpStats stats;
  size_t varbinds = 0;
  std::string error;

  std::string Text() const {
    if (kind == Kind::kGet) {
      std::string s = "get of " + std::to_string(oids.size()) + " OID" +
                      (oids.size() == 1 ? "" : "s") + " (";
      for (size_t i = 0; i < oids.size() && i < 3; ++i)
        s += (i ? ", " : "") + OidToString(oids[i]);
      return s + (oids.size() > 3 ? ", ...)" : ")");
    }
    return std::string(kind == Kind::kFilterWalk ? "filter walk " : "walk ") +
           OidToString(oid);
  }
};

struct GroupState {
  std::shared_ptr<Session> session;
  std::vector<FilterWalk> filter_walks;
  std::vector<std::optional<std::vector<Varbind>>> filter_results;
  size_t filters_pending = 0;
  bool planned = false;
  Plan plan;
  std::vector<Varbind> varbinds;
  std::vector<uint64_t> packets, retries;  // per module of the group
  std::vector<bool> failed;                // per module: a fetch failed
};

}  // namespace

class Job;

class Scraper::Impl : public std::enable_shared_from_this<Scraper::Impl> {
 public:
  explicit Impl(asio::io_context& io) : io_(io) {}
  asio::io_context& io() { return io_; }

  // Loop only.
  Engine& engine() {
    if (!engine_) {
      engine_ = std::make_unique<Engine>(io_);
      Engine::SetLogSink([](int, std::string_view) {});
    }
    return *engine_;
  }

  // At most `cap` operations at once per target, across every scrape (loop
  // only). `fn` is posted when a slot is free (never run inside this call);
  // call Release() when done.
  void Acquire(const std::string& target, size_t cap,
               std::function<void()> fn) {
    Slot& s = slots_[target];
    if (s.active < std::max<size_t>(cap, 1)) {
      ++s.active;
      asio::post(io_, std::move(fn));
      return;
    }
    s.queue.emplace_back(cap, std::move(fn));
  }
  void Release(const std::string& target) {
    auto it = slots_.find(target);
    if (it == slots_.end()) return;
    Slot& s = it->second;
    if (s.active > 0) --s.active;
    while (!s.queue.empty() &&
           s.active < std::max<size_t>(s.queue.front().first, 1)) {
      auto fn = std::move(s.queue.front().second);
      s.queue.pop_front();
      ++s.active;
      asio::post(io_, std::move(fn));
    }
    if (s.active == 0 && s.queue.empty()) slots_.erase(it);
  }

  std::map<std::string, std::weak_ptr<Job>> jobs;  // loop only

  mutable std::mutex mu;
  ScraperCounters counters;  // under mu

 private:
  struct Slot {
    size_t active = 0;
    std::deque<std::pair<size_t, std::function<void()>>> queue;
  };
  asio::io_context& io_;
  std::unique_ptr<Engine> engine_;
  std::map<std::string, Slot> slots_;
};

class Job : public std::enable_shared_from_this<Job> {
 public:
  Job(std::shared_ptr<Scraper::Impl> scraper,
      std::shared_ptr<const ScrapeRequest> req)
      : scraper_(std::move(scraper)),
        req_(std::move(req)),
        start_(SteadyClock::now()) {}

  // Loop only. The call gets the scrape's answer, or at its own deadline
  // what is known then.
  void Attach(std::shared_ptr<TargetCall> call) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      waiters_.push_back(call);
    }
    std::weak_ptr<Job> weak = shared_from_this();
    TargetCall* raw = call.get();
    std::weak_ptr<TargetCall> weak_call = call;
    call->OnCancel([weak, raw, weak_call] {
      auto job = weak.lock();
      if (!job) return;
      if (auto c = weak_call.lock()) c->Reply(job->DeadlineResponse());
      asio::post(job->scraper_->io(), [job, raw] { job->Detach(raw); });
    });
  }

  // Loop only.
  void Run() {
    std::lock_guard<std::mutex> lock(mu_);
    const auto& groups = req_->groups;
    groups_.resize(groups.size());
    pending_ = groups.size();  // each group counts until planned
    for (size_t g = 0; g < groups.size(); ++g) {
      std::string err;
      groups_[g].session =
          scraper_->engine().NewSession(groups[g].session, &err);
      if (!groups_[g].session) {
        FailLocked(
            "target " + req_->target + " (" + groups[g].auth_text + "): " + err,
            "config", 400);
        return;
      }
      groups_[g].packets.assign(groups[g].modules.size(), 0);
      groups_[g].retries.assign(groups[g].modules.size(), 0);
      groups_[g].failed.assign(groups[g].modules.size(), false);
      groups_[g].filter_walks = FilterWalks(groups[g].modules);
      if (groups_[g].filter_walks.empty()) {
        PlanLocked(g);
        continue;
      }
      groups_[g].filter_results.resize(groups_[g].filter_walks.size());
      groups_[g].filters_pending = groups_[g].filter_walks.size();
      for (size_t f = 0; f < groups_[g].filter_walks.size(); ++f) {
        Op op;
        op.kind = Op::Kind::kFilterWalk;
        op.group = g;
        op.oid = groups_[g].filter_walks[f].oid;
        op.filter = f;
        for (const auto& [m, _] : groups_[g].filter_walks[f].users)
          op.modules.push_back(m);
        AddOpLocked(std::move(op));
      }
    }
    MaybeFinishLocked();
  }

  // Loop only: the call went away (deadline or client gone).
  void Detach(TargetCall* call) {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(waiters_, [call](const std::shared_ptr<TargetCall>& c) {
      return c.get() == call;
    });
    if (waiters_.empty() && !finished_) {
      finished_ = true;
      CloseLocked();
    }
  }

  // Any thread: the answer for a call whose deadline passed now.
  TargetResponse DeadlineResponse() {
    std::lock_guard<std::mutex> lock(mu_);
    // Already answered (this reply is dropped).
    if (finished_) return {504, "snmp: scrape ended\n", {}};
    const auto now = SteadyClock::now();
    {
      std::lock_guard<std::mutex> c(scraper_->mu);
      ++scraper_->counters.deadline_replies;
      ++scraper_->counters.failures[{req_->target, "deadline"}];
    }
    std::string waiting;
    size_t done = 0;
    for (const Op& op : ops_) {
      if (op.state == Op::State::kDone) {
        ++done;
        continue;
      }
      if (op.state == Op::State::kFailed) continue;
      if (!waiting.empty()) waiting += "; ";
      waiting += op.Text() +
                 (op.state == Op::State::kQueued
                      ? " (queued behind the per-target limit)"
                      : " (no answer for " + Human(now - op.started) + ")");
    }
    std::string auths;
    for (const auto& g : req_->groups)
      auths += (auths.empty() ? "" : ", ") + g.auth_text;
    std::string msg = "snmp: target " + req_->target + " (" + auths +
                      "): no complete answer before the deadline, after " +
                      Human(now - start_) + "; " + std::to_string(done) +
                      " of " + std::to_string(ops_.size()) +
                      " fetches done; waiting for: " +
                      (waiting.empty() ? "planning" : waiting);
    if (!req_->options.partial_results) return {504, msg + "\n", {}};
    TargetResponse r = BuildLocked(msg);
    return r;
  }

  const ScrapeRequest& request() const { return *req_; }

 private:
  void AddOpLocked(Op op) {
    const size_t i = ops_.size();
    ops_.push_back(std::move(op));
    ++pending_;
    // Holds the job until the operation has run (or was skipped).
    scraper_->Acquire(req_->target, req_->options.max_walks_per_target,
                      [job = shared_from_this(), i] { job->StartOp(i); });
  }

  // Loop only; holds a per-target slot until the operation completes.
  void StartOp(size_t i) {
    std::shared_ptr<Session> session;
    Op::Kind kind;
    Oid oid;
    std::vector<Oid> oids;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_) {
        scraper_->Release(req_->target);
        return;
      }
      Op& op = ops_[i];
      op.state = Op::State::kRunning;
      op.started = SteadyClock::now();
      session = groups_[op.group].session;
      kind = op.kind;
      oid = op.oid;
      oids = op.oids;
    }
    auto self = shared_from_this();
    auto done = [self, i](OpResult r) {
      self->scraper_->Release(self->req_->target);
      self->OpDone(i, std::move(r));
    };
    if (kind == Op::Kind::kGet)
      session->Get(std::move(oids), std::move(done));
    else
      session->Walk(std::move(oid), std::move(done));
  }

  void OpDone(size_t i, OpResult r) {
    std::lock_guard<std::mutex> lock(mu_);
    {
      std::lock_guard<std::mutex> c(scraper_->mu);
      scraper_->counters.packets += r.stats.packets_sent;
      scraper_->counters.retries += r.stats.retries;
    }
    if (finished_) return;
    Op& op = ops_[i];
    op.stats = r.stats;
    op.varbinds = r.varbinds.size();
    GroupState& g = groups_[op.group];
    for (size_t m : op.modules) {
      if (m < g.packets.size()) {
        g.packets[m] += r.stats.packets_sent;
        g.retries[m] += r.stats.retries;
      }
    }
    last_done_ = SteadyClock::now();
    --pending_;
    if (!r.ok()) {
      op.state = Op::State::kFailed;
      op.error = std::string(ErrorKindName(r.error_kind)) + ": " + r.error;
      if (op.kind == Op::Kind::kFilterWalk) {
        // Upstream ignores a filter whose walk failed.
        g.filter_results[op.filter] = std::nullopt;
        if (--g.filters_pending == 0) PlanLocked(op.group);
        MaybeFinishLocked();
        return;
      }
      if (!req_->options.partial_results) {
        FailLocked("target " + req_->target + " (" +
                       req_->groups[op.group].auth_text + "), " + op.Text() +
                       ": " + r.error,
                   std::string(ErrorKindName(r.error_kind)), 500);
        return;
      }
      {
        std::lock_guard<std::mutex> c(scraper_->mu);
        ++scraper_->counters.failures[{
            req_->target, std::string(ErrorKindName(r.error_kind))}];
      }
      errors_.push_back(op.Text() + ": " + r.error);
      for (size_t m : op.modules)
        if (m < g.failed.size()) g.failed[m] = true;
      MaybeFinishLocked();
      return;
    }
    op.state = Op::State::kDone;
    if (op.kind == Op::Kind::kFilterWalk) {
      g.filter_results[op.filter] = std::move(r.varbinds);
      if (--g.filters_pending == 0) PlanLocked(op.group);
    } else {
      for (auto& v : r.varbinds) g.varbinds.push_back(std::move(v));
    }
    MaybeFinishLocked();
  }

  // The group's filters are known: its walks and GETs.
  void PlanLocked(size_t gi) {
    GroupState& g = groups_[gi];
    const auto& modules = req_->groups[gi].modules;
    std::vector<ModuleFetch> fetches;
    size_t asked = 0;
    for (size_t m = 0; m < modules.size(); ++m) {
      const Module& mod = *modules[m];
      if (mod.filters.empty()) {
        fetches.push_back(UnfilteredFetch(mod));
      } else {
        std::vector<std::optional<std::vector<Varbind>>> results(
            mod.filters.size());
        for (size_t w = 0; w < g.filter_walks.size(); ++w)
          for (const auto& [um, uf] : g.filter_walks[w].users)
            if (um == m && uf < results.size())
              results[uf] = g.filter_results[w];
        fetches.push_back(ApplyDynamicFilters(mod, results));
      }
      asked += fetches.back().walk.size() + fetches.back().get.size();
    }
    g.plan = MergeFetches(fetches);
    g.planned = true;
    --pending_;
    const size_t sent = g.plan.walks.size() + g.plan.gets.size();
    if (asked > sent) {
      std::lock_guard<std::mutex> c(scraper_->mu);
      scraper_->counters.walks_saved += asked - sent;
    }
    for (const Fetch& f : g.plan.walks) {
      Op op;
      op.kind = Op::Kind::kWalk;
      op.group = gi;
      op.oid = f.oid;
      op.modules = f.modules;
      AddOpLocked(std::move(op));
    }
    if (!g.plan.gets.empty()) {
      Op op;
      op.kind = Op::Kind::kGet;
      op.group = gi;
      std::set<size_t> users;
      for (const Fetch& f : g.plan.gets) {
        op.oids.push_back(f.oid);
        users.insert(f.modules.begin(), f.modules.end());
      }
      op.modules.assign(users.begin(), users.end());
      AddOpLocked(std::move(op));
    }
  }

  void MaybeFinishLocked() {
    if (finished_ || pending_ != 0) return;
    finished_ = true;
    TargetResponse r = BuildLocked("");
    if (!errors_.empty()) {
      std::string msg;
      for (const auto& e : errors_) msg += (msg.empty() ? "" : "; ") + e;
      if (req_->debug) r.text += "\nErrors: " + msg + "\n";
    }
    ReplyAllLocked(std::move(r));
    CloseLocked();
  }

  void FailLocked(const std::string& what, const std::string& reason,
                  int status) {
    finished_ = true;
    {
      std::lock_guard<std::mutex> c(scraper_->mu);
      ++scraper_->counters.failures[{req_->target, reason}];
    }
    std::string body = "snmp: " + what + "\n";
    if (req_->debug) body += "\n" + ExchangesLocked();
    ReplyAllLocked({status, body, {}});
    CloseLocked();
  }

  // Renders what the groups fetched, with snmp_scrape_success per module
  // under partial_results; `why` (a partial answer's reason) goes into the
  // debug text.
  TargetResponse BuildLocked(const std::string& why) {
    const auto now = SteadyClock::now();
    const double walk_s = Seconds(
        (last_done_ == SteadyClock::time_point{} ? now : last_done_) - start_);
    std::vector<prometheus::MetricFamily> families;
    std::vector<std::string> render_errors;
    std::vector<std::string> names;
    std::vector<double> walk, sent, retried, pdus, success;
    for (size_t gi = 0; gi < groups_.size(); ++gi) {
      GroupState& g = groups_[gi];
      const auto& modules = req_->groups[gi].modules;
      if (!g.planned) {
        for (size_t m = 0; m < modules.size(); ++m) {
          names.push_back(modules[m]->name);
          walk.push_back(walk_s);
          sent.push_back(
              m < g.packets.size() ? static_cast<double>(g.packets[m]) : 0);
          retried.push_back(
              m < g.retries.size() ? static_cast<double>(g.retries[m]) : 0);
          pdus.push_back(0);
          success.push_back(0);
        }
        continue;
      }
      // A module is complete when none of its fetches failed or is still
      // outstanding.
      std::vector<bool> incomplete = g.failed;
      for (const Op& op : ops_)
        if (op.group == gi &&
            (op.state == Op::State::kQueued || op.state == Op::State::kRunning))
          for (size_t m : op.modules)
            if (m < incomplete.size()) incomplete[m] = true;
      VarbindTable table(g.varbinds);
      std::vector<ModuleInput> inputs;
      for (size_t m = 0; m < modules.size(); ++m)
        inputs.push_back({modules[m], &g.plan.scopes[m]});
      RenderResult rr = RenderModules(inputs, table, req_->options.render);
      for (auto& e : rr.errors) render_errors.push_back(std::move(e));
      MergeSorted(&families, std::move(rr.families));
      for (size_t m = 0; m < modules.size(); ++m) {
        size_t n = 0;
        for (const Varbind& v : table.varbinds())
          if (g.plan.scopes[m].Contains(v.oid)) ++n;
        names.push_back(modules[m]->name);
        walk.push_back(walk_s);
        sent.push_back(static_cast<double>(g.packets[m]));
        retried.push_back(static_cast<double>(g.retries[m]));
        pdus.push_back(static_cast<double>(n));
        success.push_back(incomplete[m] ? 0 : 1);
      }
    }
    if (!render_errors.empty() && !req_->options.partial_results) {
      std::string body = "snmp: target " + req_->target +
                         ": the series would be invalid (snmp_exporter "
                         "fails the scrape the same way):\n";
      for (const auto& e : render_errors) body += "  " + e + "\n";
      return {500, body, {}};
    }
    const double scrape_s = Seconds(SteadyClock::now() - start_);
    std::vector<double> scrape(names.size(), scrape_s);
    MergeSorted(&families, SelfSeries(req_->options.render.compat, names, walk,
                                      sent, retried, pdus, scrape));
    if (req_->options.partial_results) {
      const bool labelled =
          req_->options.render.compat != Compat::kV0_21 || names.size() > 1;
      Family f = Family::Gauge(
          "snmp_scrape_success",
          "1 if every fetch of the module answered, 0 if the series are "
          "partial (partial_results).");
      for (size_t i = 0; i < names.size(); ++i)
        f.Add(labelled ? Labels{{"module", names[i]}} : Labels{}, success[i]);
      std::vector<prometheus::MetricFamily> extra;
      f.MoveTo(&extra);
      MergeSorted(&families, std::move(extra));
    }
    TargetResponse r;
    if (req_->debug) {
      std::ostringstream s;
      s << "Scrape of target " << req_->target << ", modules";
      for (const auto& n : names) s << " " << n;
      s << ":\n"
        << (why.empty() ? "" : why + "\n") << "\n"
        << ExchangesLocked() << "\nMetrics that would have been returned:\n"
        << Serialize(families);
      for (const auto& e : render_errors) s << "render error: " << e << "\n";
      r.text = s.str();
    }
    r.families = std::move(families);
    return r;
  }

  // ?debug=true: each operation and its PDU exchanges, summarised.
  std::string ExchangesLocked() const {
    std::ostringstream s;
    s << "PDU exchanges:\n";
    for (size_t gi = 0; gi < groups_.size(); ++gi) {
      const auto& g = req_->groups[gi];
      s << "  session "
        << (groups_[gi].session ? groups_[gi].session->peer() : req_->target)
        << " " << g.auth_text << ", max_repetitions "
        << g.session.max_repetitions << ", timeout " << Human(g.session.timeout)
        << " x " << (g.session.retries + 1) << " tries\n";
      for (const Op& op : ops_) {
        if (op.group != gi) continue;
        s << "    " << op.Text() << ": ";
        switch (op.state) {
          case Op::State::kQueued:
            s << "queued\n";
            continue;
          case Op::State::kRunning:
            s << "running for " << Human(SteadyClock::now() - op.started)
              << "\n";
            continue;
          case Op::State::kFailed:
            s << "FAILED (" << op.error << "), ";
            break;
          case Op::State::kDone:
            s << "ok, ";
            break;
        }
        s << op.varbinds << " varbinds, " << op.stats.packets_sent
          << " requests sent (" << op.stats.retries << " retries), "
          << Human(op.stats.duration);
        if (!op.stats.packet_seconds.empty()) {
          s << "; round trips:";
          size_t shown = 0;
          for (double t : op.stats.packet_seconds) {
            if (++shown > 20) {
              s << " ...";
              break;
            }
            char buf[24];
            snprintf(buf, sizeof(buf), " %.2fms", t * 1000);
            s << buf;
          }
        }
        s << "\n";
      }
    }
    return s.str();
  }

  void ReplyAllLocked(TargetResponse r) {
    auto waiters = std::move(waiters_);
    waiters_.clear();
    for (size_t i = 0; i < waiters.size(); ++i) {
      if (i + 1 == waiters.size())
        waiters[i]->Reply(std::move(r));
      else
        waiters[i]->Reply(r);
    }
  }

  void CloseLocked() {
    for (auto& g : groups_)
      if (g.session) g.session->Cancel();
    auto it = scraper_->jobs.find(req_->coalesce_key);
    if (it != scraper_->jobs.end() && it->second.lock().get() == this)
      scraper_->jobs.erase(it);
    {
      std::lock_guard<std::mutex> c(scraper_->mu);
      if (scraper_->counters.in_flight > 0) --scraper_->counters.in_flight;
    }
  }

  std::shared_ptr<Scraper::Impl> scraper_;
  std::shared_ptr<const ScrapeRequest> req_;
  const SteadyClock::time_point start_;
  SteadyClock::time_point last_done_{};

  mutable std::mutex mu_;
  std::deque<Op> ops_;
  std::vector<GroupState> groups_;
  size_t pending_ = 0;
  bool finished_ = false;
  std::vector<std::string> errors_;
  std::vector<std::shared_ptr<TargetCall>> waiters_;
};

Scraper::Scraper(asio::io_context& io) : impl_(std::make_shared<Impl>(io)) {}

Scraper& Scraper::Get() {
  // The module's own loop, not one of the core's: Asio keeps the running
  // thread's context in a thread-local template static, and a module .so
  // built with hidden visibility has its own copy of it. An I/O object of
  // the module completing on a core loop (the scheduler is the core's code,
  // the descriptor's completion the module's) finds that copy empty and
  // crashes (epoll_reactor perform_io -> compensating_work_started, seen
  // when one wakeup completed two operations). On a loop whose run() is
  // this .so's code both agree.
  //
  // Never destroyed: net-snmp state must be torn down on the loop's thread,
  // and the .so stays loaded (RTLD_NODELETE) for the process's life.
  static Scraper* s = [] {
    auto* io = new asio::io_context(1);
    // Static: kept reachable (and never released) for the process's life.
    static auto* guard =
        new asio::executor_work_guard<asio::io_context::executor_type>(
            io->get_executor());
    (void)guard;
    std::thread([io] {
      pthread_setname_np(pthread_self(), "snmp");
      io->run();
    }).detach();
    return new Scraper(*io);
  }();
  return *s;
}

void Scraper::Start(std::shared_ptr<const ScrapeRequest> request,
                    std::shared_ptr<TargetCall> call) {
  {
    std::lock_guard<std::mutex> c(impl_->mu);
    ++impl_->counters.requests;
  }
  asio::post(impl_->io(), [impl = impl_, request = std::move(request),
                           call = std::move(call)]() mutable {
    if (call->cancelled()) return;
    const std::string& key = request->coalesce_key;
    if (!key.empty()) {
      auto it = impl->jobs.find(key);
      if (it != impl->jobs.end()) {
        if (auto job = it->second.lock()) {
          {
            std::lock_guard<std::mutex> c(impl->mu);
            ++impl->counters.coalesced;
          }
          job->Attach(std::move(call));
          return;
        }
      }
    }
    auto job = std::make_shared<Job>(impl, std::move(request));
    {
      std::lock_guard<std::mutex> c(impl->mu);
      ++impl->counters.in_flight;
    }
    if (!key.empty()) impl->jobs[key] = job;
    job->Attach(std::move(call));
    job->Run();
  });
}

ScraperCounters Scraper::counters() const {
  ScraperCounters c;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    c = impl_->counters;
  }
  return c;
}

void Scraper::CountFailure(const std::string& target,
                           const std::string& reason) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  ++impl_->counters.failures[{target, reason}];
}

std::vector<prometheus::MetricFamily> SelfSeries(
    Compat compat, const std::vector<std::string>& modules,
    const std::vector<double>& walk_seconds,
    const std::vector<double>& packets_sent,
    const std::vector<double>& packets_retried, const std::vector<double>& pdus,
    const std::vector<double>& scrape_seconds) {
  const bool labelled = compat != Compat::kV0_21 || modules.size() > 1;
  std::vector<prometheus::MetricFamily> out;
  auto add = [&](const char* name, const char* help,
                 const std::vector<double>& v) {
    Family f = Family::Gauge(name, help);
    for (size_t i = 0; i < modules.size(); ++i)
      f.Add(labelled ? Labels{{"module", modules[i]}} : Labels{}, v[i]);
    f.MoveTo(&out);
  };
  add("snmp_scrape_walk_duration_seconds", "Time SNMP walk/bulkwalk took.",
      walk_seconds);
  add("snmp_scrape_packets_sent",
      "Packets sent for get, bulkget, and walk; including retries.",
      packets_sent);
  add("snmp_scrape_packets_retried",
      "Packets retried for get, bulkget, and walk.", packets_retried);
  add("snmp_scrape_pdus_returned", "PDUs returned from get, bulkget, and walk.",
      pdus);
  add("snmp_scrape_duration_seconds",
      "Total SNMP time scrape took (walk and processing).", scrape_seconds);
  return out;
}

void MergeSorted(std::vector<prometheus::MetricFamily>* families,
                 std::vector<prometheus::MetricFamily> extra) {
  for (auto& f : extra) {
    auto it = std::find_if(
        families->begin(), families->end(),
        [&](const prometheus::MetricFamily& x) { return x.name == f.name; });
    if (it == families->end()) {
      families->push_back(std::move(f));
    } else {
      for (auto& m : f.metric) it->metric.push_back(std::move(m));
    }
  }
  std::stable_sort(
      families->begin(), families->end(),
      [](const prometheus::MetricFamily& a, const prometheus::MetricFamily& b) {
        return a.name < b.name;
      });
}

}  // namespace exporterd::snmp
