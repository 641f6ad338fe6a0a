// The postfix_qshape module: qshape's per-domain, per-age tables for each
// Postfix queue, read directly from the queue files on every scrape.
#ifndef EXPORTERS_POSTFIX_QSHAPE_POSTFIX_QSHAPE_MODULE_H_
#define EXPORTERS_POSTFIX_QSHAPE_POSTFIX_QSHAPE_MODULE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "exporterd/module.h"
#include "qshape.h"
#include "queue_walk.h"

namespace postfix_qshape {

// The module's keys; declared (with defaults and docs) in ConfigMap() in
// postfix_qshape_module.cc.
struct Config {
  std::optional<std::string> queue_directory;  // empty: from postconf
  std::vector<std::string> queues;
  double bucket_minutes;
  int buckets;
  bool linear;
  size_t max_domains;  // 0: unlimited
  bool sender_domains;
  bool strict_qshape;
  BucketSpec Buckets() const { return {bucket_minutes, buckets, linear}; }
};

// `postconf -h queue_directory`, else /var/spool/postfix.
std::string DefaultQueueDirectory();

class PostfixQshapeModule : public exporterd::Module {
 public:
  static std::unique_ptr<exporterd::Module> Create(
      const exporterd::ModuleEnv& env, exporterd::ConfigErrors& errors);
  static std::string ConfigReference();

  bool HasCollect() const override { return !idle_; }
  std::string Idle() const override { return idle_reason_; }
  exporterd::CollectResult Collect(const exporterd::CollectRequest&) override;
  std::string Debug() const override;

  // Replaces the clock (seconds since the epoch); for tests.
  void SetClockForTest(std::function<double()> now) { now_ = std::move(now); }
  const Config& config() const { return cfg_; }
  // The queue directory in use (configured, or found by postconf).
  const std::string& queue_directory() const { return queue_directory_; }

 private:
  Config cfg_;
  std::string queue_directory_;
  BucketSpec buckets_;
  std::vector<std::string> headings_;
  bool idle_ = false;
  std::string idle_reason_;
  exporterd::Logger* logger_ = nullptr;
  std::function<double()> now_;
  std::mutex collect_mu_;  // one collection at a time
  FileCache cache_;        // guarded by collect_mu_
  mutable std::mutex mu_;
  std::string last_debug_;  // guarded by mu_
};

}  // namespace postfix_qshape

#endif  // EXPORTERS_POSTFIX_QSHAPE_POSTFIX_QSHAPE_MODULE_H_
