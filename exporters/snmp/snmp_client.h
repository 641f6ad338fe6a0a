// An asynchronous SNMP client (v1, v2c, v3/USM) on a Boost.Asio io_context,
// built on net-snmp's single-session API. No thread per request: every
// request is a datagram (or a TCP write) plus a timer on the io_context.
//
// THREADING. Debian builds net-snmp without NETSNMP_REENTRANT: request ids,
// the USM user list and the engine-time cache are process-wide and unlocked.
// So every object here must be created, used and destroyed on the thread
// that runs the Engine's io_context, and every Engine in the process must use
// the SAME io_context (a second io_context throws std::logic_error). Nothing
// else in the process may call net-snmp while an Engine is alive. Completions
// are always posted to that io_context; none runs inside a call.
//
// Typical use (all on the loop thread):
//   Engine engine(io);                       // once; does process-wide init
//   SessionOptions o; o.target = "10.0.0.1"; // snmp_exporter's target syntax
//   std::string err;
//   auto s = engine.NewSession(o, &err);     // null + err on a bad option
//   s->Walk(ParseOid("1.3.6.1.2.1.2"), [](OpResult r) { ... });
//   s->Get({...}, [](OpResult r) { ... });   // ops on one session may overlap
//   s->Cancel();                             // at the scrape deadline
//
// From a module: run the Engine on an io_context the module itself runs (its
// own thread; scrape.cc says why not a core loop: Asio's thread-local state
// is per .so), post each request there, and from TargetCall::OnCancel post
// s->Cancel() to it; TargetCall::Reply() may be called from the completion
// (any thread).
// Cancel sessions before the loop stops: a running operation holds its
// session (and socket) until it completes.
//
// v3 notes: the engine id is discovered once per target (non-blocking probe)
// and cached in the Engine; a v3 timeout or an unknownEngineID report forgets
// it. Keys (Ku) are cached per (auth protocol, password). net-snmp's USM
// user list holds one key set per (engine id, user): operations with another
// password for the same user and engine wait until the first set is idle,
// then the user is replaced. A wrong priv_password is a timeout (the agent
// drops what it cannot decrypt); the error says so when the agent answered
// discovery just before.
#ifndef EXPORTERD_SNMP_SNMP_CLIENT_H_
#define EXPORTERD_SNMP_SNMP_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pdu.h"

namespace boost::asio {
class io_context;
}

