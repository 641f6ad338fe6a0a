// Typed reading of one YAML mapping, declared in one place per module.
//
//   ConfigReader r(node, file, "modules.raid", errors);
//   auto timeout = r.Duration("timeout", std::chrono::seconds(10));
//   auto tools = r.StringList("tools", {});
//   r.Finish();  // every key not read above is reported as unknown,
//                // naming the keys that were asked for
//
// Every error carries file, line and the dotted key path. Reading never
// throws; a bad value is reported and the default returned.
//
// Configuration files (exporterd's, the web config, a module's own such as
// snmp.yml) are read with ReadConfigFile: regular files only, size-capped.
#ifndef EXPORTERD_CONFIG_READER_H_
#define EXPORTERD_CONFIG_READER_H_

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstddef>
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

// The largest exporterd configuration file and web configuration file: 4 MiB.
// A hand-written configuration is a few KiB; the cap keeps a wrong path
// (a log, an image) or a runaway generator from costing seconds and GiBs of
// YAML parsing. Modules pass their own cap for their own files.
inline constexpr size_t kMaxConfigFileBytes = size_t{4} << 20;

// Reads the whole configuration file at `path` (symlinks followed). Refuses,
// without blocking, anything but a regular file (a directory, FIFO, device or
// socket) and files larger than `max_bytes`, also when the file grows while
// being read. On failure returns nullopt and sets *why to a short reason:
// "is a directory", "is not a regular file (fifo)", "is larger than the limit
// of 4194304 bytes (4 MiB)", or the system's error text ("No such file or
// directory", "Permission denied").
std::optional<std::string> ReadConfigFile(const std::string& path,
                                          size_t max_bytes, std::string* why);

// The longest duration ParseDuration accepts: 100y (a Prometheus year is
// 365 days). Keys bound themselves tighter with ConfigReader::Duration.
inline constexpr std::chrono::milliseconds kMaxDuration{100LL * 365 * 24 *
                                                        3600 * 1000};

// Parses a Prometheus duration: "500ms", "4s", "1m30s", "1h", "2d". Units:
// ms, s, m, h, d, w, y. Returns nullopt on anything else, and on durations
// longer than kMaxDuration (never overflows).
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view s);
// Formats back in the same notation ("1m30s").
std::string FormatDuration(std::chrono::milliseconds d);

// 1-based line of a node, 0 if it has none.
int NodeLine(const YAML::Node& n);
// A node for messages: "\"text\"" (a scalar), "a list", "a mapping" or
// "nothing".
std::string DescribeNode(const YAML::Node& n);
// Undefined or null: as if the key were not there.
inline bool IsAbsent(const YAML::Node& n) {
  return !n.IsDefined() || n.IsNull();
}
// A quoted scalar ('x' or "x"): yaml-cpp gives it the non-specific tag "!".
// Go's YAML decoders read it as a string, never as a number or bool.
inline bool IsQuoted(const YAML::Node& n) { return n.Tag() == "!"; }
// An int as go-yaml reads a key or value: a plain scalar through GoYamlInt
// (go_compat.h); nullopt for a quoted one, a non-int or a non-scalar.
std::optional<int64_t> GoYamlInt(const YAML::Node& n);

class ConfigReader {
 public:
  // `node` may be undefined or null (treated as an empty mapping); anything
  // else that is not a mapping is reported ("expected a mapping, got a
  // list") and read as an empty mapping.
  ConfigReader(const YAML::Node& node, std::string file, std::string path,
               ConfigErrors* errors);

  std::string String(const std::string& key, std::string def);
  bool Bool(const std::string& key, bool def);
  int64_t Int(const std::string& key, int64_t def, int64_t min = INT64_MIN,
              int64_t max = INT64_MAX);
  // An int as go-yaml decodes one into a Go int field, for modules that read
  // an upstream's YAML (go_compat.h's GoYamlInt): a plain scalar, where
  // "0x10", "1_000" and "1e3" are numbers (a float is truncated); a quoted
  // "10" is a string, refused.
  int64_t GoInt(const std::string& key, int64_t def, int64_t min = INT64_MIN,
                int64_t max = INT64_MAX);
  double Float(const std::string& key, double def);
  // A duration in [min, max]; outside it is an error ("must be between 1ms
  // and 1h, got 300y") and `def` is returned.
  std::chrono::milliseconds Duration(
      const std::string& key, std::chrono::milliseconds def,
      std::chrono::milliseconds min = std::chrono::milliseconds(0),
      std::chrono::milliseconds max = kMaxDuration);
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
  // Marks keys as handled elsewhere (not listed as expected by Finish():
  // they belong to another reader, such as the core's timeout).
  void Ignore(const std::string& key) { known_.insert(key); }
  // A key of the upstream format this file follows that exporterd does not
  // implement: when present it is reported as "not supported by exporterd;
  // <hint>" (no hint: just that), never as unknown. Not listed as expected.
  void Unsupported(const std::string& key, const std::string& hint);

  // Reports every key that no getter asked for: "unknown key (expected one
  // of a, b)", naming the keys asked for (getters, Child, Raw) in the order
  // they were asked.
  void Finish();

  // Adds an error at `key` (or at the mapping itself when key is empty).
  void Error(const std::string& key, const std::string& message);
  // Adds an error about `key` that may be absent ("is required"): at its
  // line when present, else at the line of the key this mapping sits under
  // (`tls_server_config:` for a Child), where a reader would add it.
  void Missing(const std::string& key, const std::string& message);

  // Errors reported so far by every reader sharing this one's list; lets a
  // caller skip work that only makes sense on a clean section.
  size_t error_count() const { return errors_->list.size(); }

  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }

 private:
  YAML::Node Lookup(const std::string& key);
  // `v` if in [min, max], else an error and `def`.
  int64_t InRange(const std::string& key, int64_t v, int64_t def, int64_t min,
                  int64_t max);
  std::string KeyPath(const std::string& key) const;
  int LineOf(const std::string& key) const;

  YAML::Node node_;
  std::string file_;
  std::string path_;
  ConfigErrors* errors_;
  int key_line_ = 0;  // line of the key this mapping sits under; 0: none
  std::set<std::string> known_;
  std::vector<std::string> asked_;  // keys asked for by getters, in order
};

}  // namespace exporterd

#endif  // EXPORTERD_CONFIG_READER_H_
