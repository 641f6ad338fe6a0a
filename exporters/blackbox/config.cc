#include "config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>

#include "exporterd/go_compat.h"

namespace exporterd::blackbox {

// ---------------------------------------------------------------------------
// Regexp

namespace {

// Rewrites what Go accepts and RE2 (2022) does not: `(?<name>` becomes
// `(?P<name>`. Refuses `\C`, which RE2 accepts and Go does not.
bool GoToRe2(const std::string& in, std::string* out, std::string* error) {
  out->clear();
  out->reserve(in.size() + 8);
  bool in_class = false;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\\' && i + 1 < in.size()) {
      if (in[i + 1] == 'C') {
        *error = "invalid escape sequence: `\\C`";
        return false;
      }
      out->push_back(c);
      out->push_back(in[++i]);
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out->push_back(c);
      continue;
    }
    if (c == '[') {
      in_class = true;
      out->push_back(c);
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < in.size() && in[i + 1] == '^') out->push_back(in[++i]);
      if (i + 1 < in.size() && in[i + 1] == ']') out->push_back(in[++i]);
      continue;
    }
    if (c == '(' && in.compare(i, 3, "(?<") == 0 && i + 3 < in.size() &&
        in[i + 3] != '=' && in[i + 3] != '!') {
      out->append("(?P<");
      i += 2;
      continue;
    }
    out->push_back(c);
  }
  return true;
}

}  // namespace

Regexp Regexp::Compile(std::string pattern) {
  Regexp r;
  r.set_ = true;
  r.pattern_ = std::move(pattern);
  std::string translated;
  if (!GoToRe2(r.pattern_, &translated, &r.error_)) return r;
  RE2::Options options;
  options.set_log_errors(false);
  options.set_encoding(RE2::Options::EncodingUTF8);
  auto re = std::make_shared<const RE2>(translated, options);
  if (!re->ok()) {
    r.error_ = re->error();
    return r;
  }
  r.re_ = std::move(re);
  return r;
}

std::string Regexp::Expand(
    std::string_view tmpl,
    const std::vector<std::optional<std::string_view>>& groups) const {
  static const std::map<std::string, int> kNoNames;
  return GoExpand(tmpl, groups,
                  re_ != nullptr ? re_->NamedCapturingGroups() : kNoNames);
}

// ---------------------------------------------------------------------------
// Scalars as Go's yaml.v3 decodes them

namespace {

bool IsBinaryTag(const YAML::Node& n) {
  return n.Tag() == "tag:yaml.org,2002:binary" || n.Tag() == "!!binary";
}

// A string field: any scalar (a !!binary one decoded).
bool ToString(const YAML::Node& n, std::string* out, std::string* err) {
  if (!n.IsScalar()) {
    *err = "expected a string, got " + DescribeNode(n);
    return false;
  }
  if (IsBinaryTag(n)) {
    // (Not yaml-cpp's decoder: it reads out of bounds on bytes >= 0x80.)
    if (!GoBase64Decode(n.Scalar(), out)) {
      *err = "!!binary value contains invalid base64 data";
      return false;
    }
    return true;
  }
  *out = n.Scalar();
  return true;
}

bool ToBool(const YAML::Node& n, bool* out, std::string* err) {
  static const std::set<std::string> kTrue = {"y",   "Y",  "yes", "Yes",
                                              "YES", "on", "On",  "ON"};
  static const std::set<std::string> kFalse = {"n",  "N",   "no",  "No",
                                               "NO", "off", "Off", "OFF"};
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (!IsQuoted(n)) {
      if (s == "true" || s == "True" || s == "TRUE") return *out = true, true;
      if (s == "false" || s == "False" || s == "FALSE")
        return *out = false, true;
    }
    if (kTrue.count(s)) return *out = true, true;
    if (kFalse.count(s)) return *out = false, true;
  }
  *err = "expected true or false, got " + DescribeNode(n);
  return false;
}

// An int field: a plain YAML int (0x, 0o, 0b, 0-octal, '_' separators) or a
// float in range (truncated), as yaml.v3 does.
bool ToInt(const YAML::Node& n, int64_t* out, std::string* err) {
  *err = "expected an integer, got " + DescribeNode(n);
  if (!n.IsScalar() || IsQuoted(n) || IsBinaryTag(n)) return false;
  auto v = GoYamlInt(n.Scalar());
  if (v) *out = *v;
  return v.has_value();
}

}  // namespace

// ---------------------------------------------------------------------------
// Go-compatible parsers

std::optional<int64_t> ParseBase2Bytes(std::string_view s) {
  // Units: B, and K/M/G/T/P/E followed by B or iB; all powers of 1024.
  auto unit_value = [](std::string_view u) -> double {
    if (u == "B") return 1;
    static const char kPrefixes[] = "KMGTPE";
    for (int p = 0; p < 6; ++p) {
      if (u.size() >= 2 && u[0] == kPrefixes[p] &&
          (u.substr(1) == "B" || u.substr(1) == "iB"))
        return std::ldexp(1.0, 10 * (p + 1));
    }
    return 0;
  };
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  double f = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(s[0]))) return std::nullopt;
    int64_t x = 0;
    size_t i = 0;
    while (i < s.size() && is_digit(s[i])) {
      if (x >= (std::numeric_limits<int64_t>::max() - 10) / 10)
        return std::nullopt;
      x = x * 10 + (s[i] - '0');
      ++i;
    }
    double g = static_cast<double>(x);
    bool pre = i > 0;
    s.remove_prefix(i);
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      int64_t y = 0;
      double scale = 1;
      size_t j = 0;
      while (j < s.size() && is_digit(s[j])) {
        if (y >= (std::numeric_limits<int64_t>::max() - 10) / 10)
          return std::nullopt;
        y = y * 10 + (s[j] - '0');
        scale *= 10;
        ++j;
      }
      g += static_cast<double>(y) / scale;
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) return std::nullopt;
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !is_digit(s[u])) ++u;
    double unit = unit_value(s.substr(0, u));
    if (unit == 0) return std::nullopt;
    s.remove_prefix(u);
    f += g * unit;
  }
  if (neg) f = -f;
  if (f < -9223372036854775808.0 || f > 9223372036854775808.0)
    return std::nullopt;
  if (f >= 9223372036854775808.0) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(f);
}

namespace {

// strconv.ParseFloat(s, 64): decimal or hex (with a p exponent), inf,
// infinity, nan in any case, an optional sign; '_' only after a base
// prefix. Overflow is an error; underflow is not.
std::optional<double> GoParseFloat(std::string_view s, std::string* error) {
  auto fail = [&](const char* why) {
    *error = "strconv.ParseFloat: parsing \"" + std::string(s) + "\": " + why;
    return std::nullopt;
  };
  if (s.empty()) return fail("invalid syntax");
  std::string body(s);
  size_t i = (body[0] == '+' || body[0] == '-') ? 1 : 0;
  std::string rest = body.substr(i);
  std::string lower = rest;
  for (char& c : lower) c = static_cast<char>(std::tolower(c));
  if (lower == "inf" || lower == "infinity") {
    return body[0] == '-' ? -std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::infinity();
  }
  if (lower == "nan") {
    if (i != 0) return fail("invalid syntax");
    return std::numeric_limits<double>::quiet_NaN();
  }
  bool hex = lower.size() > 1 && lower[0] == '0' && lower[1] == 'x';
  std::string clean = body.substr(0, i);
  for (size_t k = 0; k < rest.size(); ++k) {
    char c = rest[k];
    if (c == '_') {
      if (!hex) return fail("invalid syntax");
      continue;
    }
    bool allowed = std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
                   c == 'e' || c == 'E' || c == '+' || c == '-' ||
                   (hex && (std::isxdigit(static_cast<unsigned char>(c)) ||
                            c == 'x' || c == 'X' || c == 'p' || c == 'P'));
    if (!allowed) return fail("invalid syntax");
    clean.push_back(c);
  }
  if (hex && lower.find('p') == std::string::npos)
    return fail("invalid syntax");
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(clean.c_str(), &end);
  if (end == clean.c_str() || *end != '\0') return fail("invalid syntax");
  if (errno == ERANGE && std::isinf(v)) return fail("value out of range");
  return v;
}

}  // namespace