namespace exporterd::snmp {

// ParseOid, OidToString and DottedOid are in pdu.h.

// A target as snmp_exporter takes it: `[transport://]host[:port]`, transport
// udp (default) or tcp (also udp4/udp6/tcp4/tcp6), port 161 by default, IPv6
// as `[::1]`, `[::1]:161` or a bare `::1`. net-snmp's own spelling is also
// accepted: `udp:host:port`, `tcp:host:port`, `udp6:[::1]:port` (but `tcp:161`
// is host "tcp" port 161, as upstream reads it).
struct Target {
  std::string transport = "udp";  // udp | tcp
  int family = 0;                 // 0 any, 4 or 6 (from udp4/udp6/...)
  std::string host;               // brackets removed
  uint16_t port = 161;
};
std::optional<Target> ParseTarget(std::string_view text, std::string* error);

enum class SecurityLevel { kNoAuthNoPriv, kAuthNoPriv, kAuthPriv };

struct SessionOptions {
  std::string target;
  int version = 2;  // 1, 2 (v2c) or 3
  std::string community = "public";
  // v3 (USM)
  std::string username;
  SecurityLevel security_level = SecurityLevel::kNoAuthNoPriv;
  std::string auth_protocol = "MD5";  // MD5 SHA SHA224 SHA256 SHA384 SHA512
  std::string password;
  std::string priv_protocol = "DES";  // DES AES AES192 AES256 AES192C AES256C
  std::string priv_password;
  std::string context_name;
  std::string context_engine_id;  // raw bytes (?snmp_engineid=, hex-decoded)
  // Walk parameters (snmp.yml's walk_params).
  std::chrono::milliseconds timeout{5000};  // per PDU attempt
  int retries = 3;                          // resends after the first try
  uint32_t max_repetitions = 25;            // GETBULK; also the GET batch size
  bool allow_nonincreasing_oids = false;
  // false (upstream's default): the UDP socket is connect()ed, so only the
  // target's address is accepted and an ICMP port-unreachable fails the
  // request at once ("connection refused"). true: replies from any address
  // of a multi-homed agent are accepted; a dead port costs the full timeout.
  bool use_unconnected_udp_socket = false;
};

// Checks everything but the target's resolution. Empty when fine.
std::string ValidateOptions(const SessionOptions& options);

enum class ErrorKind {
  kNone,
  kCancelled,      // Cancel() was called
  kTimeout,        // no answer after all retries
  kRefused,        // ICMP port unreachable / TCP refused or reset
  kResolve,        // host name did not resolve
  kConfig,         // bad target or option
  kAuth,           // v3 USM report (wrong password, unknown user, ...)
  kAgentError,     // error-status in a response (GET)
  kNonIncreasing,  // walk returned an OID not after the previous one
  kTransport,      // send/receive/open failed
};
std::string_view ErrorKindName(ErrorKind kind);

struct OpStats {
  uint32_t packets_sent = 0;  // including retries (snmp_scrape_packets_sent)
  uint32_t retries = 0;       // timeout resends (snmp_scrape_packets_retried)
  // Answered requests: seconds from the last send to the answer (for
  // snmp_packet_duration_seconds).
  std::vector<double> packet_seconds;
  std::chrono::steady_clock::duration duration{};  // op start to completion
};

struct OpResult {
  // In wire order. Walks and Gets drop noSuchObject / noSuchInstance /
  // endOfMibView, as snmp_exporter does.
  std::vector<Varbind> varbinds;
  OpStats stats;
  ErrorKind error_kind = ErrorKind::kNone;
  std::string error;  // one line, in user terms; empty when ok
  bool ok() const { return error_kind == ErrorKind::kNone; }
};

using Completion = std::function<void(OpResult)>;

// One target with one set of credentials: one socket (opened on the first
// operation, after name resolution and, for v3, engine-id discovery) that
// any number of operations share. Keep the shared_ptr for as long as you
// want results; dropping it does not cancel running operations (they hold
// their session), Cancel() does.
class Session {
 public:
  virtual ~Session() = default;
  // Walks `root`'s subtree: GETBULK (non-repeaters 0, max_repetitions), or
  // GETNEXT for v1, until an OID leaves the subtree, an exception value, an
  // error status or an empty response. If the very first OID returned is
  // outside the subtree, `root` itself is fetched with GET (walking an
  // instance such as sysUpTime.0 works). Like gosnmp's BulkWalkAll.
  virtual void Walk(Oid root, Completion done) = 0;
  // GETs `oids` in PDUs of max_repetitions OIDs (1 for v1), one PDU at a
  // time. v1 noSuchName skips that PDU; any other error status fails.
  virtual void Get(std::vector<Oid> oids, Completion done) = 0;
  // Completes every running and later operation at once with what it has
  // and ErrorKind::kCancelled; closes the socket. Idempotent.
  virtual void Cancel() = 0;
  // "udp:127.0.0.1:161" once resolved, else the target as given.
  virtual std::string peer() const = 0;
};

struct EngineStats {
  uint64_t discoveries = 0;        // v3 engine-id probes sent
  uint64_t engine_ids_cached = 0;  // targets with a known engine id
  uint64_t keys_generated = 0;     // password-to-key (Ku) computations
  uint64_t keys_cached = 0;
  uint64_t usm_users_replaced = 0;  // credential changes applied
  uint64_t sessions_open = 0;       // net-snmp sessions (sockets) open
};

// Owns the process-wide net-snmp state that belongs to this module: init,
// v3 engine ids (per target), keys (per credentials) and the USM user list.
class Engine {
 public:
  explicit Engine(boost::asio::io_context& io);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Null and *error set when `options` is invalid (see ValidateOptions).
  std::shared_ptr<Session> NewSession(const SessionOptions& options,
                                      std::string* error);
  EngineStats stats() const;
  // Forget engine ids and keys (the next v3 request rediscovers).
  void ClearCaches();

  // How net-snmp was initialized: "" when by us, else why not (another part
  // of the process had initialized it first; its settings apply).
  static std::string InitNote();
  // Where net-snmp's log lines go (default: dropped). Process-wide.
  static void SetLogSink(std::function<void(int priority, std::string_view)>);

  class Core;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace exporterd::snmp

#endif  // EXPORTERD_SNMP_SNMP_CLIENT_H_
