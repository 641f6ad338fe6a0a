// The bacula module: job results, running/waiting jobs and pool volumes read
// from the Bacula catalog (SQLite, PostgreSQL or MySQL/MariaDB) on every
// scrape.
#ifndef EXPORTERS_BACULA_BACULA_MODULE_H_
#define EXPORTERS_BACULA_BACULA_MODULE_H_

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "catalog.h"
#include "catalog_reader.h"
#include "exporterd/module.h"

namespace bacula {

// What the user writes (declared, with defaults and docs, in
// bacula_module.cc).
struct MysqlKeys {
  std::string host;
  int port;
  std::optional<std::string> socket;
  std::string user;
  std::optional<std::string> password_file;
  std::string database;
  std::string password;  // read from password_file; never printed
};
struct CatalogKeys {
  std::optional<std::string> sqlite;
  std::optional<std::string> postgresql;
  std::optional<MysqlKeys> mysql;
};
struct JobKeys {
  std::vector<std::string> include;  // job name regexes (full match)
  std::vector<std::string> exclude;
};
struct Keys {
  std::optional<CatalogKeys> catalog;
  std::chrono::milliseconds lookback;
  JobKeys jobs;
};

// The resolved configuration.
struct Config {
  std::string backend;  // "sqlite", "postgresql" or "mysql"; empty: none
  std::string target;   // path, conninfo, or the mysql Describe() (no password)
  MysqlOptions mysql;   // backend "mysql" (password read from password_file)
  std::string password_file;
  std::chrono::milliseconds lookback{0};
  std::vector<std::string> include;  // job name regexes (full match)
  std::vector<std::string> exclude;
};

class BaculaModule : public exporterd::Module {
 public:
  static std::unique_ptr<exporterd::Module> Create(
      const exporterd::ModuleEnv& env, exporterd::ConfigErrors& errors);
  static std::string ConfigReference();

  bool HasCollect() const override { return catalog_ != nullptr; }
  std::string Idle() const override {
    return catalog_ ? "" : "no Bacula catalog configured";
  }
  exporterd::CollectResult Collect(const exporterd::CollectRequest&) override;
  std::string Debug() const override;

  const Config& config() const { return cfg_; }
  // Replaces the clock (Unix seconds); for tests.
  void SetClockForTest(std::function<int64_t()> now) { now_ = std::move(now); }

 private:
  bool KeepJob(const std::string& name) const;

  Config cfg_;
  std::vector<std::regex> include_, exclude_;
  std::unique_ptr<Catalog> catalog_;
  exporterd::Logger* logger_ = nullptr;
  std::function<int64_t()> now_;
  std::mutex collect_mu_;  // one collection at a time
  CatalogReader reader_;   // guarded by collect_mu_
  mutable std::mutex mu_;
  std::string last_debug_;  // guarded by mu_
};

}  // namespace bacula

#endif  // EXPORTERS_BACULA_BACULA_MODULE_H_
