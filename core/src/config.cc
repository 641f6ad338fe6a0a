#include "config.h"

#include <regex>

namespace exporterd {

const char* EmbeddedDefaultConfig() {
  // Each module decides for itself whether its source exists on this host
  // (queue directory, ceph.conf, RAID tools) and stays quiet when not. A
  // module whose library is not installed is skipped for this default only.
  // Made at build time from every exporters/<name>/default.yml.
  return
#include "embedded_default.inc"
      ;
}

namespace {
// 1-based line of `key` in mapping `map`, else of the mapping.
int LineOfKey(const YAML::Node& map, const std::string& key) {
  for (const auto& kv : map)
    if (kv.first.Scalar() == key) return NodeLine(kv.first);
  return NodeLine(map);
}
}  // namespace

std::optional<Config> ParseConfig(const std::string& text,
                                  const std::string& file,
                                  ConfigErrors* errors) {
  size_t before = errors->list.size();
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    errors->Add(file, e.mark.line >= 0 ? e.mark.line + 1 : 0, "",
                "YAML syntax error: " + e.msg);
    return std::nullopt;
  }
  // A 0-byte or comment-only file (a truncated write, a wrong path) must not
  // read as "no modules": that is spelled `modules: {}`.
  if (!root.IsDefined() || root.IsNull()) {
    errors->Add(file, 0, "",
                "empty configuration file; list modules under modules: "
                "(`modules: {}` for none)");
    return std::nullopt;
  }
  if (!root.IsMap()) {
    errors->Add(file, NodeLine(root), "",
                "expected a mapping with a modules: key");
    return std::nullopt;
  }
  Config cfg;
  cfg.file = file;
  cfg.embedded = file == kEmbeddedConfigName;
  ConfigReader top(root, file, "", errors);
  YAML::Node mods = top.Raw("modules");
  top.Finish();
  if (mods.IsDefined() && mods.IsNull()) {
    errors->Add(file, LineOfKey(root, "modules"), "modules",
                "has no value; list modules under it (`modules: {}` for "
                "none)");
  } else if (mods.IsDefined() && !mods.IsMap()) {
    errors->Add(file, NodeLine(mods), "modules",
                "expected a mapping of module names to their settings");
  } else if (mods.IsMap()) {
    static const std::regex kName("[a-z][a-z0-9_]*");
    ConfigReader names(mods, file, "modules", errors);  // flags duplicates
    for (const auto& kv : mods) {
      ModuleConfig m;
      m.name = kv.first.Scalar();
      m.line = NodeLine(kv.first);
      m.body = kv.second;
      names.Ignore(m.name);
      if (!std::regex_match(m.name, kName)) {
        errors->Add(file, m.line, "modules." + m.name,
                    "module names are lower-case letters, digits and _");
        continue;
      }
      ConfigReader body(m.body, file, "modules." + m.name, errors);
      m.timeout = body.Duration("timeout", kDefaultModuleTimeout,
                                kMinModuleTimeout, kMaxModuleTimeout);
      m.min_interval =
          body.Duration("min_interval", std::chrono::milliseconds(0),
                        std::chrono::milliseconds(0), kMaxMinInterval);
      // The module checks the rest of its keys.
      cfg.modules.push_back(std::move(m));
    }
  }
  if (errors->list.size() != before) return std::nullopt;
  return cfg;
}

std::optional<Config> LoadConfigFile(const std::string& path,
                                     ConfigErrors* errors) {
  std::string why;
  std::optional<std::string> text =
      ReadConfigFile(path, kMaxConfigFileBytes, &why);
  if (!text) {
    errors->Add(path, 0, "", "cannot read config file: " + why);
    return std::nullopt;
  }
  return ParseConfig(*text, path, errors);
}

}  // namespace exporterd
