// raid: controller, array, disk and battery health from vendor RAID CLIs
// and Linux md. See README.md for the configuration and the metrics.
#ifndef EXPORTERD_RAID_RAID_MODULE_H_
#define EXPORTERD_RAID_RAID_MODULE_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "exporterd/module.h"
#include "raid_model.h"
#include "tool_runner.h"

namespace exporterd::raid {

// The module's keys; declared (with defaults and docs) in Keys() in
// raid_module.cc.
struct Config {
  // tools.<tool>: argv prefix; argv[0] is absolute or a bare name.
  std::map<std::string, std::vector<std::string>> tools;
  std::optional<std::string> mdstat_path;  // empty: /proc/mdstat, if present
  std::vector<std::string> disabled_tools;
  // Absolute, normalised, each once.
  std::vector<std::string> tool_dirs;
  // Read from search_path, tool_dirs' former name (worth a warning).
  bool from_search_path = false;
  // Problems with one tool_dirs entry, at that entry's line.
  std::vector<ConfigError> tool_dir_errors;
};

class RaidModule : public Module {
 public:
  static std::unique_ptr<Module> Create(const ModuleEnv& env,
                                        ConfigErrors& errors);
  // The configuration reference (README.md's table).
  static std::string ConfigReference();
  ~RaidModule() override;

  bool HasCollect() const override { return true; }
  CollectResult Collect(const CollectRequest& req) override;
  // The configuration, the directories searched (each once) and the tools
  // found there (each once, absolute path), then the last scrape's result.
  // Neither the daemon's environment nor the working directory.
  std::string Debug() const override;

  const Config& config() const { return cfg_; }
  // Where tools are looked for, in order, without duplicates.
  const std::vector<std::string>& tool_dirs() const { return cfg_.tool_dirs; }

 private:
  struct Status {
    std::string tool;
    bool up;
    std::string error;
  };
  // How a tool would be run now: the argv prefix (absolute program first),
  // or why not; neither when it is not installed and not configured.
  struct Resolved {
    std::vector<std::string> argv;
    std::string error;
  };

  Resolved Resolve(const ToolSpec& spec) const;
  std::optional<ToolResult> CollectMd();
  std::string WorkDir();
  void LogChanges(const std::vector<ToolResult>& results);

  Logger* logger_ = nullptr;
  std::vector<ToolSpec> specs_;
  Config cfg_;
  std::set<std::string> disabled_;
  std::string mdstat_path_;

  mutable std::mutex mu_;
  std::string workdir_;
  std::map<std::string, std::string> logged_;
  std::vector<Status> last_;
  bool scraped_ = false;
};

}  // namespace exporterd::raid

#endif  // EXPORTERD_RAID_RAID_MODULE_H_
