// blackbox.yml: the blackbox_exporter 0.28 module configuration, parsed into
// typed structs with upstream's defaults and load-time validation.
//
//   exporterd::ConfigErrors errors;
//   auto config = blackbox::LoadConfigFile("/etc/exporterd/blackbox.yml",
//                                          &errors);
//   if (!config) print(errors.ToString());  // file:line: key: message
//   const blackbox::Module& m = config->modules.at("http_2xx");
//   if (!m.unsupported_reason.empty()) fail the probe with it;
//
// Pure: no I/O but reading the file, no network, no clocks. Every section an
// upstream module may carry is parsed (and validated) whatever its `prober`,
// as upstream does; the prober uses its own section.
//
// Where upstream only fails at probe time (an unknown `compression`, an
// invalid `method`, a bad DNS validator regexp, an unknown rcode, ...) the
// file still loads, the value is kept for the prober to refuse the same way,
// and Config::warnings says so at load.
#ifndef EXPORTERD_BLACKBOX_CONFIG_H_
#define EXPORTERD_BLACKBOX_CONFIG_H_

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporterd/config_reader.h"

namespace exporterd::blackbox {

// The largest blackbox.yml we read: 4 MiB, as for exporterd's own config.
inline constexpr size_t kMaxBlackboxConfigBytes = kMaxConfigFileBytes;

// A Go regexp (RE2 syntax) compiled with RE2, unanchored like Go's
// MatchString. Copies share the compiled program. A default-constructed
// Regexp is "not set" (upstream's nil *regexp.Regexp).
class Regexp {
 public:
  Regexp() = default;
  // Compiles `pattern` as Go's regexp.Compile would: `(?<name>` is accepted
  // (Go 1.22+) and `\C` is refused (Go has no any-byte escape). On failure
  // the result is set() but not ok(), with error() saying why.
  static Regexp Compile(std::string pattern);

  bool set() const { return set_; }
  bool ok() const { return re_ != nullptr; }
  const std::string& pattern() const { return pattern_; }
  const std::string& error() const { return error_; }
  // Only when ok().
  const RE2& re() const { return *re_; }

  // Go's Regexp.Expand: `template` with $1, ${1}, $name, ${name} and $$
  // replaced from `groups` (group i, or nullopt when it did not take part).
  // A malformed `$` is copied as is; an unknown group expands to nothing.
  std::string Expand(
      std::string_view tmpl,
      const std::vector<std::optional<std::string_view>>& groups) const;

