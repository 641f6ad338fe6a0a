#include "config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

namespace exporterd {

const char* EmbeddedDefaultConfig() {
  // Each module decides for itself whether its source exists on this host
  // (queue directory, ceph.conf, RAID tools) and stays quiet when not. A
  // module whose library is not installed is skipped for this default only.
  return R"(# exporterd embedded default configuration
modules:
  raid: {}            # Linux md from /proc/mdstat + vendor RAID CLIs on PATH
  postfix_qshape: {}  # when the Postfix queue directory exists
  ceph: {}            # when /etc/ceph/ceph.conf exists
  bacula: {}          # when a Bacula catalog is configured
  blackbox: {}        # /probe: http_2xx, tcp_connect, icmp, traceroute
  snmp: {}            # /snmp: if_mib
)";
}

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
  Config cfg;
  cfg.file = file;
  cfg.embedded = file == kEmbeddedConfigName;
  ConfigReader top(root, file, "", errors);
  YAML::Node mods = top.Raw("modules");
  top.Finish();
  if (mods.IsDefined() && !mods.IsNull() && !mods.IsMap()) {
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
      m.timeout = body.Duration("timeout", kDefaultModuleTimeout);
      m.min_interval =
          body.Duration("min_interval", std::chrono::milliseconds(0));
      if (m.timeout.count() <= 0) body.Error("timeout", "must be positive");
      // The module checks the rest of its keys.
      cfg.modules.push_back(std::move(m));
    }
  }
  if (errors->list.size() != before) return std::nullopt;
  return cfg;
}

std::optional<Config> LoadConfigFile(const std::string& path,
                                     ConfigErrors* errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors->Add(path, 0, "",
                std::string("cannot read: ") + std::strerror(errno));
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path, errors);
}

}  // namespace exporterd
