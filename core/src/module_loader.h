// Finds, loads and checks module libraries, and wraps their instances.
#ifndef EXPORTERD_MODULE_LOADER_H_
#define EXPORTERD_MODULE_LOADER_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exporterd/module.h"

namespace exporterd {

// A loaded and checked library. Never unloaded: threads of a replaced
// instance may still be running its code (libraries are opened with
// RTLD_NODELETE too).
struct ModuleLibrary {
  std::string name;
  std::string path;
  const exporterd_module_descriptor* descriptor = nullptr;
  // The module's config reference (README table); empty if none declared.
  std::string ConfigReference() const;
};

// The host's handle on one module instance; calls go through the
// descriptor's noexcept functions only.
class ModuleInstance {
 public:
  ModuleInstance(std::shared_ptr<const ModuleLibrary> lib, void* instance,
                 std::unique_ptr<Logger> logger);
  ~ModuleInstance();
  ModuleInstance(const ModuleInstance&) = delete;
  ModuleInstance& operator=(const ModuleInstance&) = delete;

  const std::string& name() const { return lib_->name; }
  // False with *error when the module cannot work.
  bool Start(std::string* error);
  // 1: collects for /metrics, 0: does not, -1: failed (*error says why).
  int HasCollect(std::string* error);
  CollectResult Collect(const CollectRequest& req);
  std::vector<std::string> Routes();
  TargetResponse Handle(const TargetRequest& req);
  bool IsAsync();
  void HandleAsync(std::shared_ptr<TargetCall> call);
  std::string Debug();
  std::string Idle();

 private:
  std::shared_ptr<const ModuleLibrary> lib_;
  void* instance_;
  std::unique_ptr<Logger> logger_;  // outlives instance_
};

class ModuleLoader {
 public:
  // `dirs` are searched in order for exporterd_<name>.so.
  explicit ModuleLoader(std::vector<std::string> dirs)
      : dirs_(std::move(dirs)) {}

  // Loads (once) and checks the library for `name`. On failure returns null,
  // sets *error, and *not_found when no file exists in any directory.
  std::shared_ptr<const ModuleLibrary> Load(const std::string& name,
                                            std::string* error,
                                            bool* not_found = nullptr);

  // Loads a library from an explicit path (tests, diagnostics).
  static std::shared_ptr<const ModuleLibrary> LoadPath(
      const std::string& path, const std::string& expected_name,
      std::string* error);

  // Builds an instance from `env`; null with errors appended on failure.
  static std::unique_ptr<ModuleInstance> Create(
      std::shared_ptr<const ModuleLibrary> lib, const ModuleEnv& env,
      std::unique_ptr<Logger> logger, ConfigErrors* errors);

  const std::vector<std::string>& dirs() const { return dirs_; }

 private:
  std::vector<std::string> dirs_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const ModuleLibrary>> loaded_;
};

// Default module search path: <dir of /proc/self/exe>/modules when it
// exists (the build tree), then <dir of the binary>/../<libdir>/exporterd
// when it exists (an installed tree under any root), then the configured
// install directory.
std::vector<std::string> DefaultModuleDirs();

}  // namespace exporterd

#endif  // EXPORTERD_MODULE_LOADER_H_
