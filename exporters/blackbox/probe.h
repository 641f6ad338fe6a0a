// What every prober shares: one probe in flight (ProbeRun), the prober
// interface and its registry, address selection (upstream's
// chooseProtocol) on the loop, the TLS facts every prober reports, and the
// fixed set of failure reasons.
//
// A prober is a class with one method, Start(run): it does its work on
// run->io() (one of the module's probe loops; never block it), adds its
// series with run->metrics(), and ends with run->Finish(success) exactly
// once. When the probe's deadline passes first, the run calls the function
// the prober gave to OnAbort() (close sockets, drop handles), then answers
// with what was gathered, probe_success 0 and reason "timeout"; a later
// Finish() is ignored. Everything of one probe happens on its loop, so no
// locking.
//
// Adding a prober (icmp, dns, grpc, unix, websocket, traceroute): a new
// <name>_prober.cc with a class deriving from Prober and one
// EXPORTERD_BLACKBOX_PROBER line; the build picks up every *_prober.cc.
// Nothing else changes.
#ifndef EXPORTERD_BLACKBOX_PROBE_H_
#define EXPORTERD_BLACKBOX_PROBE_H_

#include <openssl/ssl.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "exporterd/asio.h"
#include "exporterd/log.h"
#include "exporterd/metrics.h"

namespace exporterd::blackbox {

using ProbeClock = std::chrono::steady_clock;

// probe_failure_info{reason}: the fixed set, documented in README.md.
namespace reason {
inline constexpr const char* kTarget = "target";    // target unusable
inline constexpr const char* kDns = "dns";          // name did not resolve
inline constexpr const char* kConnect = "connect";  // refused, unreachable
inline constexpr const char* kTls = "tls";          // handshake or verification
inline constexpr const char* kTimeout = "timeout";  // deadline reached
inline constexpr const char* kIo = "io";            // reset, closed, read/write
inline constexpr const char* kHttpStatus = "http_status";
inline constexpr const char* kHttpVersion = "http_version";
inline constexpr const char* kSsl = "ssl";      // fail_if_ssl / fail_if_not_ssl
inline constexpr const char* kRegex = "regex";  // body, header, expect
inline constexpr const char* kBytes = "bytes";  // expect_bytes
inline constexpr const char* kBodySize = "body_size";  // body_size_limit
inline constexpr const char* kDecompression = "decompression";
inline constexpr const char* kConfig = "config";  // unreadable file, ...
inline constexpr const char* kUnsupported = "unsupported";  // HTTP/3, CEL
inline constexpr const char* kAuth = "auth";  // OAuth2 token not obtained
inline constexpr const char* kGrpcStatus = "grpc_status";  // not SERVING
inline constexpr const char* kDnsRcode = "dns_rcode";      // not valid_rcodes
inline constexpr const char* kOther = "other";
}  // namespace reason
// All of the above, in the README's order.
const std::vector<std::string>& FailureReasons();

// The probe's own log: what debug=true prints under "Logs for the probe:",
// one logfmt line per entry (time, level, msg, module, target, fields).
class ProbeLog {
 public:
  ProbeLog(std::string module, std::string target)
      : module_(std::move(module)), target_(std::move(target)) {}
  void Debug(std::string_view msg, const LogFields& f = {}) {
    Add("debug", msg, f);
  }
  void Info(std::string_view msg, const LogFields& f = {}) {
    Add("info", msg, f);
  }
  void Error(std::string_view msg, const LogFields& f = {}) {
    Add("error", msg, f);
  }
  const std::string& text() const { return text_; }
  // The last error message (for the daemon's log at debug level).
  const std::string& last_error() const { return last_error_; }

 private:
  void Add(std::string_view level, std::string_view msg, const LogFields& f);
  std::string module_, target_, text_, last_error_;
};

// One probe in flight.
class ProbeRun : public std::enable_shared_from_this<ProbeRun> {
 public:
  using Done = std::function<void(ProbeRun&)>;
  // `module` is shared, not copied (a Module is several KiB): the loaded
  // configuration's, or the request's own copy when it changes it
  // (upstream's Handler does for hostname=).
  ProbeRun(boost::asio::io_context& io, std::shared_ptr<const Module> module,
           std::string target, ProbeClock::time_point deadline,
           double timeout_seconds, Done done);
  ~ProbeRun();

  boost::asio::io_context& io() { return io_; }
  const Module& module() const { return *module_; }
  const std::string& target() const { return target_; }
  ProbeClock::time_point deadline() const { return deadline_; }
  double timeout_seconds() const { return timeout_seconds_; }
  ProbeLog& log() { return log_; }
  std::vector<prometheus::MetricFamily>& metrics() { return metrics_; }
  bool finished() const { return finished_; }

  // Arms the deadline; call once before the prober starts.
  void Arm();
  // What the run calls when the deadline passes (or the request is
  // cancelled) before Finish(). Replaces an earlier one.
  void OnAbort(std::function<void()> fn) { abort_ = std::move(fn); }
  // Records why the probe failed; the first reason counts.
  void Fail(const char* why) {
    if (reason_.empty()) reason_ = why;
  }
  // Ends the probe (once; later calls are ignored).
  void Finish(bool success);
  // The deadline (or the client) cut the probe short.
  void Abort();

