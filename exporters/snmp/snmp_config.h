// snmp.yml -> typed structs, as snmp_exporter reads it.
//
// Two layouts are accepted, also mixed across files:
//  - current (snmp_exporter >= 0.23): top-level `auths:`, `modules:` and an
//    optional `version:`; a request picks the auth with ?auth=.
//  - legacy (<= 0.22, what Debian 12's 0.21 reads): every top-level key is a
//    module carrying its own `version`, `auth:` and walk parameters.
// Reading is strict: unknown keys and bad values are errors carrying
// file:line:key. Several files merge like upstream's repeated --config.file:
// a module or auth name defined twice is an error, a later top-level
// `version` wins.
//
// Deviations from upstream, all on the strict side: metric and lookup types,
// metric and label names, OIDs and regular expressions (filter values too)
// are checked at load time instead of failing (or panicking) at scrape time;
// negative retries are refused. The legacy layout accepts the same per-metric
// keys as the current one (0.21 would refuse offset, scale, display_hint,
// datetime_pattern and lookup enum_values).
#ifndef EXPORTERD_SNMP_SNMP_CONFIG_H_
#define EXPORTERD_SNMP_SNMP_CONFIG_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporterd/config_reader.h"
#include "pdu.h"

namespace re2 {
class RE2;
}

namespace exporterd::snmp {

// Upstream's defaults (config/config.go, DefaultAuth / DefaultWalkParams).
struct Auth {
  std::string community = "public";
  std::string security_level = "noAuthNoPriv";
  std::string username;
  std::string password;
  std::string auth_protocol = "MD5";
  std::string priv_protocol = "DES";
  std::string priv_password;
  std::string context_name;
  int version = 2;  // 1, 2 (v2c) or 3
  // Where it was defined (for messages).
  std::string file;
  int line = 0;
};

struct WalkParams {
  uint32_t max_repetitions = 25;
  int retries = 3;
  std::chrono::nanoseconds timeout = std::chrono::seconds(5);
  bool use_unconnected_udp_socket = false;
  bool allow_nonincreasing_oids = false;
};

// Metric `type:` values the collector knows.
enum class MetricType : uint8_t {
  kGauge,
  kCounter,
  kFloat,
  kDouble,
  kDateAndTime,
  kParseDateAndTime,
  kNtpTimeStamp,
  kEnumAsInfo,
  kEnumAsStateSet,
  kBits,
  // String types: value 1, the text in a label named like the metric.
  kDisplayString,
  kOctetString,
  kPhysAddress48,
  kInetAddressIPv4,
  kInetAddressIPv6,
  kInetAddress,
  kInetAddressMissingSize,
  kLldpPortId,
  // Accepted by upstream's generator as index types, and so possible here.
  kInteger32,
  kInteger,
};

// Index, lookup and string-rendering types share one name space ("gauge",
// "DisplayString", "InetAddress", ...); kept as text plus the enum above.
std::optional<MetricType> ParseMetricType(std::string_view s);
std::string_view MetricTypeName(MetricType t);
// The types indexOidsAsString can render (upstream's RenderableIndexTypes).
bool IsIndexType(MetricType t);

using EnumValues = std::map<int64_t, std::string>;

struct Index {
  std::string labelname;
  MetricType type = MetricType::kGauge;
  int fixed_size = 0;
  bool implied = false;
  EnumValues enum_values;
};

struct Lookup {
  std::vector<std::string> labels;  // empty: delete `labelname`
  std::string labelname;
  Oid oid;
  std::optional<MetricType> type;  // nullopt: upstream's "" (OctetString)
  std::string display_hint;
  EnumValues enum_values;
};

struct RegexExtract {
  std::string value = "$1";
  std::string regex_text;  // as written; compiled as ^(?:...)$
  // Null when `regex:` is empty/null (upstream keeps a nil Regexp there);
  // such an entry never matches.
  std::shared_ptr<const re2::RE2> regex;
};

struct Metric {
  std::string name;
  Oid oid;
  MetricType type = MetricType::kGauge;
  std::string help;
  std::vector<Index> indexes;
  std::vector<Lookup> lookups;
  // suffix -> ordered alternatives (a Go map: no order between suffixes).
  std::map<std::string, std::vector<RegexExtract>> regex_extracts;
  std::string datetime_pattern;
  EnumValues enum_values;
  double offset = 0;
  double scale = 0;  // 0: not applied
  std::string display_hint;
};

struct DynamicFilter {
  Oid oid;
  std::vector<std::string> targets;  // OIDs as written (matched as text)
  std::vector<std::string> values;   // regexes, unanchored
  std::vector<std::shared_ptr<const re2::RE2>> value_regexes;
};

struct Module {
  std::string name;
  std::vector<std::string> walk;  // as written (leading '.' removed)
  std::vector<std::string> get;
  std::vector<Metric> metrics;
  WalkParams walk_params;
  std::vector<DynamicFilter> filters;
  // Legacy layout only: the module's own version and auth.
  std::optional<Auth> legacy_auth;
  std::string file;
  int line = 0;
};

struct Config {
  std::map<std::string, Auth> auths;
  std::map<std::string, Module> modules;
  int version = 0;  // the current layout's optional top-level `version`
};

struct LoadOptions {
  // --config.expand-environment-variables: ${VAR} / $VAR in auth username,
  // password and priv_password, like Go's os.Expand; an unset variable is
  // an error, a set-but-empty one expands to "".
  bool expand_environment_variables = false;
  // Environment lookup (tests inject one); default: getenv.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  // snmp.yml files are big (upstream's generated one is 63k lines).
  size_t max_file_bytes = size_t{64} << 20;
};

// Parses one file's text and merges it into *config. Returns false (and
// appends to *errors) on any error; *config may then be partly filled.
// Does not expand environment variables (FinishConfig does, once all files
// are merged).
bool ParseConfigText(std::string_view text, const std::string& file,
                     Config* config, ConfigErrors* errors);

// Expands environment variables if asked. Call once after the last
// ParseConfigText.
bool FinishConfig(const LoadOptions& options, Config* config,
                  ConfigErrors* errors);

// Reads `patterns` (each a path or a glob, like --config.file), in order,
// and merges them. A pattern matching nothing adds a warning, not an error.
bool LoadConfigFiles(const std::vector<std::string>& patterns,
                     const LoadOptions& options, Config* config,
                     ConfigErrors* errors, std::vector<std::string>* warnings);

// Go's os.Expand with os.LookupEnv: "$NAME", "${NAME}", "$$" -> the variable
// "$". Sets *missing to the first unset name, if any.
std::string ExpandEnv(
    std::string_view s,
    const std::function<std::optional<std::string>(const std::string&)>& getenv,
    std::string* missing);

// ParseOid and OidToString: pdu.h.

// Prometheus' legacy name rules (client_golang 1.14, what 0.21 checks).
bool IsValidMetricName(std::string_view s);
bool IsValidLabelName(std::string_view s);

}  // namespace exporterd::snmp

#endif  // EXPORTERD_SNMP_SNMP_CONFIG_H_