std::optional<double> ProbeTimeoutSeconds(
    std::chrono::nanoseconds module_timeout, std::string_view header,
    double timeout_offset, std::string* error) {
  double t = 0;
  if (!header.empty()) {
    std::optional<double> parsed = GoParseFloat(header, error);
    if (!parsed) return std::nullopt;
    t = *parsed;
  }
  if (t == 0) t = 120;
  const double max = t - timeout_offset;
  const double module_seconds =
      static_cast<double>(module_timeout.count()) / 1e9;
  if ((module_seconds < max && module_seconds > 0) || max < 0)
    return module_seconds;
  return max;
}

std::chrono::nanoseconds TimeoutDuration(double seconds) {
  if (!(seconds > 0)) return std::chrono::nanoseconds(0);
  const double ns = seconds * 1e9;
  if (ns >= 9.2233720368547758e18)
    return std::chrono::nanoseconds(std::numeric_limits<int64_t>::max());
  return std::chrono::nanoseconds(static_cast<int64_t>(ns));
}

bool CompressionAcceptable(std::string_view compression,
                           std::string_view accept_encoding) {
  if (compression.empty() || accept_encoding.empty()) return true;
  auto trim = [](std::string_view v) {
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front())))
      v.remove_prefix(1);
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back())))
      v.remove_suffix(1);
    return v;
  };
  struct Entry {
    std::string_view encoding;
    double quality;
  };
  std::vector<Entry> entries;
  size_t pos = 0;
  while (true) {
    size_t comma = accept_encoding.find(',', pos);
    std::string_view part = accept_encoding.substr(
        pos,
        comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    size_t semi = part.rfind(';');
    if (semi == std::string_view::npos) {
      entries.push_back({trim(part), 1.0});
    } else {
      std::string_view q = trim(part.substr(semi + 1));
      if (q.substr(0, 2) == "q=") q.remove_prefix(2);
      std::string ignored;
      std::optional<double> v = GoParseFloat(q, &ignored);
      double quality = v ? std::round(*v * 1000) / 1000 : 0;
      entries.push_back({trim(part.substr(0, semi)), quality});
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  std::stable_sort(
      entries.begin(), entries.end(),
      [](const Entry& a, const Entry& b) { return a.quality > b.quality; });
  for (const Entry& e : entries) {
    if (e.encoding == compression || e.encoding == "*") return e.quality > 0;
  }
  return false;
}

namespace {
bool IsTokenChar(unsigned char c) {
  static const char kSeparators[] = "()<>@,;:\\\"/[]?={} \t";
  return c > 0x20 && c < 0x7f && std::strchr(kSeparators, c) == nullptr;
}
}  // namespace

std::string CanonicalHeaderKey(std::string_view key) {
  for (unsigned char c : key)
    if (!IsTokenChar(c)) return std::string(key);
  std::string out(key);
  bool upper = true;
  for (char& c : out) {
    if (upper && c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
    else if (!upper && c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    upper = c == '-';
  }
  return out;
}

bool ValidHttpMethod(std::string_view method) {
  if (method.empty()) return false;
  for (unsigned char c : method)
    if (!IsTokenChar(c)) return false;
  return true;
}

std::optional<uint16_t> DnsTypeFromName(std::string_view name) {
  static const std::map<std::string_view, uint16_t> kTypes = {
      {"None", 0},        {"A", 1},        {"NS", 2},
      {"MD", 3},          {"MF", 4},       {"CNAME", 5},
      {"SOA", 6},         {"MB", 7},       {"MG", 8},
      {"MR", 9},          {"NULL", 10},    {"PTR", 12},
      {"HINFO", 13},      {"MINFO", 14},   {"MX", 15},
      {"TXT", 16},        {"RP", 17},      {"AFSDB", 18},
      {"X25", 19},        {"ISDN", 20},    {"RT", 21},
      {"NSAP-PTR", 23},   {"SIG", 24},     {"KEY", 25},
      {"PX", 26},         {"GPOS", 27},    {"AAAA", 28},
      {"LOC", 29},        {"NXT", 30},     {"EID", 31},
      {"NIMLOC", 32},     {"SRV", 33},     {"ATMA", 34},
      {"NAPTR", 35},      {"KX", 36},      {"CERT", 37},
      {"DNAME", 39},      {"OPT", 41},     {"APL", 42},
      {"DS", 43},         {"SSHFP", 44},   {"IPSECKEY", 45},
      {"RRSIG", 46},      {"NSEC", 47},    {"DNSKEY", 48},
      {"DHCID", 49},      {"NSEC3", 50},   {"NSEC3PARAM", 51},
      {"TLSA", 52},       {"SMIMEA", 53},  {"HIP", 55},
      {"NINFO", 56},      {"RKEY", 57},    {"TALINK", 58},
      {"CDS", 59},        {"CDNSKEY", 60}, {"OPENPGPKEY", 61},
      {"CSYNC", 62},      {"ZONEMD", 63},  {"SVCB", 64},
      {"HTTPS", 65},      {"SPF", 99},     {"UINFO", 100},
      {"UID", 101},       {"GID", 102},    {"UNSPEC", 103},
      {"NID", 104},       {"L32", 105},    {"L64", 106},
      {"LP", 107},        {"EUI48", 108},  {"EUI64", 109},
      {"NXNAME", 128},    {"TKEY", 249},   {"TSIG", 250},
      {"IXFR", 251},      {"AXFR", 252},   {"MAILB", 253},
      {"MAILA", 254},     {"ANY", 255},    {"URI", 256},
      {"CAA", 257},       {"AVC", 258},    {"AMTRELAY", 260},
      {"RESINFO", 261},   {"TA", 32768},   {"DLV", 32769},
      {"Reserved", 65535}};
  auto it = kTypes.find(name);
  if (it == kTypes.end()) return std::nullopt;
  return it->second;
}

std::optional<uint16_t> DnsClassFromName(std::string_view name) {
  static const std::map<std::string_view, uint16_t> kClasses = {
      {"IN", 1}, {"CS", 2}, {"CH", 3}, {"HS", 4}, {"NONE", 254}, {"ANY", 255}};
  auto it = kClasses.find(name);
  if (it == kClasses.end()) return std::nullopt;
  return it->second;
}

std::optional<int> DnsRcodeFromName(std::string_view name) {
  static const std::map<std::string_view, int> kRcodes = {
      {"NOERROR", 0},    {"FORMERR", 1},  {"SERVFAIL", 2}, {"NXDOMAIN", 3},
      {"NOTIMP", 4},     {"NOTIMPL", 4},  {"REFUSED", 5},  {"YXDOMAIN", 6},
      {"YXRRSET", 7},    {"NXRRSET", 8},  {"NOTAUTH", 9},  {"NOTZONE", 10},
      {"DSOTYPENI", 11}, {"BADSIG", 16},  {"BADKEY", 17},  {"BADTIME", 18},
      {"BADMODE", 19},   {"BADNAME", 20}, {"BADALG", 21},  {"BADTRUNC", 22},
      {"BADCOOKIE", 23}};
  auto it = kRcodes.find(name);
  if (it == kRcodes.end()) return std::nullopt;
  return it->second;
}

// ---------------------------------------------------------------------------
// Reading the file

namespace {

struct Ctx {
  std::string file;
  ConfigErrors* errors = nullptr;
  std::vector<ConfigError>* warnings = nullptr;
  // Probe-time failures are warned about only in the section the module's
  // prober uses.
  bool selected = true;
};

// One YAML mapping: ConfigReader does known, unknown and duplicate keys;
// the getters convert values as Go's yaml.v3 does.
class Map {
 public:
  Map(const YAML::Node& node, std::string path, Ctx* ctx)
      : node_(node),
        path_(std::move(path)),
        ctx_(ctx),
        reader_(node, ctx->file, path_, ctx->errors) {}

  // The value of `key` (undefined if absent); marks the key known.
  YAML::Node Get(const std::string& key) { return reader_.Raw(key); }
  std::string Path(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  const std::string& path() const { return path_; }
  int Line(const std::string& key) const {
    if (node_.IsMap())
      for (const auto& kv : node_)
        if (kv.first.Scalar() == key) return NodeLine(kv.first);
    return NodeLine(node_);
  }
  bool Has(const std::string& key) const {
    if (!node_.IsMap()) return false;
    for (const auto& kv : node_)
      if (kv.first.Scalar() == key) return !kv.second.IsNull();
    return false;
  }
  void Error(const std::string& key, const std::string& message) {
    reader_.Error(key, message);
  }
  void ErrorAt(const YAML::Node& at, const std::string& key,
               const std::string& message) {
    ctx_->errors->Add(ctx_->file, NodeLine(at), key, message);
  }
  // A warning about a probe-time failure (only for the prober in use).
  void ProbeWarn(const std::string& key, const std::string& message) {
    if (ctx_->selected) Warn(key, message);
  }
  void Warn(const std::string& key, const std::string& message) {
    ctx_->warnings->push_back({ctx_->file, Line(key), Path(key), message});
  }
  void Finish() { reader_.Finish(); }
  Ctx* ctx() const { return ctx_; }
  Map Child(const std::string& key) { return Map(Get(key), Path(key), ctx_); }

  // A Go duration, as yaml.v3 reads one: from a string only (`5` is
  // refused). `def` when absent.
  std::chrono::nanoseconds Duration(const std::string& key,
                                    std::chrono::nanoseconds def) {
    YAML::Node n = Get(key);
    if (IsAbsent(n)) return def;
    std::string text, err;
    std::optional<std::chrono::nanoseconds> d;
    if (n.IsScalar() && ToString(n, &text, &err)) {
      bool is_int = !IsQuoted(n) && [&] {
        int64_t ignored;
        return ToInt(n, &ignored, &err);
      }();
      if (!is_int) d = GoParseDuration(text);
    }
    if (d) return *d;
    Error(key,
          "expected a duration like 500ms, 5s, 1m30s or 1h (units ns, us, "
          "ms, s, m, h), got " +
              DescribeNode(n));
    return def;
  }
  // An integer in [lo, hi]; `def` when absent or out of range (an error).
  int IntIn(const std::string& key, int def, int64_t lo, int64_t hi) {
    int64_t v = Int(key, def);
    if (v < lo || v > hi) {
      Error(key, "\"" + key + "\" must be between " + std::to_string(lo) +
                     " and " + std::to_string(hi) + ", got " +
                     std::to_string(v));
      return def;
    }
    return static_cast<int>(v);
  }

  std::string String(const std::string& key, std::string def = "") {
    YAML::Node n = Get(key);
    if (IsAbsent(n)) return def;
    std::string out, err;
    if (!ToString(n, &out, &err)) {
      Error(key, err);
      return def;
    }
    return out;
  }
  Secret SecretString(const std::string& key) { return Secret{String(key)}; }

  bool Bool(const std::string& key, bool def) {
    YAML::Node n = Get(key);
    if (IsAbsent(n)) return def;
    bool out = def;
    std::string err;
    if (!ToBool(n, &out, &err)) {
      Error(key, err);
      return def;
    }
    return out;
  }

  int64_t Int(const std::string& key, int64_t def) {
    YAML::Node n = Get(key);
    if (IsAbsent(n)) return def;
    int64_t out = def;
    std::string err;
    if (!ToInt(n, &out, &err)) {
      Error(key, err);
      return def;
    }
    return out;
  }

  // A list of scalars; `def` when absent or null; [] gives an empty list.
  std::vector<std::string> StringList(const std::string& key,
                                      std::vector<std::string> def = {}) {
    YAML::Node n = Get(key);
    if (IsAbsent(n)) return def;
    std::vector<std::string> out;
    if (!ListOf(n, Path(key), &out)) return def;
    return out;
  }

  // `n` as a list of strings; errors name `path`.
  bool ListOf(const YAML::Node& n, const std::string& path,
              std::vector<std::string>* out) {
    if (!n.IsSequence()) {
      ctx_->errors->Add(ctx_->file, NodeLine(n), path,
                        "expected a list of strings, got " + DescribeNode(n));
      return false;
    }
    for (size_t i = 0; i < n.size(); ++i) {
      std::string s, err;
      if (!IsAbsent(n[i]) && !ToString(n[i], &s, &err)) {
        ErrorAt(n[i], path + "[" + std::to_string(i) + "]", err);
        continue;
      }
      out->push_back(std::move(s));
    }
    return true;
  }

  std::vector<int> IntList(const std::string& key) {
    YAML::Node n = Get(key);
    if (IsAbsent(n)) return {};
    if (!n.IsSequence()) {
      Error(key, "expected a list of integers, got " + DescribeNode(n));
      return {};
    }
    std::vector<int> out;
    for (size_t i = 0; i < n.size(); ++i) {
      int64_t v = 0;
      std::string err;
      if (IsAbsent(n[i])) {
        out.push_back(0);
      } else if (!ToInt(n[i], &v, &err) || v < INT32_MIN || v > INT32_MAX) {
        ErrorAt(n[i], ItemPath(key, i),
                err.empty() ? "out of range, got " + DescribeNode(n[i]) : err);
      } else {
        out.push_back(static_cast<int>(v));
      }
    }
    return out;
  }

  // A mapping of names to strings, in file order.
  std::vector<std::pair<std::string, std::string>> StringMap(
      const std::string& key) {
    std::vector<std::pair<std::string, std::string>> out;
    YAML::Node n = Get(key);
    if (IsAbsent(n)) return out;
    // Reports a non-mapping and duplicate names.
    ConfigReader dup(n, ctx_->file, Path(key), ctx_->errors);
    if (!n.IsMap()) return out;
    for (const auto& kv : n) {
      std::string v, err;
      if (!IsAbsent(kv.second) && !ToString(kv.second, &v, &err)) {
        ErrorAt(kv.first, Path(key) + "." + kv.first.Scalar(), err);
        continue;
      }
      out.emplace_back(kv.first.Scalar(), std::move(v));
    }
    return out;
  }

  // A mapping of names to lists of strings, in file order.
  std::vector<std::pair<std::string, std::vector<std::string>>> ListMap(
      const std::string& key) {
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    YAML::Node n = Get(key);
    if (IsAbsent(n)) return out;
    ConfigReader dup(n, ctx_->file, Path(key), ctx_->errors);
    if (!n.IsMap()) return out;
    for (const auto& kv : n) {
      const std::string name = kv.first.Scalar();
      std::vector<std::string> values;
      if (!IsAbsent(kv.second))
        ListOf(kv.second, Path(key) + "." + name, &values);
      out.emplace_back(name, std::move(values));
    }
    return out;
  }

  // One regexp, compiled at load: a bad one is an error here.
  Regexp OneRegexp(const std::string& key) {
    YAML::Node n = Get(key);
    if (IsAbsent(n)) return Regexp();
    std::string s, err;
    if (!ToString(n, &s, &err)) {
      Error(key, err);
      return Regexp();
    }
    Regexp re = Regexp::Compile(s);
    if (!re.ok()) {
      Error(key, CompileError(re));
      return Regexp();
    }
    return re;
  }

  // A list of regexps. `deferred`: a bad one loads (not ok()) with a
  // warning, for the prober to fail on as upstream does at probe time.
  std::vector<Regexp> RegexpList(const std::string& key, bool deferred) {
    std::vector<Regexp> out;
    YAML::Node n = Get(key);
    if (IsAbsent(n)) return out;
    if (!n.IsSequence()) {
      Error(key,
            "expected a list of regular expressions, got " + DescribeNode(n));
      return out;
    }
    for (size_t i = 0; i < n.size(); ++i) {
      std::string s, err;
      if (!IsAbsent(n[i]) && !ToString(n[i], &s, &err)) {
        ErrorAt(n[i], ItemPath(key, i), err);
        continue;
      }
      Regexp re = Regexp::Compile(s);
      if (!re.ok()) {
        if (!deferred) {
          ErrorAt(n[i], ItemPath(key, i), CompileError(re));
          continue;
        }
        if (ctx_->selected)
          ctx_->warnings->push_back(
              {ctx_->file, NodeLine(n[i]), ItemPath(key, i),
               CompileError(re) + "; every probe that uses it fails"});
      }
      out.push_back(std::move(re));
    }
    return out;
  }

  std::string ItemPath(const std::string& key, size_t i) const {
    return Path(key) + "[" + std::to_string(i) + "]";
  }

  static std::string CompileError(const Regexp& re) {
    return "could not compile regular expression \"" + re.pattern() +
           "\": " + re.error();
  }

 private:
  YAML::Node node_;
  std::string path_;
  Ctx* ctx_;
  ConfigReader reader_;
};

// `key` of the keys given that is set last in this list (for "at most one
// of" errors), or the first one.
std::string Blame(const std::vector<std::pair<std::string, bool>>& keys) {
  std::string out = keys.front().first;
  for (const auto& [k, set] : keys)
    if (set) out = k;
  return out;
}

// The key node of `key` in mapping `map` (for its line), else `map`.
YAML::Node KeyNode(const YAML::Node& map, const std::string& key) {
  if (map.IsMap())
    for (const auto& kv : map)
      if (kv.first.Scalar() == key) return kv.first;
  return map;
}

int CountSet(std::initializer_list<bool> v) {
  return static_cast<int>(std::count(v.begin(), v.end(), true));
}

bool ValidIp(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

void ReadIpProtocol(Map& m, IpProtocol* preferred, bool* fallback) {
  std::string p = m.String("preferred_ip_protocol");
  *preferred = (p.empty() || p == "ip6") ? IpProtocol::kIp6 : IpProtocol::kIp4;
  if (!p.empty() && p != "ip4" && p != "ip6")
    m.ProbeWarn("preferred_ip_protocol",
                "\"" + p +
                    "\" is neither ip4 nor ip6; taken as ip4, as "
                    "blackbox_exporter does");
  *fallback = m.Bool("ip_protocol_fallback", *fallback);
}

std::string ReadSourceIp(Map& m) {
  std::string s = m.String("source_ip_address");
  if (!s.empty() && !ValidIp(s))
    m.ProbeWarn("source_ip_address",
                "\"" + s + "\" is not an IP address; every probe fails");
  return s;
}

TlsVersion ReadTlsVersion(Map& m, const std::string& key) {
  std::string v = m.String(key);
  if (v.empty() && !m.Has(key)) return TlsVersion::kUnset;
  if (v == "TLS10") return TlsVersion::kTls10;
  if (v == "TLS11") return TlsVersion::kTls11;
  if (v == "TLS12") return TlsVersion::kTls12;
  if (v == "TLS13") return TlsVersion::kTls13;
  m.Error(key, "unknown TLS version: " + v +
                   " (one of TLS10, TLS11, TLS12, "
                   "TLS13)");
  return TlsVersion::kUnset;
}

// config.TLSConfig, validated as its UnmarshalYAML does.
TlsConfig ReadTls(Map& parent, const std::string& key) {
  TlsConfig t;
  if (IsAbsent(parent.Get(key))) return t;
  Map m = parent.Child(key);
  t.ca = m.String("ca");
  t.cert = m.String("cert");
  t.key = m.SecretString("key");
  t.ca_file = m.String("ca_file");
  t.cert_file = m.String("cert_file");
  t.key_file = m.String("key_file");
  t.ca_ref = m.String("ca_ref");
  t.cert_ref = m.String("cert_ref");
  t.key_ref = m.String("key_ref");
  t.server_name = m.String("server_name");
  t.insecure_skip_verify = m.Bool("insecure_skip_verify", false);
  t.min_version = ReadTlsVersion(m, "min_version");
  t.max_version = ReadTlsVersion(m, "max_version");
  m.Finish();
  std::vector<std::pair<std::string, bool>> ca = {
      {"ca", !t.ca.empty()},
      {"ca_file", !t.ca_file.empty()},
      {"ca_ref", !t.ca_ref.empty()}};
  std::vector<std::pair<std::string, bool>> cert = {
      {"cert", !t.cert.empty()},
      {"cert_file", !t.cert_file.empty()},
      {"cert_ref", !t.cert_ref.empty()}};
  std::vector<std::pair<std::string, bool>> k = {
      {"key", !t.key.empty()},
      {"key_file", !t.key_file.empty()},
      {"key_ref", !t.key_ref.empty()}};
  auto count = [](const auto& v) {
    return std::count_if(v.begin(), v.end(), [](auto& p) { return p.second; });
  };
  if (count(ca) > 1)
    m.Error(Blame(ca),
            "at most one of ca, ca_file & ca_ref must be configured");
  if (count(cert) > 1)
    m.Error(Blame(cert),
            "at most one of cert, cert_file & cert_ref must be configured");
  if (count(k) > 1)
    m.Error(Blame(k), "at most one of key and key_file must be configured");
  if (count(cert) > 0 && count(k) == 0)
    m.Error("key",
            "exactly one of key or key_file must be configured when a client "
            "certificate is configured");
  else if (count(k) > 0 && count(cert) == 0)
    m.Error("cert",
            "exactly one of cert or cert_file must be configured when a client "
            "key is configured");
  return t;
}

// A subset of Go's url.Parse errors: control bytes, a missing scheme, bad
// %-escapes, a non-numeric port.
std::string UrlError(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f)
      return "net/url: invalid control character in URL";
  if (!s.empty() && s[0] == ':') return "missing protocol scheme";
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    if (i + 2 >= s.size() ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
      return "invalid URL escape \"" + s.substr(i, 3) + "\"";
  }
  size_t auth = s.find("://");
  if (auth != std::string::npos) {
    size_t start = auth + 3;
    size_t end = s.find_first_of("/?#", start);
    std::string host =
        s.substr(start, end == std::string::npos ? end : end - start);
    size_t at = host.rfind('@');
    if (at != std::string::npos) host = host.substr(at + 1);
    size_t colon = host.rfind(':');
    size_t bracket = host.rfind(']');
    if (colon != std::string::npos &&
        (bracket == std::string::npos || colon > bracket)) {
      std::string port = host.substr(colon + 1);
      for (unsigned char c : port)
        if (!std::isdigit(c))
          return "invalid port \":" + port + "\" after host";
    }
  }
  return "";
}

// config.ProxyConfig (inline), validated as its Validate does.
void ReadProxy(Map& m, ProxyConfig* p) {
  const bool url_set = m.Has("proxy_url");
  p->proxy_url = m.String("proxy_url");
  if (!p->proxy_url.empty()) {
    std::string why = UrlError(p->proxy_url);
    if (!why.empty())
      m.Error("proxy_url", "parse \"" + p->proxy_url + "\": " + why);
  }
  p->no_proxy = m.String("no_proxy");
  p->proxy_from_environment = m.Bool("proxy_from_environment", false);
  for (auto& [name, values] : m.ListMap("proxy_connect_header")) {
    std::vector<Secret> secrets;
    for (auto& v : values) secrets.push_back(Secret{std::move(v)});
    p->proxy_connect_header.emplace_back(name, std::move(secrets));
  }
  if (!p->proxy_connect_header.empty() && !p->proxy_from_environment &&
      p->proxy_url.empty())
    m.Error("proxy_connect_header",
            "if proxy_connect_header is configured, proxy_url or "
            "proxy_from_environment must also be configured");
  if (p->proxy_from_environment && !p->proxy_url.empty())
    m.Error("proxy_url",
            "if proxy_from_environment is configured, proxy_url must not be "
            "configured");
  if (p->proxy_from_environment && !p->no_proxy.empty())
    m.Error("no_proxy",
            "if proxy_from_environment is configured, no_proxy must not be "
            "configured");
  if (!url_set && !p->no_proxy.empty())
    m.Error("no_proxy",
            "if no_proxy is configured, proxy_url must also be configured");
}

// `http_headers` (and the websocket `headers`). `scalar_ok`: a plain string
// is read as one value (upstream 0.28 refuses it; its example.yml has it).
Headers ReadHeaders(Map& parent, const std::string& key, bool scalar_ok) {
  Headers out;
  YAML::Node n = parent.Get(key);
  if (IsAbsent(n)) return out;
  ConfigReader dup(n, parent.ctx()->file, parent.Path(key),
                   parent.ctx()->errors);
  if (!n.IsMap()) return out;
  for (const auto& kv : n) {
    const std::string name = kv.first.Scalar();
    HeaderValues h;
    if (scalar_ok && kv.second.IsScalar()) {
      std::string v, err;
      ToString(kv.second, &v, &err);
      h.values.push_back(std::move(v));
      parent.Warn(key, "header " + name +
                           ": a plain string is read as `values: [...]` "
                           "(blackbox_exporter 0.28 refuses this form)");
    } else if (!IsAbsent(kv.second)) {
      Map hm(kv.second, parent.Path(key) + "." + name, parent.ctx());
      h.values = hm.StringList("values");
      for (auto& s : hm.StringList("secrets")) h.secrets.push_back(Secret{s});
      h.files = hm.StringList("files");
      hm.Finish();
    }
    out.emplace_back(name, std::move(h));
  }
  return out;
}

void ValidateHeaderNames(Map& m, const std::string& key, const Headers& h) {
  static const std::set<std::string> kReserved = {
      "Authorization",
      "Host",
      "Content-Encoding",
      "Content-Length",
      "Content-Type",
      "User-Agent",
      "Connection",
      "Keep-Alive",
      "Proxy-Authenticate",
      "Proxy-Authorization",
      "Www-Authenticate",
      "Accept-Encoding",
      "X-Prometheus-Remote-Write-Version",
      "X-Prometheus-Remote-Read-Version",
      "X-Prometheus-Scrape-Timeout-Seconds",
      "X-Amz-Date",
      "X-Amz-Security-Token",
      "X-Amz-Content-Sha256"};
  for (const auto& [name, values] : h) {
    std::string canonical = CanonicalHeaderKey(name);
    if (kReserved.count(canonical))
      m.Error(key, "setting header \"" + canonical + "\" is not allowed");
  }
}

OAuth2 ReadOAuth2(Map& parent) {
  OAuth2 o;
  Map m = parent.Child("oauth2");
  o.client_id = m.String("client_id");
  o.client_secret = m.SecretString("client_secret");
  o.client_secret_file = m.String("client_secret_file");
  o.client_secret_ref = m.String("client_secret_ref");
  o.client_certificate_key_id = m.String("client_certificate_key_id");
  o.client_certificate_key = m.SecretString("client_certificate_key");
  o.client_certificate_key_file = m.String("client_certificate_key_file");
  o.client_certificate_key_ref = m.String("client_certificate_key_ref");
  o.grant_type = m.String("grant_type");
  o.signature_algorithm = m.String("signature_algorithm");
  o.iss = m.String("iss");
  o.audience = m.String("audience");
  YAML::Node claims = m.Get("claims");
  if (!IsAbsent(claims)) {
    if (!claims.IsMap())
      m.Error("claims", "expected a mapping, got " + DescribeNode(claims));
    else
      o.claims = YAML::Clone(claims);
  }
  o.scopes = m.StringList("scopes");
  o.token_url = m.String("token_url");
  o.endpoint_params = m.StringMap("endpoint_params");
  o.tls_config = ReadTls(m, "tls_config");
  ReadProxy(m, &o.proxy);
  m.Finish();
  return o;
}

bool HasRefs(const TlsConfig& t) {
  return !t.ca_ref.empty() || !t.cert_ref.empty() || !t.key_ref.empty();
}

bool HasRefs(const HttpClientConfig& c) {
  if (HasRefs(c.tls_config)) return true;
  if (c.basic_auth && (!c.basic_auth->username_ref.empty() ||
                       !c.basic_auth->password_ref.empty()))
    return true;
  if (c.authorization && !c.authorization->credentials_ref.empty()) return true;
  if (c.oauth2 && (!c.oauth2->client_secret_ref.empty() ||
                   !c.oauth2->client_certificate_key_ref.empty() ||
                   HasRefs(c.oauth2->tls_config)))
    return true;
  return false;
}

constexpr char kRefsUnsupported[] =
    "secret references (*_ref) need a secret manager, which neither "
    "exporterd nor blackbox_exporter has (\"cannot use secret ref without "
    "manager\")";

// config.HTTPClientConfig's keys in `m` (inline for the http prober, under
// http_config for websocket), validated as its Validate does.
void ReadHttpClient(Map& m, HttpClientConfig* c) {
  if (!IsAbsent(m.Get("basic_auth"))) {
    Map b = m.Child("basic_auth");
    BasicAuth a;
    a.username = b.String("username");
    a.username_file = b.String("username_file");
    a.username_ref = b.String("username_ref");
    a.password = b.SecretString("password");
    a.password_file = b.String("password_file");
    a.password_ref = b.String("password_ref");
    b.Finish();
    if (CountSet({!a.username.empty(), !a.username_file.empty(),
                  !a.username_ref.empty()}) > 1)
      b.Error(Blame({{"username", !a.username.empty()},
                     {"username_file", !a.username_file.empty()},
                     {"username_ref", !a.username_ref.empty()}}),
              "at most one of basic_auth username, username_file & "
              "username_ref must be configured");
    if (CountSet({!a.password.empty(), !a.password_file.empty(),
                  !a.password_ref.empty()}) > 1)
      b.Error(Blame({{"password", !a.password.empty()},
                     {"password_file", !a.password_file.empty()},
                     {"password_ref", !a.password_ref.empty()}}),
              "at most one of basic_auth password, password_file & "
              "password_ref must be configured");
    c->basic_auth = std::move(a);
  }
  bool authorization_set = false;
  if (!IsAbsent(m.Get("authorization"))) {
    authorization_set = true;
    Map am = m.Child("authorization");
    Authorization a;
    a.type = am.String("type");
    a.credentials = am.SecretString("credentials");
    a.credentials_file = am.String("credentials_file");
    a.credentials_ref = am.String("credentials_ref");
    am.Finish();
    if (CountSet({!a.credentials.empty(), !a.credentials_file.empty(),
                  !a.credentials_ref.empty()}) > 1)
      am.Error(Blame({{"credentials", !a.credentials.empty()},
                      {"credentials_file", !a.credentials_file.empty()},
                      {"credentials_ref", !a.credentials_ref.empty()}}),
               "at most one of authorization credentials & credentials_file "
               "must be configured");
    auto space = [](unsigned char ch) { return std::isspace(ch) != 0; };
    while (!a.type.empty() && space(a.type.back())) a.type.pop_back();
    while (!a.type.empty() && space(a.type.front())) a.type.erase(0, 1);
    if (a.type.empty()) a.type = "Bearer";
    std::string lower = a.type;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
    if (lower == "basic")
      am.Error("type",
               "authorization type cannot be set to \"basic\", use "
               "\"basic_auth\" instead");
    c->authorization = std::move(a);
  }
  if (!IsAbsent(m.Get("oauth2"))) c->oauth2 = ReadOAuth2(m);
  Secret bearer = m.SecretString("bearer_token");
  std::string bearer_file = m.String("bearer_token_file");
  c->tls_config = ReadTls(m, "tls_config");
  c->follow_redirects = m.Bool("follow_redirects", c->follow_redirects);
  c->enable_http2 = m.Bool("enable_http2", c->enable_http2);
  ReadProxy(m, &c->proxy);
  if (!IsAbsent(m.Get("http_headers"))) {
    c->http_headers = ReadHeaders(m, "http_headers", false);
    ValidateHeaderNames(m, "http_headers", *c->http_headers);
  }

  // Validate(), in its order.
  const bool has_bearer = !bearer.empty() || !bearer_file.empty();
  if (!bearer.empty() && !bearer_file.empty())
    m.Error("bearer_token_file",
            "at most one of bearer_token & bearer_token_file must be "
            "configured");
  const std::string bearer_key =
      !bearer_file.empty() ? "bearer_token_file" : "bearer_token";
  if ((c->basic_auth || c->oauth2) && has_bearer)
    m.Error(bearer_key,
            "at most one of basic_auth, oauth2, bearer_token & "
            "bearer_token_file must be configured");
  if (authorization_set) {
    if (has_bearer)
      m.Error(bearer_key,
              "authorization is not compatible with bearer_token & "
              "bearer_token_file");
    if (c->basic_auth || c->oauth2)
      m.Error("authorization",
              "at most one of basic_auth, oauth2 & authorization must be "
              "configured");
  } else if (!bearer.empty()) {
    c->authorization = Authorization{"Bearer", bearer, "", ""};
  } else if (!bearer_file.empty()) {
    c->authorization = Authorization{"Bearer", {}, bearer_file, ""};
  }
  if (c->oauth2) {
    Map om = m.Child("oauth2");
    const OAuth2& o = *c->oauth2;
    if (c->basic_auth)
      m.Error("oauth2",
              "at most one of basic_auth, oauth2 & authorization must be "
              "configured");
    if (o.client_id.empty())
      om.Error("client_id", "oauth2 client_id must be configured");
    if (o.token_url.empty())
      om.Error("token_url", "oauth2 token_url must be configured");
    if (o.grant_type == "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      if (CountSet({!o.client_certificate_key.empty(),
                    !o.client_certificate_key_file.empty(),
                    !o.client_certificate_key_ref.empty()}) > 1)
        om.Error("client_certificate_key",
                 "at most one of oauth2 client_certificate_key, "
                 "client_certificate_key_file & client_certificate_key_ref "
                 "must be configured using "
                 "grant-type=urn:ietf:params:oauth:grant-type:jwt-bearer");
      if (!o.signature_algorithm.empty() && o.signature_algorithm != "RS256" &&
          o.signature_algorithm != "RS384" && o.signature_algorithm != "RS512")
        om.Error("signature_algorithm",
                 "valid signature algorithms are RS256, RS384 and RS512");
    } else if (CountSet({!o.client_secret.empty(),
                         !o.client_secret_file.empty(),
                         !o.client_secret_ref.empty()}) > 1) {
      om.Error("client_secret",
               "at most one of oauth2 client_secret, client_secret_file & "
               "client_secret_ref must be configured using "
               "grant-type=client_credentials");
    }
  }
}

void ReadCel(Map& m, const std::string& key, std::optional<std::string>* out) {
  if (IsAbsent(m.Get(key))) return;
  std::string expr = m.String(key);
  bool blank = std::all_of(expr.begin(), expr.end(), [](unsigned char ch) {
    return std::isspace(ch) != 0;
  });
  if (blank) {
    m.Error(key, "could not compile CEL program: the expression is empty");
    return;
  }
  *out = expr;
}

std::vector<HeaderMatch> ReadHeaderMatches(Map& m, const std::string& key) {
  std::vector<HeaderMatch> out;
  YAML::Node n = m.Get(key);
  if (IsAbsent(n)) return out;
  if (!n.IsSequence()) {
    m.Error(key, "expected a list of {header, regexp, allow_missing}, got " +
                     DescribeNode(n));
    return out;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    Map item(n[i], m.ItemPath(key, i), m.ctx());
    HeaderMatch h;
    h.header = item.String("header");
    h.regexp = item.OneRegexp("regexp");
    h.allow_missing = item.Bool("allow_missing", false);
    item.Finish();
    if (h.header.empty())
      item.Error("header", "header name must be set for HTTP header matchers");
    // A regexp that failed to compile was reported above.
    if (!h.regexp.set() && !item.Has("regexp"))
      item.Error("regexp", "regexp must be set for HTTP header matchers");
    else if (h.regexp.set() && h.regexp.pattern().empty())
      item.Error("regexp", "regexp must be set for HTTP header matchers");
    out.push_back(std::move(h));
  }
  return out;
}

std::vector<QueryResponse> ReadQueryResponses(Map& m) {
  const std::string key = "query_response";
  std::vector<QueryResponse> out;
  YAML::Node n = m.Get(key);
  if (IsAbsent(n)) return out;
  if (!n.IsSequence()) {
    m.Error(key,
            "expected a list of {expect, expect_bytes, labels, send, "
            "starttls}, got " +
                DescribeNode(n));
    return out;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    Map item(n[i], m.ItemPath(key, i), m.ctx());
    QueryResponse q;
    q.expect = item.OneRegexp("expect");
    q.expect_bytes = item.String("expect_bytes");
    YAML::Node labels = item.Get("labels");
    if (!IsAbsent(labels)) {
      if (!labels.IsSequence()) {
        item.Error("labels", "expected a list of {name, value}, got " +
                                 DescribeNode(labels));
      } else {
        for (size_t j = 0; j < labels.size(); ++j) {
          Map lm(labels[j], item.ItemPath("labels", j), m.ctx());
          Label l;
          l.name = lm.String("name");
          l.value = lm.String("value");
          lm.Finish();
          q.labels.push_back(std::move(l));
        }
      }
    }
    q.send = item.String("send");
    q.starttls = item.Bool("starttls", false);
    item.Finish();
    if (q.expect.set() && !q.expect_bytes.empty())
      item.Error("expect_bytes",
                 "expect and expect_bytes are mutually exclusive");
    out.push_back(std::move(q));
  }
  return out;
}

// --- probers ----------------------------------------------------------------

void ParseHttp(Map& m, Module* mod) {
  HttpProbe& h = mod->http;
  h = HttpProbe{};
  h.valid_status_codes = m.IntList("valid_status_codes");
  h.valid_http_versions = m.StringList("valid_http_versions");
  ReadIpProtocol(m, &h.preferred_ip_protocol, &h.ip_protocol_fallback);
  h.skip_resolve_phase_with_proxy =
      m.Bool("skip_resolve_phase_with_proxy", false);
  const bool no_follow_set = !IsAbsent(m.Get("no_follow_redirects"));
  const bool no_follow = m.Bool("no_follow_redirects", false);
  h.fail_if_ssl = m.Bool("fail_if_ssl", false);
  h.fail_if_not_ssl = m.Bool("fail_if_not_ssl", false);
  h.method = m.String("method");
  if (h.method.empty()) h.method = "GET";
  if (!ValidHttpMethod(h.method))
    m.ProbeWarn("method", "\"" + h.method +
                              "\" is not a valid HTTP method; every probe "
                              "fails (net/http: invalid method)");
  h.headers = m.StringMap("headers");
  h.fail_if_body_matches_regexp =
      m.RegexpList("fail_if_body_matches_regexp", false);
  h.fail_if_body_not_matches_regexp =
      m.RegexpList("fail_if_body_not_matches_regexp", false);
  ReadCel(m, "fail_if_body_json_matches_cel", &h.fail_if_body_json_matches_cel);
  ReadCel(m, "fail_if_body_json_not_matches_cel",
          &h.fail_if_body_json_not_matches_cel);
  h.fail_if_header_matches = ReadHeaderMatches(m, "fail_if_header_matches");
  h.fail_if_header_not_matches =
      ReadHeaderMatches(m, "fail_if_header_not_matches");
  h.body = m.String("body");
  h.body_file = m.String("body_file");
  ReadHttpClient(m, &h.http_client_config);
  h.compression = m.String("compression");
  std::string lower = h.compression;
  for (char& c : lower) c = static_cast<char>(std::tolower(c));
  if (lower.empty())
    h.compression_kind = Compression::kNone;
  else if (lower == "identity")
    h.compression_kind = Compression::kIdentity;
  else if (lower == "gzip")
    h.compression_kind = Compression::kGzip;
  else if (lower == "br")
    h.compression_kind = Compression::kBr;
  else if (lower == "deflate")
    h.compression_kind = Compression::kDeflate;
  else {
    h.compression_kind = Compression::kUnsupported;
    m.ProbeWarn("compression", "\"" + h.compression +
                                   "\" is not one of gzip, br, deflate, "
                                   "identity; every probe that gets a "
                                   "response fails");
  }
  YAML::Node limit = m.Get("body_size_limit");
  if (!IsAbsent(limit)) {
    std::optional<int64_t> v =
        limit.IsScalar() ? ParseBase2Bytes(limit.Scalar()) : std::nullopt;
    if (!v) {
      m.Error("body_size_limit",
              "expected a size with a unit like 512B, 64KB, 10MB or 1GiB "
              "(units B, KB/KiB, MB/MiB, GB/GiB, TB/TiB, PB/PiB, EB/EiB, all "
              "powers of 1024), got " +
                  DescribeNode(limit));
    } else {
      h.body_size_limit = *v;
      // Upstream: a negative limit (or the largest) means "no limit" spelled
      // as MaxInt64-1, which http.MaxBytesReader can take.
      if (h.body_size_limit < 0 ||
          h.body_size_limit == std::numeric_limits<int64_t>::max())
        h.body_size_limit = std::numeric_limits<int64_t>::max() - 1;
    }
  }
  h.enable_http3 = m.Bool("enable_http3", false);

  // UnmarshalYAML's checks after HTTPClientConfig.Validate().
  if (no_follow_set) {
    h.http_client_config.follow_redirects = !no_follow;
    m.Warn("no_follow_redirects",
           "no_follow_redirects is deprecated; use follow_redirects");
  }
  if (!h.body.empty() && !h.body_file.empty())
    m.Error("body_file", "setting body and body_file both are not allowed");
  for (const auto& [name, value] : h.headers) {
    if (CanonicalHeaderKey(name) == "Accept-Encoding" &&
        !CompressionAcceptable(h.compression, value))
      m.ErrorAt(KeyNode(m.Get("headers"), name), m.Path("headers") + "." + name,
                "invalid configuration \"" + name + ": " + value +
                    "\", \"compression: " + h.compression +
                    "\": the Accept-Encoding header must accept the "
                    "compression");
  }
  auto has_version = [&](const char* v) {
    return std::find(h.valid_http_versions.begin(), h.valid_http_versions.end(),
                     v) != h.valid_http_versions.end();
  };
  if (!h.enable_http3 && has_version("HTTP/3.0"))
    m.Error("valid_http_versions",
            "HTTP/3 cannot be used as a valid HTTP version when enable_http3 "
            "is false");
  if (h.enable_http3) {
    if (has_version("HTTP/2.0") || has_version("HTTP/1.1"))
      m.Error("valid_http_versions",
              "HTTP/3 and HTTP/2.0/1.1 cannot be used together - only "
              "HTTP/3.0 is allowed when enable_http3 is true");
    if (h.http_client_config.enable_http2)
      m.Error(m.Has("enable_http2") ? "enable_http2" : "enable_http3",
              "when enable_http3 is true, enable_http2 must be set to false");
    m.Warn("enable_http3", "HTTP/3 probes turn http:// targets into https://");
  }
}

std::string HttpUnsupported(const Module& m) {
  std::vector<std::string> why;
  if (m.http.enable_http3)
    why.push_back("HTTP/3: libcurl on this system has no HTTP/3 support");
  if (m.http.fail_if_body_json_matches_cel ||
      m.http.fail_if_body_json_not_matches_cel)
    why.push_back(
        "CEL body checks (fail_if_body_json_*_cel): no CEL library for C++ "
        "is packaged for this system");
  if (HasRefs(m.http.http_client_config)) why.push_back(kRefsUnsupported);
  std::string out;
  for (const auto& w : why) out += (out.empty() ? "" : "; ") + w;
  return out;
}

void ParseTcp(Map& m, Module* mod) {
  TcpProbe& t = mod->tcp;
  t = TcpProbe{};
  ReadIpProtocol(m, &t.preferred_ip_protocol, &t.ip_protocol_fallback);
  t.source_ip_address = ReadSourceIp(m);
  t.query_response = ReadQueryResponses(m);
  t.tls = m.Bool("tls", false);
  t.tls_config = ReadTls(m, "tls_config");
}

bool UsesTls(bool tls, const std::vector<QueryResponse>& qr) {
  return tls || std::any_of(qr.begin(), qr.end(),
                            [](const QueryResponse& q) { return q.starttls; });
}

std::string TcpUnsupported(const Module& m) {
  return UsesTls(m.tcp.tls, m.tcp.query_response) && HasRefs(m.tcp.tls_config)
             ? kRefsUnsupported
             : "";
}

void ParseIcmp(Map& m, Module* mod) {
  IcmpProbe& i = mod->icmp;
  i = IcmpProbe{};
  ReadIpProtocol(m, &i.preferred_ip_protocol, &i.ip_protocol_fallback);
  i.source_ip_address = ReadSourceIp(m);
  int64_t payload = m.Int("payload_size", 0);
  if (payload < 0 || payload > INT32_MAX)
    m.Error("payload_size",
            "\"payload_size\" must be between 0 and 2147483647, got " +
                std::to_string(payload));
  else
    i.payload_size = static_cast<int>(payload);
  i.dont_fragment = m.Bool("dont_fragment", false);
  int64_t ttl = m.Int("ttl", 64);
  if (ttl < 0)
    m.Error("ttl", "\"ttl\" cannot be negative");
  else if (ttl > 255)
    m.Error("ttl", "\"ttl\" cannot exceed 255");
  else
    i.ttl = static_cast<int>(ttl);
  i.packets = m.IntIn("packets", 1, 1, 1000);
  i.interval = m.Duration("interval", i.interval);
  if (i.interval < std::chrono::milliseconds(10))
    m.Error("interval", "\"interval\" must be at least 10ms");
}

// exporterd's own: see TracerouteProbe.
void ParseTraceroute(Map& m, Module* mod) {
  TracerouteProbe& t = mod->traceroute;
  t = TracerouteProbe{};
  ReadIpProtocol(m, &t.preferred_ip_protocol, &t.ip_protocol_fallback);
  t.source_ip_address = ReadSourceIp(m);
  std::string method = m.String("method", "icmp");
  if (method == "icmp")
    t.method = TraceMethod::kIcmp;
  else if (method == "udp")
    t.method = TraceMethod::kUdp;
  else if (method == "tcp")
    t.method = TraceMethod::kTcp;
  else
    m.Error("method",
            "method \"" + method + "\" is not valid (one of icmp, udp, tcp)");
  t.max_hops = m.IntIn("max_hops", t.max_hops, 1, 255);
  t.first_hop = m.IntIn("first_hop", t.first_hop, 1, 255);
  if (t.first_hop > t.max_hops)
    m.Error("first_hop", "\"first_hop\" (" + std::to_string(t.first_hop) +
                             ") cannot exceed \"max_hops\" (" +
                             std::to_string(t.max_hops) + ")");
  t.probes_per_hop = m.IntIn("probes_per_hop", t.probes_per_hop, 1, 100);
  t.probe_timeout = m.Duration("probe_timeout", t.probe_timeout);
  if (t.probe_timeout <= std::chrono::nanoseconds(0))
    m.Error("probe_timeout", "\"probe_timeout\" must be positive");
  t.interval = m.Duration("interval", t.interval);
  if (t.interval < std::chrono::nanoseconds(0))
    m.Error("interval", "\"interval\" cannot be negative");
  t.port = m.IntIn("port", 0, 0, 65535);
  if (t.port != 0 && t.method == TraceMethod::kIcmp)
    m.Error("port", "\"port\" applies to the udp and tcp methods only");
  t.payload_size = m.IntIn("payload_size", 0, 0, 65000);
}

DnsRrValidator ReadRrValidator(Map& parent, const std::string& key) {
  DnsRrValidator v;
  if (IsAbsent(parent.Get(key))) return v;
  Map m = parent.Child(key);
  v.fail_if_matches_regexp = m.RegexpList("fail_if_matches_regexp", true);
  v.fail_if_all_match_regexp = m.RegexpList("fail_if_all_match_regexp", true);
  v.fail_if_not_matches_regexp =
      m.RegexpList("fail_if_not_matches_regexp", true);
  v.fail_if_none_matches_regexp =
      m.RegexpList("fail_if_none_matches_regexp", true);
  m.Finish();
  return v;
}

void ParseDns(Map& m, Module* mod) {
  DnsProbe& d = mod->dns;
  d = DnsProbe{};
  ReadIpProtocol(m, &d.preferred_ip_protocol, &d.ip_protocol_fallback);
  d.dns_over_tls = m.Bool("dns_over_tls", false);
  d.tls_config = ReadTls(m, "tls_config");
  d.source_ip_address = ReadSourceIp(m);
  d.transport_protocol = m.String("transport_protocol");
  if (d.transport_protocol.empty()) d.transport_protocol = "udp";
  if (d.transport_protocol != "udp" && d.transport_protocol != "tcp")
    m.ProbeWarn("transport_protocol",
                "\"" + d.transport_protocol +
                    "\" is neither udp nor tcp; every probe fails");
  else if (d.dns_over_tls && d.transport_protocol != "tcp")
    m.ProbeWarn("dns_over_tls",
                "DNS over TLS needs transport_protocol: tcp; every probe "
                "fails");
  std::string qclass = m.String("query_class");
  if (!qclass.empty()) {
    if (auto code = DnsClassFromName(qclass)) {
      d.query_class = qclass;
      d.query_class_code = *code;
    } else {
      m.Error("query_class", "query class \"" + qclass +
                                 "\" is not valid (IN, CS, CH, HS, NONE, ANY)");
    }
  }
  d.query_name = m.String("query_name");
  if (d.query_name.empty())
    m.Error("query_name", "query name must be set for DNS module");
  std::string qtype = m.String("query_type");
  if (!qtype.empty()) {
    if (auto code = DnsTypeFromName(qtype)) {
      d.query_type = qtype;
      d.query_type_code = *code;
    } else {
      m.Error("query_type", "query type \"" + qtype +
                                "\" is not valid (a type name such as A, "
                                "AAAA, MX, SOA, TXT, ANY)");
    }
  }
  d.recursion_desired = m.Bool("recursion_desired", true);
  d.valid_rcodes = m.StringList("valid_rcodes", {"NOERROR"});
  for (const auto& rc : d.valid_rcodes)
    if (!DnsRcodeFromName(rc))
      m.ProbeWarn("valid_rcodes", "\"" + rc +
                                      "\" is not an rcode name; every probe "
                                      "that gets a response fails");
  if (m.Has("valid_rcodes") && d.valid_rcodes.empty())
    m.ProbeWarn("valid_rcodes",
                "an empty list accepts no rcode; every probe that gets a "
                "response fails (omit the key for NOERROR)");
  d.validate_answer_rrs = ReadRrValidator(m, "validate_answer_rrs");
  d.validate_authority_rrs = ReadRrValidator(m, "validate_authority_rrs");
  d.validate_additional_rrs = ReadRrValidator(m, "validate_additional_rrs");
}

std::string DnsUnsupported(const Module& m) {
  return m.dns.dns_over_tls && HasRefs(m.dns.tls_config) ? kRefsUnsupported
                                                         : "";
}

void ParseGrpc(Map& m, Module* mod) {
  GrpcProbe& g = mod->grpc;
  g = GrpcProbe{};
  g.service = m.String("service");
  g.tls = m.Bool("tls", false);
  g.tls_config = ReadTls(m, "tls_config");
  ReadIpProtocol(m, &g.preferred_ip_protocol, &g.ip_protocol_fallback);
  g.metadata = m.ListMap("metadata");
}

void GrpcAbsent(Module* mod) {
  // Upstream's DefaultModule has no gRPC defaults: without a `grpc` mapping
  // the fallback is Go's zero value.
  mod->grpc = GrpcProbe{};
  mod->grpc.ip_protocol_fallback = false;
}

std::string GrpcUnsupported(const Module& m) {
  return HasRefs(m.grpc.tls_config) ? kRefsUnsupported : "";
}

void ParseUnix(Map& m, Module* mod) {
  UnixProbe& u = mod->unix_socket;
  u = UnixProbe{};
  u.query_response = ReadQueryResponses(m);
  u.tls = m.Bool("tls", false);
  u.tls_config = ReadTls(m, "tls_config");
}

std::string UnixUnsupported(const Module& m) {
  return UsesTls(m.unix_socket.tls, m.unix_socket.query_response) &&
                 HasRefs(m.unix_socket.tls_config)
             ? kRefsUnsupported
             : "";
}

void ParseWebsocket(Map& m, Module* mod) {
  WebsocketProbe& w = mod->websocket;
  w = WebsocketProbe{};
  w.http_config.follow_redirects = false;
  w.http_config.enable_http2 = false;
  if (!IsAbsent(m.Get("http_config"))) {
    Map hc = m.Child("http_config");
    w.http_config = HttpClientConfig{};  // defaults: follow, http2
    ReadHttpClient(hc, &w.http_config);
    hc.Finish();
  }
  w.headers = ReadHeaders(m, "headers", true);
  w.query_response = ReadQueryResponses(m);
  ReadIpProtocol(m, &w.preferred_ip_protocol, &w.ip_protocol_fallback);
}

void WebsocketAbsent(Module* mod) {
  mod->websocket = WebsocketProbe{};
  mod->websocket.http_config.follow_redirects = false;
  mod->websocket.http_config.enable_http2 = false;
}

std::string WebsocketUnsupported(const Module& m) {
  return HasRefs(m.websocket.http_config) ? kRefsUnsupported : "";
}

// The probers. A new one is a struct in config.h, a Module member and a row
// here; the others are untouched.
struct ProberEntry {
  const char* name;                      // the `prober` value and its key
  void (*parse)(Map& section, Module*);  // the section is present
  void (*absent)(Module*);               // absent or null; nullptr: defaults
  std::string (*unsupported)(const Module&);  // nullptr: always runnable
};

constexpr ProberEntry kProbers[] = {
    {"http", ParseHttp, nullptr, HttpUnsupported},
    {"tcp", ParseTcp, nullptr, TcpUnsupported},
    {"icmp", ParseIcmp, nullptr, nullptr},
    {"dns", ParseDns, nullptr, DnsUnsupported},
    {"grpc", ParseGrpc, GrpcAbsent, GrpcUnsupported},
    {"unix", ParseUnix, nullptr, UnixUnsupported},
    {"websocket", ParseWebsocket, WebsocketAbsent, WebsocketUnsupported},
    {"traceroute", ParseTraceroute, nullptr, nullptr},  // exporterd's own
};

std::string ProberList() {
  std::string out;
  for (const auto& p : kProbers)
    out += (out.empty() ? "" : ", ") + std::string(p.name);
  return out;
}

Module ParseModule(const std::string& name, const YAML::Node& key,
                   const YAML::Node& node, Ctx* ctx) {
  Module mod;
  mod.name = name;
  mod.line = NodeLine(key);
  Map m(node, "modules." + name, ctx);
  mod.prober = m.String("prober");
  mod.timeout = m.Duration("timeout", mod.timeout);
  const ProberEntry* selected = nullptr;
  for (const auto& p : kProbers)
    if (mod.prober == p.name) selected = &p;
  if (selected == nullptr) {
    if (m.Has("prober"))
      m.Error("prober", "prober \"" + mod.prober + "\" is not valid (one of " +
                            ProberList() + ")");
    else
      m.Error("prober", "prober must be set (one of " + ProberList() + ")");
  }
  for (const auto& p : kProbers) {
    ctx->selected = &p == selected;
    YAML::Node section = m.Get(p.name);
    if (IsAbsent(section)) {
      if (p.absent != nullptr) p.absent(&mod);
      continue;
    }
    Map s(section, m.Path(p.name), ctx);
    p.parse(s, &mod);
    s.Finish();
  }
  ctx->selected = true;
  m.Finish();
  if (selected != nullptr && selected->unsupported != nullptr)
    mod.unsupported_reason = selected->unsupported(mod);
  return mod;
}

}  // namespace

std::vector<std::string> ProberNames() {
  std::vector<std::string> out;
  for (const auto& p : kProbers) out.emplace_back(p.name);
  return out;
}

std::optional<Config> ParseConfig(std::string_view yaml,
                                  const std::string& file,
                                  ConfigErrors* errors) {
  const size_t before = errors->list.size();
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    errors->Add(file, e.mark.line >= 0 ? e.mark.line + 1 : 0, "",
                "YAML: " + e.msg);
    return std::nullopt;
  }
  if (!root.IsDefined() || root.IsNull()) {
    errors->Add(file, 0, "",
                "the file is empty (blackbox_exporter refuses it too: EOF)");
    return std::nullopt;
  }
  Config config;
  Ctx ctx{file, errors, &config.warnings, true};
  try {
    Map top(root, "", &ctx);
    YAML::Node modules = top.Get("modules");
    top.Finish();
    if (!IsAbsent(modules)) {
      ConfigReader dup(modules, file, "modules", errors);  // duplicates
      if (modules.IsMap()) {
        for (const auto& kv : modules) {
          std::string name = kv.first.Scalar();
          if (config.modules.count(name)) continue;  // reported above
          config.modules.emplace(name,
                                 ParseModule(name, kv.first, kv.second, &ctx));
        }
      }
    }
  } catch (const YAML::Exception& e) {
    errors->Add(file, e.mark.line >= 0 ? e.mark.line + 1 : 0, "",
                "YAML: " + e.msg);
  }
  if (errors->list.size() != before) return std::nullopt;
  return config;
}

std::optional<Config> LoadConfigFile(const std::string& path,
                                     ConfigErrors* errors) {
  std::string why;
  std::optional<std::string> text =
      ReadConfigFile(path, kMaxBlackboxConfigBytes, &why);
  if (!text) {
    errors->Add(path, 0, "", "cannot read the blackbox configuration: " + why);
    return std::nullopt;
  }
  return ParseConfig(*text, path, errors);
}

}  // namespace exporterd::blackbox
