// The top-level configuration file:
//
//   modules:
//     <name>:              # loads exporterd_<name>.so
//       timeout: 10s       # every module: collection deadline cap
//       min_interval: 0s   # every module: >0 refreshes in the background
//       ...                # the module's own typed keys
#ifndef EXPORTERD_CONFIG_H_
#define EXPORTERD_CONFIG_H_

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "exporterd/config_reader.h"

namespace exporterd {

inline constexpr std::chrono::milliseconds kDefaultModuleTimeout{10000};
inline constexpr char kEmbeddedConfigName[] = "<embedded default>";

struct ModuleConfig {
  std::string name;
  YAML::Node body;  // the module's mapping; may be null
  int line = 0;
  std::chrono::milliseconds timeout = kDefaultModuleTimeout;
  std::chrono::milliseconds min_interval{0};
};

struct Config {
  std::string file;
  bool embedded = false;
  std::vector<ModuleConfig> modules;
};

// The built-in default used without --config.file (YAML text).
const char* EmbeddedDefaultConfig();

// Parses config text. `file` names it in errors. Module bodies are not
// checked here (the modules do that); timeout and min_interval are.
std::optional<Config> ParseConfig(const std::string& text,
                                  const std::string& file,
                                  ConfigErrors* errors);
// Reads and parses a file; a missing or unreadable file is an error too.
std::optional<Config> LoadConfigFile(const std::string& path,
                                     ConfigErrors* errors);

}  // namespace exporterd

#endif  // EXPORTERD_CONFIG_H_
