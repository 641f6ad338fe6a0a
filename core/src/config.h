// The top-level configuration file:
//
//   modules:
//     <name>:              # loads exporterd_<name>.so
//       timeout: 10s       # every module: collection deadline cap, 1ms..1h
//       min_interval: 0s   # every module: >0 refreshes in the background,
//                          # at most 1d (24h)
//       ...                # the module's own typed keys
//
// An empty file (nothing, or only comments) is an error: a truncated write
// must not unload every module. No modules is spelled `modules: {}`.
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
// Bounds of every module's `timeout`: a collection deadline of hours (or
// "300y", which once overflowed into 2 ms) is a typo, not a setting.
inline constexpr std::chrono::milliseconds kMinModuleTimeout{1};
inline constexpr std::chrono::milliseconds kMaxModuleTimeout{3600 * 1000};
// Upper bound of every module's `min_interval` (24h): past it a background
// refresh is never useful, and "300y" once made the refresh loop spin.
inline constexpr std::chrono::milliseconds kMaxMinInterval{24 * 3600 * 1000};
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
// checked here (the modules do that); timeout and min_interval are. Text
// without a document (empty, blanks, comments) and a document that is not a
// mapping are errors, and so is `modules:` without a value.
std::optional<Config> ParseConfig(const std::string& text,
                                  const std::string& file,
                                  ConfigErrors* errors);
// Reads (ReadConfigFile, kMaxConfigFileBytes) and parses a file; a missing,
// unreadable, non-regular or oversized file is an error too.
std::optional<Config> LoadConfigFile(const std::string& path,
                                     ConfigErrors* errors);

}  // namespace exporterd

#endif  // EXPORTERD_CONFIG_H_
