#include "exporterd/config_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <map>
#include <system_error>
#include <tuple>

#include "exporterd/go_compat.h"

namespace exporterd {

std::string ConfigError::ToString() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line);
  s += ": ";
  if (!key.empty()) s += key + ": ";
  s += message;
  return s;
}

std::string ConfigErrors::ToString() const {
  // By file and line, so a long list reads top to bottom.
  std::vector<const ConfigError*> sorted;
  for (const auto& e : list) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) {
    return std::tie(a->file, a->line) < std::tie(b->file, b->line);
  });
  std::string s;
  for (const auto* e : sorted) s += e->ToString() + "\n";
  return s;
}

namespace {

std::string ErrnoText(int err) {
  return std::error_code(err, std::generic_category()).message();
}

// "4194304 bytes (4 MiB)"; the MiB part only when it is whole.
std::string ShowBytes(size_t n) {
  std::string s = std::to_string(n) + " bytes";
  if (n >= (size_t{1} << 20) && n % (size_t{1} << 20) == 0)
    s += " (" + std::to_string(n >> 20) + " MiB)";
  return s;
}

const char* FileKind(mode_t mode) {
  if (S_ISFIFO(mode)) return "fifo";
  if (S_ISCHR(mode)) return "character device";
  if (S_ISBLK(mode)) return "block device";
  if (S_ISSOCK(mode)) return "socket";
  return "special file";
}

}  // namespace

std::optional<std::string> ReadConfigFile(const std::string& path,
                                          size_t max_bytes, std::string* why) {
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
  // O_NOCTTY: a terminal named by mistake must not become ours.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    *why = ErrnoText(errno);
    return std::nullopt;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    *why = ErrnoText(errno);
    return std::nullopt;
  }
  if (S_ISDIR(st.st_mode)) {
    *why = "is a directory";
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    *why = std::string("is not a regular file (") + FileKind(st.st_mode) + ")";
    return std::nullopt;
  }
  const std::string too_large =
      "is larger than the limit of " + ShowBytes(max_bytes);
  if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > max_bytes) {
    *why = too_large + ": " + std::to_string(st.st_size) + " bytes";
    return std::nullopt;
  }
  // Read straight into the result (no copies of a key file's bytes left on
  // the stack), at most one byte past the limit: enough to know the file is
  // larger than fstat said (it grew, or it is /proc-like).
  const size_t limit = max_bytes < SIZE_MAX ? max_bytes + 1 : max_bytes;
  std::string out;
  size_t have = 0;
  for (;;) {
    if (have == out.size()) {
      if (out.size() >= limit) {
        *why = too_large;
        return std::nullopt;
      }
      size_t grow = std::max<size_t>(static_cast<size_t>(st.st_size) + 1,
                                     std::max<size_t>(have * 2, 4096));
      out.resize(std::min(grow, limit));
    }
    ssize_t n = ::read(fd, out.data() + have, out.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *why = ErrnoText(errno);
      return std::nullopt;
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  out.resize(have);
  return out;
}

namespace {

enum class DurationParse { kOk, kMalformed, kTooLong };

DurationParse ParseDurationImpl(std::string_view s, int64_t* out) {
  // Prometheus' model.ParseDuration: units in descending order, each once.
  static const std::pair<std::string_view, int64_t> kUnits[] = {
      {"y", 365LL * 24 * 3600 * 1000},
      {"w", 7LL * 24 * 3600 * 1000},
      {"d", 24LL * 3600 * 1000},
      {"h", 3600LL * 1000},
      {"m", 60LL * 1000},
      {"s", 1000},
      {"ms", 1}};
  *out = 0;
  if (s.empty()) return DurationParse::kMalformed;
  if (s == "0") return DurationParse::kOk;
  // Every step is checked: a number or a sum past kMaxDuration is refused
  // before it can overflow. The whole string is still checked for syntax so
  // "999999999999y" (too long) and "999999999999x" (malformed) differ.
  const int64_t max = kMaxDuration.count();
  bool too_long = false;
  int64_t total = 0;
  size_t next_unit = 0;  // index into kUnits; units must descend
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    int64_t n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (!too_long &&
          (__builtin_mul_overflow(n, int64_t{10}, &n) ||
           __builtin_add_overflow(n, int64_t{s[i] - '0'}, &n) || n > max))
        too_long = true;
      ++i;
    }
    if (i == start) return DurationParse::kMalformed;
    size_t ustart = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    std::string_view unit = s.substr(ustart, i - ustart);
    size_t u = next_unit;
    while (u < std::size(kUnits) && kUnits[u].first != unit) ++u;
    if (u == std::size(kUnits)) return DurationParse::kMalformed;
    next_unit = u + 1;
    int64_t part = 0;
    if (!too_long &&
        (__builtin_mul_overflow(n, kUnits[u].second, &part) ||
         __builtin_add_overflow(total, part, &total) || total > max))
      too_long = true;
  }
  if (too_long) return DurationParse::kTooLong;
  *out = total;
  return DurationParse::kOk;
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view s) {
  int64_t ms = 0;
  if (ParseDurationImpl(s, &ms) != DurationParse::kOk) return std::nullopt;
  return std::chrono::milliseconds(ms);
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  static const std::pair<const char*, int64_t> kUnits[] = {
      {"d", 24LL * 3600 * 1000},
      {"h", 3600LL * 1000},
      {"m", 60LL * 1000},
      {"s", 1000},
      {"ms", 1}};
  std::string out;
  for (const auto& [name, size] : kUnits) {
    if (ms >= size) {
      out += std::to_string(ms / size) + name;
      ms %= size;
    }
  }
  return out;
}

