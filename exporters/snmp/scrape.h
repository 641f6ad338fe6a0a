// One /snmp request from parsed parameters to the response: fetch (net-snmp
// client, on ONE io_context for the whole process), render, reply — bounded
// by the request's deadline.
//
//   Scraper& s = Scraper::Get();      // process-wide, any thread
//   s.Start(request, call);           // any thread; never blocks
//
// What a scrape does, in order, per session group (modules of the request
// that share target, credentials and walk parameters):
//   1. walk the dynamic filters' subtrees (plan.h FilterWalks), then
//   2. walk the merged, de-duplicated subtrees and GET the merged OIDs
//      (plan.h MergeFetches), at most `max_walks_per_target` operations at
//      once per target across every request in the process, then
//   3. render every module over what its own fetches returned (its Scope)
//      and add snmp_scrape_* as the compared snmp_exporter emits them.
// Identical requests in flight (same module instance, target, auth, modules,
// context and engine id) share one scrape ("coalescing").
//
// Failure: upstream's all-or-nothing by default — the first failed fetch
// cancels the rest and answers 500 naming target, auth, fetch and reason. At
// the deadline (TargetCall::OnCancel) the answer says what did not arrive
// (504), or, with partial_results, renders what did plus
// snmp_scrape_success 0 (200).
#ifndef EXPORTERD_SNMP_SCRAPE_H_
#define EXPORTERD_SNMP_SCRAPE_H_

#include <prometheus/metric_family.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "exporterd/module.h"
#include "render.h"
#include "snmp_client.h"
#include "snmp_config.h"

namespace boost::asio {
class io_context;
}

namespace exporterd::snmp {

struct ScrapeOptions {
  size_t max_walks_per_target = 4;
  bool partial_results = false;
  RenderOptions render;
};

// Modules of one request that can share one session.
struct SessionGroup {
  SessionOptions session;
  std::string auth_text;  // "auth public_v2 (v2c)", for messages
  std::vector<const Module*> modules;
};

struct ScrapeRequest {
  std::string target;
  std::vector<SessionGroup> groups;
  std::vector<const Module*> modules;    // request order
  std::shared_ptr<const Config> config;  // keeps the modules alive
  ScrapeOptions options;
  bool debug = false;
  // Requests with the same non-empty key share one scrape.
  std::string coalesce_key;
};

// Process-wide counters, served on /metrics.
struct ScraperCounters {
  uint64_t requests = 0;
  uint64_t coalesced = 0;  // requests that joined a running scrape
  uint64_t packets = 0;    // SNMP requests sent, retries included
  uint64_t retries = 0;
  uint64_t in_flight = 0;         // scrapes running
  uint64_t walks_saved = 0;       // subtrees/GETs not sent thanks to merging
  uint64_t deadline_replies = 0;  // answered at the deadline
  // (target, reason) -> failed scrapes
  std::map<std::pair<std::string, std::string>, uint64_t> failures;
  EngineStats engine;
};

class Scraper {
 public:
  // The process's scraper: net-snmp on one io_context and thread of its
  // own (see scrape.cc for why not a core loop). Made on first call.
  static Scraper& Get();

  // Runs `request` and replies on `call`. Any thread.
  void Start(std::shared_ptr<const ScrapeRequest> request,
             std::shared_ptr<TargetCall> call);

  ScraperCounters counters() const;
  void CountFailure(const std::string& target, const std::string& reason);

  class Impl;

 private:
  explicit Scraper(boost::asio::io_context& io);
  std::shared_ptr<Impl> impl_;
};

// "0.21": self series unlabelled when one module was asked for; "0.30":
// always with module="<name>".
std::vector<prometheus::MetricFamily> SelfSeries(
    Compat compat, const std::vector<std::string>& modules,
    const std::vector<double>& walk_seconds,
    const std::vector<double>& packets_sent,
    const std::vector<double>& packets_retried, const std::vector<double>& pdus,
    const std::vector<double>& scrape_seconds);

// Merges `extra` into `families` (same name: series appended) and sorts the
// families by name, as Go's registry prints them.
void MergeSorted(std::vector<prometheus::MetricFamily>* families,
                 std::vector<prometheus::MetricFamily> extra);

}  // namespace exporterd::snmp

#endif  // EXPORTERD_SNMP_SCRAPE_H_
