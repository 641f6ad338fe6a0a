// The example module of exporters/README.md (see example_module.h).
#include "example_module.h"

#include <dirent.h>

#include "exporterd/config_map.h"
#include "exporterd/metrics.h"

namespace example {

// 1. The keys, declared once: name, type, default, one-line doc.
const exporterd::ConfigMap<Options>& Keys() {
  static const exporterd::ConfigMap<Options> m{
      exporterd::Key("directories", &Options::directories,
                     std::vector<std::string>{"/tmp"},
                     "Directories whose entries are counted.")
          .Check([](const std::vector<std::string>& v) {
            return v.empty() ? "must name at least one directory" : "";
          }),
      exporterd::Key("hidden", &Options::hidden, false,
                     "Also count names starting with a dot."),
  };
  return m;
}

// 2. Create() reads the config (errors refuse it, with file:line:key).
std::unique_ptr<exporterd::Module> ExampleModule::Create(
    const exporterd::ModuleEnv& env, exporterd::ConfigErrors& errors) {
  auto m = std::make_unique<ExampleModule>();
  exporterd::ConfigReader r = exporterd::ModuleConfigReader(env, errors);
  m->options_ = Keys().Read(r);
  return m;
}

std::string ExampleModule::ConfigReference() { return Keys().Reference(); }

// 3. Collect() answers a scrape: one builder for every family.
exporterd::CollectResult ExampleModule::Collect(
    const exporterd::CollectRequest&) {
  auto entries = exporterd::Family::Gauge("example_directory_entries",
                                          "Entries in the directory.");
  auto up = exporterd::Family::Gauge("example_directory_up",
                                     "1 if the directory could be read.");
  for (const std::string& dir : options_.directories) {
    DIR* d = opendir(dir.c_str());
    up.Add({{"directory", dir}}, d ? 1 : 0);
    if (!d) continue;
    int n = 0;
    while (dirent* e = readdir(d)) {
      std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      if (name[0] == '.' && !options_.hidden) continue;
      ++n;
    }
    closedir(d);
    entries.Add({{"directory", dir}}, n);
  }
  exporterd::CollectResult result;
  entries.MoveTo(&result.families);
  up.MoveTo(&result.families);
  return result;
}

}  // namespace example

// 4. The entry point the daemon loads (exporterd_example.so).
EXPORTERD_MODULE(example, example::ExampleModule)
