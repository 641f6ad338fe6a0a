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

class RaidModule : public Module {
 public:
  static std::unique_ptr<Module> Create(const ModuleEnv& env,
                                        ConfigErrors& errors);
  ~RaidModule() override;

  bool HasCollect() const override { return true; }
  CollectResult Collect(const CollectRequest& req) override;
  // The configuration, the directories searched (each once) and the tools
  // found there (each once, absolute path), then the last scrape's result.
  // Neither the daemon's environment nor the working directory.
  std::string Debug() const override;

  // Where tools are looked for, in order, without duplicates.
  const std::vector<std::string>& tool_dirs() const { return tool_dirs_; }

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
  // tools.<tool>: argv prefix; argv[0] is absolute or a bare name.
  std::map<std::string, std::vector<std::string>> configured_;
  std::set<std::string> disabled_;
  std::string mdstat_path_;
  bool mdstat_explicit_ = false;
  std::vector<std::string> tool_dirs_;

  mutable std::mutex mu_;
  std::string workdir_;
  std::map<std::string, std::string> logged_;
  std::vector<Status> last_;
  bool scraped_ = false;
};

}  // namespace exporterd::raid

#endif  // EXPORTERD_RAID_RAID_MODULE_H_