  bool success() const { return success_; }
  const std::string& failure_reason() const { return reason_; }
  double duration_seconds() const { return duration_; }

  // Called with the address the prober is about to contact (after
  // resolution); returns "" when allowed, else the rule text. Set by the
  // module when allowed_targets is on.
  std::function<std::string(const boost::asio::ip::address&)> address_check;
  // Set when address_check refused: the answer becomes a 400.
  std::string refused;
  // Text debug=true prints between the logs and the metrics (the traceroute
  // prober's mtr-style report); empty: none.
  std::string debug_report;

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<const Module> module_;
  std::string target_;
  ProbeClock::time_point start_;
  ProbeClock::time_point deadline_;
  double timeout_seconds_;
  Done done_;
  ProbeLog log_;
  std::vector<prometheus::MetricFamily> metrics_;
  boost::asio::steady_timer timer_;
  std::function<void()> abort_;
  bool finished_ = false;
  bool success_ = false;
  double duration_ = 0;
  std::string reason_;
};

class Prober {
 public:
  virtual ~Prober() = default;
  virtual void Start(std::shared_ptr<ProbeRun> run) = 0;
};

// name -> prober, for every prober this build has. A module whose `prober`
// is not here loads, and its probes fail with a reason.
const std::map<std::string, std::unique_ptr<Prober>>& Probers();

// Adds `prober` under `name` (at static initialisation; returns true).
bool RegisterProber(const char* name, std::unique_ptr<Prober> prober);
// The usual prober: Start() makes a shared `Run` of the probe run and starts
// it (the Run keeps itself alive through its pending handlers).
template <class Run>
class RunProber : public Prober {
 public:
  void Start(std::shared_ptr<ProbeRun> run) override {
    std::make_shared<Run>(std::move(run))->Start();
  }
};

// In a prober's file, at namespace scope:
//   EXPORTERD_BLACKBOX_PROBER(dns, RunProber<DnsRun>);
#define EXPORTERD_BLACKBOX_PROBER(name, cls)              \
  [[maybe_unused]] static const bool kRegistered_##name = \
      ::exporterd::blackbox::RegisterProber(#name, std::make_unique<cls>())

// Upstream's chooseProtocol on the loop: resolves `host` (an IP literal
// resolves to itself) and picks the address of the preferred family, else
// (fallback on) one of the other. Adds probe_dns_lookup_time_seconds,
// probe_ip_protocol and probe_ip_addr_hash to the run's metrics (zeros but
// the lookup time when it fails). `done` gets the address and the lookup
// time in seconds, or nullopt (the run's reason is then set). Honours the
// run's address_check. Cancelled with the run (done is not called after
// Finish()).
using ResolveDone = std::function<void(std::optional<boost::asio::ip::address>,
                                       double lookup_seconds)>;
void ChooseProtocol(const std::shared_ptr<ProbeRun>& run,
                    const std::string& host, IpProtocol preferred,
                    bool fallback, ResolveDone done);
// The same resolution without the metrics (HTTP redirects): the first
// address of the preferred family, else any.
void ResolveQuietly(const std::shared_ptr<ProbeRun>& run,
                    const std::string& host, IpProtocol preferred,
                    bool fallback, ResolveDone done);

// FNV-1a 32 of the address bytes (4 for IPv4), as upstream's ipHash.
double IpHash(const boost::asio::ip::address& ip);

// The TLS facts of one connection, read from OpenSSL right after the
// handshake (peer chain as sent, verified chain, version, cipher).
struct TlsFacts {
  bool present = false;
  double earliest_expiry = 0;    // min NotAfter over the peer chain
  double last_chain_expiry = 0;  // over verified chains; Go's zero time
                                 // (-62135596800) when none was verified
  std::string fingerprint_sha256, subject, issuer, subjectalternative,
      serialnumber;     // of the leaf
  std::string version;  // "TLS 1.3"
  std::string cipher;   // "TLS_AES_256_GCM_SHA384"
};
// `verified`: a verification took place (not insecure_skip_verify).
TlsFacts ReadTlsFacts(SSL* ssl, bool verified);
// probe_ssl_earliest_cert_expiry, probe_ssl_last_chain_expiry_timestamp_
// seconds, probe_ssl_last_chain_info, probe_tls_version_info and, when
// `with_cipher` (http), probe_tls_cipher_info.
void AddTlsMetrics(const TlsFacts& t, bool with_cipher,
                   std::vector<prometheus::MetricFamily>* out);

// Go's pkix.Name.String() for an X509_NAME (RFC 2253-like, reversed).
std::string GoNameString(X509_NAME* name);

// An SSL_CTX for a tls_config (CA, client cert, versions, verification);
// nullptr and *error when a file is unreadable or bad. Hostname checks are
// per connection (ConfigureTlsClient).
std::shared_ptr<SSL_CTX> MakeClientContext(const TlsConfig& tls,
                                           std::string* error);
// SNI and hostname/IP verification for `server_name` on `ssl`.
void ConfigureTlsClient(SSL* ssl, const TlsConfig& tls,
                        const std::string& server_name);

// Splits "host:port" as Go's net.SplitHostPort ("[::1]:80" too); false when
// it is not of that shape.
bool SplitHostPort(std::string_view hostport, std::string* host,
                   std::string* port);

}  // namespace exporterd::blackbox

#endif  // EXPORTERD_BLACKBOX_PROBE_H_
