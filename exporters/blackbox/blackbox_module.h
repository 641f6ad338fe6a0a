// The blackbox module: blackbox_exporter 0.28's /probe?target=&module= from
// the user's blackbox.yml (see README.md). This file holds the module's own
// keys, the blackbox.yml loading, the request rules (module, target,
// hostname, debug, timeout, allowed_targets, in-flight cap) and the answer;
// the probing is the probers' (probe.h).
#ifndef EXPORTERD_BLACKBOX_BLACKBOX_MODULE_H_
#define EXPORTERD_BLACKBOX_BLACKBOX_MODULE_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "exporterd/asio.h"
#include "exporterd/module.h"

namespace exporterd::blackbox {

struct ModuleOptions {
  std::string config_file;
  int64_t max_probes_in_flight = 10000;
  std::vector<std::string> allowed_targets;
};

// The blackbox.yml served when config_file is empty.
extern const char kBuiltinBlackboxYml[];

// allowed_targets: CIDRs (10.0.0.0/8, ::1/128, a bare IP) and host patterns
// (example.org, *.example.org).
class TargetRules {
 public:
  // false and *error for an entry that is neither.
  bool Add(const std::string& rule, std::string* error);
  bool empty() const { return cidrs_.empty() && hosts_.empty(); }
  bool has_cidrs() const { return !cidrs_.empty(); }
  // The host part of a target as the probers read it ("https://a:1/x" ->
  // "a", "[::1]:25" -> "::1", "a.b" -> "a.b").
  static std::string HostOf(const std::string& target);
  // "" when `host` (a name or an IP literal) is allowed outright; "defer"
  // when it is a name that only the CIDRs could allow (after resolution);
  // else why not.
  std::string Check(const std::string& host) const;
  // "" when the address is inside a CIDR, else why not.
  std::string CheckAddress(const boost::asio::ip::address& ip) const;
  std::string Describe() const;  // "10.0.0.0/8, *.example.org"

 private:
  struct Cidr {
    boost::asio::ip::address net;
    int bits;
    std::string text;
  };
  std::vector<Cidr> cidrs_;
  std::vector<std::string> hosts_;  // lower-case
};

// The module's own event loops, where every probe runs: one thread each,
// started on first use, never stopped (the .so stays loaded). Not the
// core's loops: Asio keeps the running thread's context in a thread-local
// template static, and this .so (hidden visibility) has its own copy, so an
// I/O object of ours completing on a core loop crashes in epoll_reactor's
// perform_io (compensating_work_started) — seen here and in the snmp module.
class ProbeLoops {
 public:
  static ProbeLoops& Get(size_t n);
  boost::asio::io_context& Next();

 private:
  std::vector<boost::asio::io_context*> loops_;
  std::atomic<size_t> next_{0};
};

class BlackboxModule : public exporterd::Module {
 public:
  static std::unique_ptr<exporterd::Module> Create(const ModuleEnv& env,
                                                   ConfigErrors& errors);
  static std::string ConfigReference();

  std::vector<std::string> Routes() const override { return {"/probe"}; }
  bool Async() const override { return true; }
  void HandleAsync(std::shared_ptr<TargetCall> call) override;
  TargetResponse Handle(const TargetRequest& req) override;
  bool HasCollect() const override { return true; }
  CollectResult Collect(const CollectRequest& req) override;
  std::string Debug() const override;

  const Config& config() const { return *config_; }
  const ModuleOptions& options() const { return options_; }

 private:
  struct Counters {
    std::atomic<int64_t> in_flight{0};
    std::atomic<uint64_t> rejected{0};
    std::atomic<uint64_t> probes{0};
    std::atomic<uint64_t> failures{0};
  };
  ModuleOptions options_;
  TargetRules rules_;
  std::shared_ptr<const Config> config_;
  std::map<std::string, std::string> module_yaml_;  // for debug=true
  // Shared with probes in flight, which may outlive this instance (reload).
  std::map<std::string, std::shared_ptr<Counters>> counters_;
  std::shared_ptr<const TargetRules> shared_rules_;
  std::atomic<uint64_t> unknown_modules_{0};
  std::string source_;  // the blackbox.yml served
  Logger* logger_ = nullptr;
  ProbeLoops* loops_ = nullptr;
};

}  // namespace exporterd::blackbox

#endif  // EXPORTERD_BLACKBOX_BLACKBOX_MODULE_H_
