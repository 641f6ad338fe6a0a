// Runs one module's collections: on scrape (default) or in the background
// every min_interval, never past a caller's deadline, one at a time.
#ifndef EXPORTERD_COLLECTOR_H_
#define EXPORTERD_COLLECTOR_H_

#include <prometheus/metric_family.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "exporterd/log.h"
#include "exporterd/module.h"

namespace exporterd {

class ModuleInstance;

using Families = std::vector<prometheus::MetricFamily>;

// Seconds since the Unix epoch, now.
double UnixNow();

// Waits until every collection thread has finished, or `deadline`; joins the
// finished ones (a stuck module's keep running). For shutdown.
void JoinCollections(Clock::time_point deadline);

// What a scrape learns about one module.
struct ModuleOutcome {
  std::string module;
  bool up = false;
  // Why !up: "timeout", "error", "busy" (a late collection still runs),
  // "stale" (background refresh overdue), "failed" (the module did not
  // start).
  std::string reason;
  std::string error;             // detail for logs and the landing page
  double duration_seconds = 0;   // of the collection served (or the wait)
  double last_success_unix = 0;  // 0: never
  std::shared_ptr<const Families> families;  // null when !up
};

class ModuleSlot : public std::enable_shared_from_this<ModuleSlot> {
 public:
  ModuleSlot(std::shared_ptr<ModuleInstance> instance,
             std::chrono::milliseconds timeout,
             std::chrono::milliseconds min_interval, Logger* logger);
  ~ModuleSlot();

  // Starts the module and, with min_interval > 0, the background refresher.
  // A module that fails here (or cannot say whether it collects) stays down:
  // every scrape reports it with reason "failed" and the message, logged
  // once.
  void Start();
  // Set by Start(): the module contributes to /metrics.
  bool has_collect() const { return has_collect_; }
  // Why the module failed to start; empty when it runs.
  const std::string& failure() const { return failure_; }
  // Stops the refresher (joins it). Collections in flight finish on their own.
  void Stop();

  // Starts a collection for a scrape due by `deadline` unless one is already
  // running (or the slot refreshes in the background). Lets a scrape start
  // every module before it waits on any.
  void Kick(Clock::time_point deadline);
  // Collects for a scrape that began at `scrape_start` and must answer by
  // `deadline`. Concurrent callers share one collection. Never waits past
  // the deadline.
  ModuleOutcome Collect(Clock::time_point deadline,
                        Clock::time_point scrape_start = Clock::now());

  // Last outcome seen by any scrape or refresh (landing page).
  ModuleOutcome Last() const;
  // True once a collection has finished.
  bool Collected() const;

  const std::string& name() const { return name_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  std::chrono::milliseconds min_interval() const { return min_interval_; }
  ModuleInstance* instance() const { return instance_.get(); }

 private:
  struct Flight;
  std::shared_ptr<Flight> StartFlight(Clock::time_point deadline);
  void Record(Flight& f);
  void NoteOutcome(const ModuleOutcome& o);
  void RefreshLoop();

  const std::string name_;
  const std::shared_ptr<ModuleInstance> instance_;
  const std::chrono::milliseconds timeout_;
  const std::chrono::milliseconds min_interval_;
  Logger* const logger_;

  mutable std::mutex mu_;
  std::condition_variable cv_;      // a flight finished, or stop
  std::shared_ptr<Flight> flight_;  // current or last
  ModuleOutcome last_;              // last finished collection
  bool have_result_ = false;
  Clock::time_point last_finished_;
  std::string logged_problem_;  // what was last logged, to log on change only
  bool has_collect_ = false;    // written by Start() only
  std::string failure_;         // written by Start() only
  bool stop_ = false;
  std::thread refresher_;
};

}  // namespace exporterd

#endif  // EXPORTERD_COLLECTOR_H_
