#include "collector.h"

#include <atomic>
#include <functional>
#include <list>

#include "module_loader.h"

namespace exporterd {

double UnixNow() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// Collection threads. They are joined, not detached: a detached thread still
// exiting when the process does races with exit-time code (LeakSanitizer's
// tracer crashed on one). Finished ones are joined as new ones start; Stop
// waits for the rest, bounded, then leaves the stuck ones running.
class FlightThreads {
 public:
  static FlightThreads& Get() {
    static FlightThreads* t = new FlightThreads;  // outlives static dtors
    return *t;
  }
  void Start(std::function<void()> fn) {
    std::lock_guard<std::mutex> lock(mu_);
    JoinFinishedLocked();
    auto done = std::make_shared<std::atomic<bool>>(false);
    threads_.push_back({std::thread([this, fn = std::move(fn), done]() mutable {
                          fn();
                          fn = nullptr;  // its captures (a slot) die here
                          std::lock_guard<std::mutex> l(mu_);
                          *done = true;
                          cv_.notify_all();
                        }),
                        done});
  }
  void JoinAll(Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, deadline, [&] {
      for (const auto& t : threads_)
        if (!*t.done) return false;
      return true;
    });
    JoinFinishedLocked();
  }

 private:
  struct Entry {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  // The thread sets `done` under mu_ as its last step; join() then only
  // waits for its exit.
  void JoinFinishedLocked() {
    for (auto it = threads_.begin(); it != threads_.end();) {
      if (*it->done) {
        it->thread.join();
        it = threads_.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::list<Entry> threads_;
};

}  // namespace

void JoinCollections(Clock::time_point deadline) {
  FlightThreads::Get().JoinAll(deadline);
}

struct ModuleSlot::Flight {
  Clock::time_point started;
  Clock::time_point deadline;
  std::atomic<bool> cancelled{false};
  bool done = false;  // guarded by ModuleSlot::mu_
  CollectResult result;
  double duration_seconds = 0;
};

ModuleSlot::ModuleSlot(std::shared_ptr<ModuleInstance> instance,
                       std::chrono::milliseconds timeout,
                       std::chrono::milliseconds min_interval, Logger* logger)
    : name_(instance->name()),
      instance_(std::move(instance)),
      timeout_(timeout),
      min_interval_(min_interval),
      logger_(logger) {
  last_.module = name_;
}

ModuleSlot::~ModuleSlot() { Stop(); }

void ModuleSlot::Start() {
  std::string error;
  if (!instance_->Start(&error)) {
    failure_ = "module failed to start: " + error;
  } else {
    int has = instance_->HasCollect(&error);
    if (has < 0) failure_ = "module failed: " + error;
    has_collect_ = has > 0;
  }
  if (!failure_.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    last_.reason = "failed";
    last_.error = failure_;
    NoteOutcome(last_);
    return;
  }
  if (min_interval_.count() > 0 && has_collect_)
    refresher_ = std::thread([this] { RefreshLoop(); });
}

void ModuleSlot::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (refresher_.joinable() &&
      refresher_.get_id() != std::this_thread::get_id())
    refresher_.join();
  else if (refresher_.joinable())
    refresher_.detach();
}

// Starts a collection on its own thread. Caller holds mu_. The thread keeps
// the slot alive, so a reload never frees an instance under it.
std::shared_ptr<ModuleSlot::Flight> ModuleSlot::StartFlight(
    Clock::time_point deadline) {
  auto f = std::make_shared<Flight>();
  f->started = Clock::now();
  f->deadline = std::min(deadline, f->started + timeout_);
  flight_ = f;
  FlightThreads::Get().Start([self = shared_from_this(), f] {
    CollectRequest req;
    req.deadline = f->deadline;
    req.cancelled = &f->cancelled;
    CollectResult r = self->instance_->Collect(req);
    std::lock_guard<std::mutex> lock(self->mu_);
    f->result = std::move(r);
    f->duration_seconds =
        std::chrono::duration<double>(Clock::now() - f->started).count();
    f->done = true;
    self->Record(*f);
    self->cv_.notify_all();
  });
  return f;
}

// Stores a finished flight as the last result (taking its families). Caller
// holds mu_.
void ModuleSlot::Record(Flight& f) {
  ModuleOutcome o;
  o.module = name_;
  o.up = f.result.ok;
  o.duration_seconds = f.duration_seconds;
  o.last_success_unix = last_.last_success_unix;
  if (f.result.ok) {
    o.last_success_unix = UnixNow();
    o.families = std::make_shared<const Families>(std::move(f.result.families));
  } else {
    o.reason = "error";
    o.error = f.result.error.empty() ? "collection failed" : f.result.error;
  }
  last_ = std::move(o);
  have_result_ = true;
  last_finished_ = Clock::now();
}

// Logs a module's problem once per change, and its recovery. Caller holds mu_.
void ModuleSlot::NoteOutcome(const ModuleOutcome& o) {
  std::string problem = o.up ? "" : o.reason + ": " + o.error;
  if (problem == logged_problem_) return;
  if (o.up) {
    logger_->Info("module recovered", {{"module", name_}});
  } else {
    logger_->Warn("module down",
                  {{"module", name_}, {"reason", o.reason}, {"err", o.error}});
  }
  logged_problem_ = std::move(problem);
}

void ModuleSlot::Kick(Clock::time_point deadline) {
  if (min_interval_.count() > 0 || !failure_.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (!flight_ || flight_->done) StartFlight(deadline);
}

ModuleOutcome ModuleSlot::Collect(Clock::time_point deadline,
                                  Clock::time_point start) {
  std::unique_lock<std::mutex> lock(mu_);
  ModuleOutcome out;
  if (!failure_.empty()) return last_;
  if (min_interval_.count() > 0) {
    // Background mode: serve the last result; the first scrape waits for it.
    cv_.wait_until(lock, deadline, [&] { return have_result_ || stop_; });
    if (!have_result_) {
      out.module = name_;
      out.reason = "timeout";
      out.error = "first background collection not finished by the deadline";
      out.duration_seconds =
          std::chrono::duration<double>(Clock::now() - start).count();
    } else {
      out = last_;
      auto overdue = min_interval_ + timeout_ + std::chrono::seconds(1);
      if (Clock::now() - last_finished_ > overdue && out.up) {
        out.up = false;
        out.reason = "stale";
        out.error = "background collection overdue";
        out.families.reset();
      }
    }
  } else {
    std::shared_ptr<Flight> f = flight_;
    if (!f || f->done) f = StartFlight(deadline);
    bool finished = cv_.wait_until(lock, deadline, [&] { return f->done; });
    if (finished) {
      out = last_;
    } else {
      // A flight from an earlier scrape that is still running means this
      // module is stuck, not merely slow for this scrape.
      bool ours = f->started >= start;
      out.module = name_;
      out.reason = ours ? "timeout" : "busy";
      out.error = ours ? "collection did not finish before the deadline"
                       : "an earlier collection is still running";
      out.last_success_unix = last_.last_success_unix;
      out.duration_seconds =
          std::chrono::duration<double>(Clock::now() - start).count();
      f->cancelled = true;
    }
  }
  NoteOutcome(out);
  return out;
}

ModuleOutcome ModuleSlot::Last() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_;
}

bool ModuleSlot::Collected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return have_result_;
}

void ModuleSlot::RefreshLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    std::shared_ptr<Flight> f = StartFlight(Clock::now() + timeout_);
    // Wait for it to finish (it may overrun its deadline; never start a
    // second one meanwhile).
    cv_.wait(lock, [&] { return f->done || stop_; });
    if (stop_) break;
    NoteOutcome(last_);
    cv_.wait_for(lock, min_interval_, [&] { return stop_; });
  }
}

}  // namespace exporterd
