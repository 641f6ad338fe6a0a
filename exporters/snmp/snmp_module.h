// The snmp module: snmp_exporter's /snmp?target=&module=&auth= from the same
// snmp.yml (see README.md). The fetching is scrape.h's; this file holds the
// module's own keys, the snmp.yml loading and the query parameters.
#ifndef EXPORTERD_SNMP_SNMP_MODULE_H_
#define EXPORTERD_SNMP_SNMP_MODULE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exporterd/module.h"
#include "scrape.h"
#include "snmp_config.h"

namespace exporterd::snmp {

struct ModuleOptions {
  std::vector<std::string> config_file;
  bool expand_environment_variables = false;
  std::string compat;
  bool wrap_large_counters = true;
  int64_t max_concurrent_walks_per_target = 4;
  bool partial_results = false;
  bool coalesce_requests = true;
};

// The built-in snmp.yml (if_mib.yml): served when config_file is empty.
extern const char kBuiltinIfMib[];

// A parsed /snmp query, or why it is refused (status 400 and a message).
struct ParsedQuery {
  int status = 200;
  std::string error;
  std::shared_ptr<ScrapeRequest> request;
};

// Upstream's parameter rules (main.go handler): target exactly once and not
// empty; auth, snmp_context, snmp_engineid at most once; module repeatable
// and comma-separated, duplicates dropped, default if_mib; auth default
// public_v2. A legacy-layout module without ?auth= uses its own auth.
ParsedQuery ParseQuery(const TargetRequest& req,
                       const std::shared_ptr<const Config>& config,
                       const ScrapeOptions& options,
                       const std::string& instance_key);

class SnmpModule : public exporterd::Module {
 public:
  static std::unique_ptr<exporterd::Module> Create(const ModuleEnv& env,
                                                   ConfigErrors& errors);
  static std::string ConfigReference();

  std::vector<std::string> Routes() const override { return {"/snmp"}; }
  bool Async() const override { return true; }
  void HandleAsync(std::shared_ptr<TargetCall> call) override;
  TargetResponse Handle(const TargetRequest& req) override;
  bool HasCollect() const override { return true; }
  CollectResult Collect(const CollectRequest& req) override;
  std::string Debug() const override;

  const Config& config() const { return *config_; }
  const ModuleOptions& options() const { return options_; }
  const ScrapeOptions& scrape_options() const { return scrape_options_; }

 private:
  ModuleOptions options_;
  ScrapeOptions scrape_options_;
  std::shared_ptr<const Config> config_;
  std::vector<std::string> files_;  // what was loaded, for Debug()
  std::string instance_key_;
  Logger* logger_ = nullptr;
};

}  // namespace exporterd::snmp

#endif  // EXPORTERD_SNMP_SNMP_MODULE_H_