 private:
  bool set_ = false;
  std::string pattern_;
  std::string error_;
  std::shared_ptr<const RE2> re_;
};

// A value that must never be printed (the /config page, debug output, logs).
struct Secret {
  std::string value;
  bool empty() const { return value.empty(); }
};

// chooseProtocol: "ip6" (the default, also for "") or anything else, which
// upstream takes as ip4 ("ip4" expected; others warn at load).
enum class IpProtocol { kIp6, kIp4 };

// crypto/tls versions; kUnset leaves the library default.
enum class TlsVersion { kUnset, kTls10, kTls11, kTls12, kTls13 };

// prometheus/common config.TLSConfig.
struct TlsConfig {
  std::string ca;  // inline PEM
  std::string cert;
  Secret key;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string ca_ref;  // secret-manager references: unsupported
  std::string cert_ref;
  std::string key_ref;
  std::string server_name;
  bool insecure_skip_verify = false;
  TlsVersion min_version = TlsVersion::kUnset;
  TlsVersion max_version = TlsVersion::kUnset;
};

struct BasicAuth {
  std::string username;
  std::string username_file;
  std::string username_ref;
  Secret password;
  std::string password_file;
  std::string password_ref;
};

// `authorization`; also what `bearer_token` / `bearer_token_file` become
// (upstream's Validate folds them into an Authorization of type Bearer).
struct Authorization {
  std::string type = "Bearer";  // trimmed; "" becomes Bearer
  Secret credentials;
  std::string credentials_file;
  std::string credentials_ref;
};

// proxy_url, no_proxy, proxy_from_environment, proxy_connect_header.
struct ProxyConfig {
  std::string proxy_url;
  std::string no_proxy;
  bool proxy_from_environment = false;
  std::vector<std::pair<std::string, std::vector<Secret>>> proxy_connect_header;
};

struct OAuth2 {
  std::string client_id;
  Secret client_secret;
  std::string client_secret_file;
  std::string client_secret_ref;
  std::string client_certificate_key_id;
  Secret client_certificate_key;
  std::string client_certificate_key_file;
  std::string client_certificate_key_ref;
  std::string grant_type;  // "" = client_credentials
  std::string signature_algorithm;
  std::string iss;
  std::string audience;
  YAML::Node claims;  // any YAML; undefined when absent
  std::vector<std::string> scopes;
  std::string token_url;
  std::vector<std::pair<std::string, std::string>> endpoint_params;
  TlsConfig tls_config;
  ProxyConfig proxy;
};

// `http_headers` (and the websocket `headers`): values, secrets and files,
// each added in that order.
struct HeaderValues {
  std::vector<std::string> values;
  std::vector<Secret> secrets;
  std::vector<std::string> files;
};
using Headers = std::vector<std::pair<std::string, HeaderValues>>;

// prometheus/common config.HTTPClientConfig.
struct HttpClientConfig {
  std::optional<BasicAuth> basic_auth;
  std::optional<Authorization> authorization;
  std::optional<OAuth2> oauth2;
  TlsConfig tls_config;
  bool follow_redirects = true;
  bool enable_http2 = true;
  ProxyConfig proxy;
  std::optional<Headers> http_headers;
};

struct HeaderMatch {
  std::string header;
  Regexp regexp;
  bool allow_missing = false;
};

// `compression`: upstream lower-cases it when decoding; anything else fails
// every probe ("unsupported compression algorithm").
enum class Compression { kNone, kIdentity, kGzip, kBr, kDeflate, kUnsupported };

struct HttpProbe {
  std::vector<int> valid_status_codes;           // empty: 200-299
  std::vector<std::string> valid_http_versions;  // empty: any
  IpProtocol preferred_ip_protocol = IpProtocol::kIp6;
  bool ip_protocol_fallback = true;
  bool skip_resolve_phase_with_proxy = false;
  bool fail_if_ssl = false;
  bool fail_if_not_ssl = false;
  std::string method = "GET";
  // As written, in file order (names are matched case-insensitively).
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<Regexp> fail_if_body_matches_regexp;
  std::vector<Regexp> fail_if_body_not_matches_regexp;
  // CEL expressions; cannot be evaluated here (see unsupported_reason).
  std::optional<std::string> fail_if_body_json_matches_cel;
  std::optional<std::string> fail_if_body_json_not_matches_cel;
  std::vector<HeaderMatch> fail_if_header_matches;
  std::vector<HeaderMatch> fail_if_header_not_matches;
  std::string body;
  std::string body_file;
  HttpClientConfig http_client_config;  // inline keys
  std::string compression;              // as written
  Compression compression_kind = Compression::kNone;
  int64_t body_size_limit = 0;  // bytes; 0 = none
  bool enable_http3 = false;
};

struct Label {
  std::string name;
  std::string value;  // a template: ${1}, $name, ...
};

struct QueryResponse {
  Regexp expect;             // not set() when absent
  std::string expect_bytes;  // exclusive with expect
  std::vector<Label> labels;
  std::string send;  // a template when expect is set
  bool starttls = false;
};

struct TcpProbe {
  IpProtocol preferred_ip_protocol = IpProtocol::kIp6;
  bool ip_protocol_fallback = true;
  std::string source_ip_address;
  std::vector<QueryResponse> query_response;
  bool tls = false;
  TlsConfig tls_config;
};

struct IcmpProbe {
  IpProtocol preferred_ip_protocol = IpProtocol::kIp6;
  bool ip_protocol_fallback = true;
  std::string source_ip_address;
  int payload_size = 0;  // 0: the default payload
  bool dont_fragment = false;
  int ttl = 64;  // 0..255; upstream's raw IPv4 path uses 64 for 0
  // exporterd's own (issue 14): echoes per probe and the gap between them.
  // packets 1 keeps blackbox_exporter's series unchanged.
  int packets = 1;                                             // 1..1000
  std::chrono::nanoseconds interval{std::chrono::seconds(1)};  // >= 10ms
};

// exporterd's own prober (`prober: traceroute`, a `traceroute:` block):
// mtr/traceroute per hop. Not in blackbox_exporter.
enum class TraceMethod { kIcmp, kUdp, kTcp };
struct TracerouteProbe {
  IpProtocol preferred_ip_protocol = IpProtocol::kIp6;
  bool ip_protocol_fallback = true;
  std::string source_ip_address;
  TraceMethod method = TraceMethod::kIcmp;  // `method`: icmp | udp | tcp
  int first_hop = 1;                        // 1..255, <= max_hops
  int max_hops = 30;                        // 1..255
  int probes_per_hop = 3;                   // 1..100
  // How long one probe waits for its answer (mtr's/traceroute's -w).
  std::chrono::nanoseconds probe_timeout{std::chrono::seconds(2)};
  // Gap between the rounds of probes (one round = one probe per hop).
  std::chrono::nanoseconds interval{std::chrono::milliseconds(100)};
  // udp: the first destination port (traceroute's 33434 when 0), one more
  // per probe; tcp: the destination port (80 when 0). icmp: must be 0.
  int port = 0;
  int payload_size = 0;  // bytes after the ICMP/UDP header; 0: a default
};

// Matched against each RR's text form. These regexps are compiled here but,
// as upstream compiles them per probe, a bad one loads (not ok()) and fails
// the probe when it is used.
struct DnsRrValidator {
  std::vector<Regexp> fail_if_matches_regexp;
  std::vector<Regexp> fail_if_all_match_regexp;
  std::vector<Regexp> fail_if_not_matches_regexp;
  std::vector<Regexp> fail_if_none_matches_regexp;
};

struct DnsProbe {
  IpProtocol preferred_ip_protocol = IpProtocol::kIp6;
  bool ip_protocol_fallback = true;
  bool dns_over_tls = false;
  TlsConfig tls_config;
  std::string source_ip_address;
  std::string transport_protocol = "udp";  // udp or tcp (else probes fail)
  std::string query_class = "IN";
  uint16_t query_class_code = 1;
  std::string query_name;  // required
  std::string query_type = "ANY";
  uint16_t query_type_code = 255;
  bool recursion_desired = true;
  // Absent: NOERROR only. Present but empty ([]): no rcode is valid.
  std::vector<std::string> valid_rcodes = {"NOERROR"};
  DnsRrValidator validate_answer_rrs;
  DnsRrValidator validate_authority_rrs;
  DnsRrValidator validate_additional_rrs;
};

struct GrpcProbe {
  std::string service;
  bool tls = false;
  TlsConfig tls_config;
  // Upstream's quirk, kept: a module without a `grpc` mapping gets false.
  bool ip_protocol_fallback = true;
  IpProtocol preferred_ip_protocol = IpProtocol::kIp6;
  std::vector<std::pair<std::string, std::vector<std::string>>> metadata;
};

struct UnixProbe {
  std::vector<QueryResponse> query_response;
  bool tls = false;
  TlsConfig tls_config;
};

struct WebsocketProbe {
  // Without `http_config` upstream leaves follow_redirects and enable_http2
  // false (the zero value); with it, both default to true.
  HttpClientConfig http_config;
  Headers headers;
  std::vector<QueryResponse> query_response;
  IpProtocol preferred_ip_protocol = IpProtocol::kIp6;
  bool ip_protocol_fallback = true;
};

struct Module {
  std::string name;
  std::string prober;  // one of ProberNames()
  // 0 when unset: the scrape timeout minus the offset (ProbeTimeoutSeconds).
  // Go durations: may be negative.
  std::chrono::nanoseconds timeout{0};
  HttpProbe http;
  TcpProbe tcp;
  IcmpProbe icmp;
  DnsProbe dns;
  GrpcProbe grpc;
  UnixProbe unix_socket;  // the `unix` key
  WebsocketProbe websocket;
  TracerouteProbe traceroute;
  // Non-empty when this build cannot run the module's probes as configured
  // (HTTP/3, CEL, secret references): the prober fails them with this reason.
  std::string unsupported_reason;
  int line = 0;  // of the module's name in the file
};

struct Config {
  std::map<std::string, Module> modules;
  // Loaded, but worth saying: deprecated keys, values upstream accepts and
  // then fails every probe with, HTTP/3 forcing https.
  std::vector<ConfigError> warnings;
};

// The probers, in upstream's order: http tcp icmp dns grpc unix websocket.
std::vector<std::string> ProberNames();

// Parses blackbox.yml text; `file` names it in errors. Every problem is added
// to `errors` (file, line, dotted key, message); nullopt if there was any.
std::optional<Config> ParseConfig(std::string_view yaml,
                                  const std::string& file,
                                  ConfigErrors* errors);

// Reads `path` with ReadConfigFile (kMaxBlackboxConfigBytes) and parses it.
std::optional<Config> LoadConfigFile(const std::string& path,
                                     ConfigErrors* errors);

// alecthomas/units ParseBase2Bytes: "1MB", "1.5KiB", "0", "512B"; K/M/G/T/P/E
// with B or iB, all powers of 1024; a bare number but 0 is refused.
std::optional<int64_t> ParseBase2Bytes(std::string_view s);

// The probe timeout in seconds (upstream's getTimeout): the
// X-Prometheus-Scrape-Timeout-Seconds header (`header`, "" when absent; 0 or
// absent means 120), minus `timeout_offset` (--timeout-offset, 0.5 by
// default); the module's timeout instead when it is set and smaller, or when
// the header minus the offset is negative. No other minimum is enforced.
// A header Go's ParseFloat refuses gives nullopt and *error (upstream
// answers 500 "Failed to parse timeout from Prometheus header: ...").
std::optional<double> ProbeTimeoutSeconds(
    std::chrono::nanoseconds module_timeout, std::string_view header,
    double timeout_offset, std::string* error);
// As a deadline length: saturating; NaN and negatives give 0 (expired).
std::chrono::nanoseconds TimeoutDuration(double seconds);

// Upstream's check that `compression` is acceptable under an
// Accept-Encoding header value (q=0 refuses; `*` matches anything).
bool CompressionAcceptable(std::string_view compression,
                           std::string_view accept_encoding);

// Go's textproto.CanonicalMIMEHeaderKey ("accEpt-enCoding" ->
// "Accept-Encoding"); returned unchanged if it has non-token bytes.
std::string CanonicalHeaderKey(std::string_view key);

// miekg/dns names (case-sensitive, as upstream): "A", "AAAA", "ANY", ...;
// classes IN CS CH HS NONE ANY; rcodes NOERROR ... (and NOTIMPL).
std::optional<uint16_t> DnsTypeFromName(std::string_view name);
std::optional<uint16_t> DnsClassFromName(std::string_view name);
std::optional<int> DnsRcodeFromName(std::string_view name);

// Go's net/http method check: a non-empty RFC 7230 token.
bool ValidHttpMethod(std::string_view method);

}  // namespace exporterd::blackbox

#endif  // EXPORTERD_BLACKBOX_CONFIG_H_