int NodeLine(const YAML::Node& n) {
  if (!n.IsDefined()) return 0;
  int line = n.Mark().line;
  return line >= 0 ? line + 1 : 0;
}

ConfigReader::ConfigReader(const YAML::Node& node, std::string file,
                           std::string path, ConfigErrors* errors)
    : node_(node),
      file_(std::move(file)),
      path_(std::move(path)),
      errors_(errors) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    // The kind, not the value: it may be a secret put in the wrong place.
    errors_->Add(file_, NodeLine(node_), path_,
                 std::string("expected a mapping, got ") +
                     (node_.IsSequence() ? "a list" : "a single value"));
    node_ = YAML::Node();
    return;
  }
  if (!node_.IsMap()) return;
  // yaml-cpp keeps duplicate keys; YAML forbids them and so do we.
  std::map<std::string, int> seen;
  for (const auto& kv : node_) {
    std::string k = kv.first.Scalar();
    if (seen.count(k)) {
      errors_->Add(
          file_, NodeLine(kv.first), KeyPath(k),
          "duplicate key (first at line " + std::to_string(seen[k]) + ")");
    } else {
      seen[k] = NodeLine(kv.first);
    }
  }
}

std::string ConfigReader::KeyPath(const std::string& key) const {
  if (key.empty()) return path_;
  return path_.empty() ? key : path_ + "." + key;
}

bool ConfigReader::Has(const std::string& key) const {
  if (!node_.IsMap()) return false;
  for (const auto& kv : node_)
    if (kv.first.Scalar() == key) return true;
  return false;
}

void ConfigReader::Unsupported(const std::string& key,
                               const std::string& hint) {
  known_.insert(key);
  if (Has(key))
    Error(key,
          "not supported by exporterd" + (hint.empty() ? "" : "; " + hint));
}

YAML::Node ConfigReader::Lookup(const std::string& key) {
  known_.insert(key);
  if (std::find(asked_.begin(), asked_.end(), key) == asked_.end())
    asked_.push_back(key);
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : node_)
    if (kv.first.Scalar() == key) return kv.second;
  return YAML::Node(YAML::NodeType::Undefined);
}

int ConfigReader::LineOf(const std::string& key) const {
  if (node_.IsMap())
    for (const auto& kv : node_)
      if (kv.first.Scalar() == key) return NodeLine(kv.first);
  return NodeLine(node_);
}

void ConfigReader::Error(const std::string& key, const std::string& message) {
  errors_->Add(file_, key.empty() ? NodeLine(node_) : LineOf(key), KeyPath(key),
               message);
}

void ConfigReader::Missing(const std::string& key, const std::string& message) {
  if (Has(key) || key_line_ == 0) {
    Error(key, message);
  } else {
    errors_->Add(file_, key_line_, KeyPath(key), message);
  }
}

std::string DescribeNode(const YAML::Node& n) {
  if (n.IsScalar()) return "\"" + n.Scalar() + "\"";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "nothing";
}

std::string ConfigReader::String(const std::string& key, std::string def) {
  YAML::Node n = Lookup(key);
  if (!n.IsDefined() || n.IsNull()) return def;
  if (!n.IsScalar()) {
    Error(key, "expected a string, got " + DescribeNode(n));
    return def;
  }
  return n.Scalar();
}

bool ConfigReader::Bool(const std::string& key, bool def) {
  YAML::Node n = Lookup(key);
  if (!n.IsDefined() || n.IsNull()) return def;
  const std::string s = n.IsScalar() ? n.Scalar() : "";
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  Error(key, "expected true or false, got " + DescribeNode(n));
  return def;
}

int64_t ConfigReader::Int(const std::string& key, int64_t def, int64_t min,
                          int64_t max) {
  YAML::Node n = Lookup(key);
  if (!n.IsDefined() || n.IsNull()) return def;
  int64_t v = 0;
  bool ok = n.IsScalar();
  if (ok) {
    const std::string& s = n.Scalar();
    size_t pos = 0;
    try {
      v = std::stoll(s, &pos, 10);
    } catch (...) {
      ok = false;
    }
    ok = ok && pos == s.size();
  }
  if (!ok) {
    Error(key, "expected an integer, got " + DescribeNode(n));
    return def;
  }
  return InRange(key, v, def, min, max);
}

std::optional<int64_t> GoYamlInt(const YAML::Node& n) {
  if (!n.IsScalar() || IsQuoted(n)) return std::nullopt;
  return GoYamlInt(n.Scalar());
}

