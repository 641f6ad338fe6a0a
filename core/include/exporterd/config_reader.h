// Typed reading of one YAML mapping, declared in one place per module.
//
//   ConfigReader r(node, file, "modules.raid", errors);
//   auto timeout = r.Duration("timeout", std::chrono::seconds(10));
//   auto tools = r.StringList("tools", {});
//   r.Finish();  // every key not read above is reported as unknown
//
// Every error carries file, line and the dotted key path. Reading never
// throws; a bad value is reported and the default returned.
#ifndef EXPORTERD_CONFIG_READER_H_
#define EXPORTERD_CONFIG_READER_H_

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace exporterd {

struct ConfigError {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
  std::string key;
  std::string message;
  // "file:line: key: message"
  std::string ToString() const;
};

struct ConfigErrors {
  std::vector<ConfigError> list;
  void Add(std::string file, int line, std::string key, std::string message) {
    list.push_back({std::move(file), line, std::move(key), std::move(message)});
  }
  bool empty() const { return list.empty(); }
  std::string ToString() const;  // one per line, by file and line
};

// Parses a Prometheus duration: "500ms", "4s", "1m30s", "1h", "2d". Units:
// ms, s, m, h, d, w, y. Returns nullopt on anything else.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view s);
// Formats back in the same notation ("1m30s").
std::string FormatDuration(std::chrono::milliseconds d);

// 1-based line of a node, 0 if it has none.
int NodeLine(const YAML::Node& n);

class ConfigReader {
 public:
  // `node` may be undefined or null (treated as an empty mapping).
  ConfigReader(const YAML::Node& node, std::string file, std::string path,
               ConfigErrors* errors);

  std::string String(const std::string& key, std::string def);
  bool Bool(const std::string& key, bool def);
  int64_t Int(const std::string& key, int64_t def, int64_t min = INT64_MIN,
              int64_t max = INT64_MAX);
  double Float(const std::string& key, double def);
  std::chrono::milliseconds Duration(const std::string& key,
                                     std::chrono::milliseconds def);
  std::vector<std::string> StringList(const std::string& key,
                                      std::vector<std::string> def);
  // One of `allowed`.
  std::string Enum(const std::string& key, std::string def,
                   const std::vector<std::string>& allowed);
  // A nested mapping; the child reports its own unknown keys on Finish().
  ConfigReader Child(const std::string& key);
  // The raw node (marks the key known); undefined if absent.
  YAML::Node Raw(const std::string& key);
  bool Has(const std::string& key) const;
  // Marks keys as handled elsewhere.
  void Ignore(const std::string& key) { known_.insert(key); }

  // Reports every key that no getter asked for.
  void Finish();

  // Adds an error at `key` (or at the mapping itself when key is empty).
  void Error(const std::string& key, const std::string& message);

  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }

 private:
  YAML::Node Lookup(const std::string& key);
  std::string KeyPath(const std::string& key) const;
  int LineOf(const std::string& key) const;

  YAML::Node node_;
  std::string file_;
  std::string path_;
  ConfigErrors* errors_;
  std::set<std::string> known_;
};

}  // namespace exporterd

#endif  // EXPORTERD_CONFIG_READER_H_
