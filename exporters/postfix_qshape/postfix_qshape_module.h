// The postfix_qshape module: qshape's per-domain, per-age tables for each
// Postfix queue, read directly from the queue files on every scrape.
#ifndef EXPORTERS_POSTFIX_QSHAPE_POSTFIX_QSHAPE_MODULE_H_
#define EXPORTERS_POSTFIX_QSHAPE_POSTFIX_QSHAPE_MODULE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exporterd/module.h"
#include "qshape.h"
#include "queue_walk.h"

namespace postfix_qshape {

struct Config {
  std::string queue_directory;
  std::vector<std::string> queues;
  BucketSpec buckets;
  size_t max_domains = 50;  // 0: unlimited
  bool sender_domains = true;
  bool strict_qshape = false;
};

// `postconf -h queue_directory`, else /var/spool/postfix.
std::string DefaultQueueDirectory();

class PostfixQshapeModule : public exporterd::Module {
 public:
  static std::unique_ptr<exporterd::Module> Create(
      const exporterd::ModuleEnv& env, exporterd::ConfigErrors& errors);

  bool HasCollect() const override { return !idle_; }
  std::string Idle() const override { return idle_reason_; }
  exporterd::CollectResult Collect(const exporterd::CollectRequest&) override;
  std::string Debug() const override;

  // Replaces the clock (seconds since the epoch); for tests.
  void SetClockForTest(std::function<double()> now) { now_ = std::move(now); }
  const Config& config() const { return cfg_; }

 private:
  Config cfg_;
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