int64_t ConfigReader::GoInt(const std::string& key, int64_t def, int64_t min,
                            int64_t max) {
  YAML::Node n = Lookup(key);
  if (!n.IsDefined() || n.IsNull()) return def;
  std::optional<int64_t> v = GoYamlInt(n);
  if (!v) {
    Error(key, std::string("expected an integer") +
                   (IsQuoted(n) ? " (unquoted)" : "") + ", got " +
                   DescribeNode(n));
    return def;
  }
  return InRange(key, *v, def, min, max);
}

int64_t ConfigReader::InRange(const std::string& key, int64_t v, int64_t def,
                              int64_t min, int64_t max) {
  if (v < min || v > max) {
    std::string range = "must be ";
    if (min != INT64_MIN && max != INT64_MAX)
      range += "between " + std::to_string(min) + " and " + std::to_string(max);
    else if (min != INT64_MIN)
      range += "at least " + std::to_string(min);
    else
      range += "at most " + std::to_string(max);
    Error(key, range + ", got " + std::to_string(v));
    return def;
  }
  return v;
}

double ConfigReader::Float(const std::string& key, double def) {
  YAML::Node n = Lookup(key);
  if (!n.IsDefined() || n.IsNull()) return def;
  double v = 0;
  bool ok = n.IsScalar();
  if (ok) {
    const std::string& s = n.Scalar();
    size_t pos = 0;
    try {
      v = std::stod(s, &pos);
    } catch (...) {
      ok = false;
    }
    ok = ok && pos == s.size() && std::isfinite(v);
  }
  if (!ok) {
    Error(key, "expected a number, got " + DescribeNode(n));
    return def;
  }
  return v;
}

namespace {
// A bound for messages: "100y" for whole Prometheus years, else as
// FormatDuration writes it ("1h", "1d", "1ms").
std::string ShowBound(std::chrono::milliseconds d) {
  constexpr int64_t kYear = 365LL * 24 * 3600 * 1000;
  if (d.count() > 0 && d.count() % kYear == 0)
    return std::to_string(d.count() / kYear) + "y";
  return FormatDuration(d);
}

}  // namespace

std::chrono::milliseconds ConfigReader::Duration(
    const std::string& key, std::chrono::milliseconds def,
    std::chrono::milliseconds min, std::chrono::milliseconds max) {
  YAML::Node n = Lookup(key);
  if (!n.IsDefined() || n.IsNull()) return def;
  max = std::min(max, kMaxDuration);
  const std::string range =
      "must be between " + ShowBound(min) + " and " + ShowBound(max);
  int64_t ms = 0;
  DurationParse parsed = n.IsScalar() ? ParseDurationImpl(n.Scalar(), &ms)
                                      : DurationParse::kMalformed;
  if (parsed == DurationParse::kMalformed) {
    Error(key,
          "expected a duration like 500ms, 4s or 1m, got " + DescribeNode(n));
    return def;
  }
  const std::chrono::milliseconds d(ms);
  if (parsed == DurationParse::kTooLong || d < min || d > max) {
    Error(key, range + ", got " + DescribeNode(n));
    return def;
  }
  return d;
}

std::vector<std::string> ConfigReader::StringList(
    const std::string& key, std::vector<std::string> def) {
  YAML::Node n = Lookup(key);
  if (!n.IsDefined() || n.IsNull()) return def;
  if (!n.IsSequence()) {
    Error(key, "expected a list of strings, got " + DescribeNode(n));
    return def;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) {
      errors_->Add(file_, NodeLine(n[i]),
                   KeyPath(key) + "[" + std::to_string(i) + "]",
                   "expected a string, got " + DescribeNode(n[i]));
      return def;
    }
    out.push_back(n[i].Scalar());
  }
  return out;
}

std::string ConfigReader::Enum(const std::string& key, std::string def,
                               const std::vector<std::string>& allowed) {
  YAML::Node n = Lookup(key);
  if (!n.IsDefined() || n.IsNull()) return def;
  if (n.IsScalar()) {
    for (const auto& a : allowed)
      if (a == n.Scalar()) return a;
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  Error(key, "must be one of " + list + ", got " + DescribeNode(n));
  return def;
}

ConfigReader ConfigReader::Child(const std::string& key) {
  ConfigReader child(Lookup(key), file_, KeyPath(key), errors_);
  child.key_line_ = Has(key) ? LineOf(key) : 0;
  return child;
}

YAML::Node ConfigReader::Raw(const std::string& key) { return Lookup(key); }

void ConfigReader::Finish() {
  if (!node_.IsMap()) return;
  std::string message = "unknown key";
  if (!asked_.empty()) {
    message += asked_.size() == 1 ? " (expected " : " (expected one of ";
    for (size_t i = 0; i < asked_.size(); ++i)
      message += (i ? ", " : "") + asked_[i];
    message += ")";
  }
  for (const auto& kv : node_) {
    const std::string k = kv.first.Scalar();
    if (!known_.count(k))
      errors_->Add(file_, NodeLine(kv.first), KeyPath(k), message);
  }
}

}  // namespace exporterd
