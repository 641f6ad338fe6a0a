// The example of exporters/README.md: counts the entries of directories.
//   modules:
//     example: {directories: [/var/spool/cron], hidden: false}
// exports example_directory_entries{directory} and
// example_directory_up{directory}.
#ifndef EXPORTERD_EXAMPLE_MODULE_H_
#define EXPORTERD_EXAMPLE_MODULE_H_

#include <memory>
#include <string>
#include <vector>

#include "exporterd/module.h"

namespace example {

// The keys (declared with defaults and docs in example_module.cc).
struct Options {
  std::vector<std::string> directories;
  bool hidden;
};

class ExampleModule : public exporterd::Module {
 public:
  static std::unique_ptr<exporterd::Module> Create(
      const exporterd::ModuleEnv& env, exporterd::ConfigErrors& errors);
  static std::string ConfigReference();
  bool HasCollect() const override { return true; }
  exporterd::CollectResult Collect(const exporterd::CollectRequest&) override;

 private:
  Options options_;
};

}  // namespace example

#endif  // EXPORTERD_EXAMPLE_MODULE_H_
