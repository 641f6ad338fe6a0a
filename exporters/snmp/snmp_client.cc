// net-snmp on one io_context: see snmp_client.h for the threading contract.
//
// Layout:
//   Init            process-wide init_snmp() with configs, MIBs, persistence
//                   and stderr logging off
//   Transport       one net-snmp session: its fd in a stream_descriptor, its
//                   retry timer, and the request records net-snmp's callback
//                   points at
//   Engine::Core    v3 engine ids per target, Ku per credentials, USM users
//   SessionImpl     resolve -> (tcp connect check) -> (v3 discovery) -> open
//   WalkOp, GetOp   the operations
#include "snmp_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "exporterd/asio.h"

// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/library/keytools.h>
#include <net-snmp/library/scapi.h>
#include <net-snmp/library/snmpusm.h>
#include <net-snmp/library/snmpv3.h>
#include <net-snmp/library/transform_oids.h>
// clang-format on

// net-snmp names GETBULK's fields by macro over errstat/errindex; they would
// rename SessionOptions::max_repetitions too.
#undef max_repetitions
#undef non_repeaters

namespace exporterd::snmp {
namespace {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

double Seconds(SteadyClock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string FormatSeconds(SteadyClock::duration d) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.3fs", Seconds(d));
  return buf;
}

// ---------------------------------------------------------------------------
// Process-wide init.

std::once_flag g_init_once;
std::string g_init_note;
std::function<void(int, std::string_view)>* g_log_sink = nullptr;

int LogCallback(int, int, void* server_arg, void*) {
  auto* msg = static_cast<snmp_log_message*>(server_arg);
  if (g_log_sink != nullptr && *g_log_sink && msg != nullptr &&
      msg->msg != nullptr) {
    std::string_view text(msg->msg);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
      text.remove_suffix(1);
    (*g_log_sink)(msg->priority, text);
  }
  return 0;
}

// Sets `name` to "" and gives back what it was, to restore after init.
struct EnvOverride {
  explicit EnvOverride(const char* n) : name(n) {
    const char* old = getenv(name);
    had = old != nullptr;
    if (had) value = old;
    setenv(name, "", 1);
  }
  ~EnvOverride() {
    if (had)
      setenv(name, value.c_str(), 1);
    else
      unsetenv(name);
  }
  const char* name;
  bool had = false;
  std::string value;
};

void InitNetSnmp() {
  // init_snmp() runs once per process (static guard) and records the app
  // type: if it is set, someone else initialized the library first.
  if (const char* app = netsnmp_ds_get_string(NETSNMP_DS_LIBRARY_ID,
                                              NETSNMP_DS_LIB_APPTYPE)) {
    g_init_note = std::string("net-snmp was already initialized by \"") + app +
                  "\"; its settings apply";
    return;
  }
  // Our own log handler: without one, net-snmp writes to stderr.
  snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
                         &LogCallback, nullptr);
  netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                         NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                         NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                         NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                         NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                         NETSNMP_DS_LIB_NO_TOKEN_WARNINGS, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_CHECK_RANGE,
                         1);
  // No MIB files are read: we only deal in numeric OIDs. No TLS
  // certificate directories are scanned either (SNMPCONFPATH), and the
  // persistent directory is one nothing can be created in: init would
  // otherwise mkdir <persistent dir>/cert_indexes (/var/lib/snmp).
  EnvOverride mibs("MIBS");
  EnvOverride mibdirs("MIBDIRS");
  EnvOverride confpath("SNMPCONFPATH");
  netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR,
                        "/dev/null");
  // init_snmp() calls setlocale(LC_CTYPE, ""): keep the host's locale.
  const char* locale = setlocale(LC_CTYPE, nullptr);
  std::string saved_locale = locale != nullptr ? locale : "C";
  init_snmp("exporterd_snmp");
  setlocale(LC_CTYPE, saved_locale.c_str());
}

// ---------------------------------------------------------------------------
// The one io_context that may drive net-snmp in this process.

asio::io_context* g_io = nullptr;
int g_engines = 0;

void ClaimIo(asio::io_context& io) {
  if (g_engines > 0 && g_io != &io)
    throw std::logic_error(
        "snmp: net-snmp is not reentrant; all Engines must share one "
        "io_context");
  g_io = &io;
  ++g_engines;
}

void ReleaseIo() {
  if (--g_engines == 0) g_io = nullptr;
}

// ---------------------------------------------------------------------------
// Values.

Oid ToOid(const oid* name, size_t len) {
  Oid out(len);
  for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint32_t>(name[i]);
  return out;
}

std::vector<oid> FromOid(const Oid& o) { return {o.begin(), o.end()}; }

bool IsException(u_char type) {
  return type == SNMP_NOSUCHOBJECT || type == SNMP_NOSUCHINSTANCE ||
         type == SNMP_ENDOFMIBVIEW;
}

Varbind ToVarbind(const netsnmp_variable_list* v) {
  Varbind out;
  out.oid = ToOid(v->name, v->name_length);
  auto bytes = [&] {
    if (v->val.string != nullptr && v->val_len > 0)
      out.bytes.assign(reinterpret_cast<const char*>(v->val.string),
                       v->val_len);
  };
  switch (v->type) {
    case ASN_INTEGER:
      out.type = PduType::kInteger;
      out.int_value = v->val.integer ? *v->val.integer : 0;
      break;
    case ASN_OCTET_STR:
    case ASN_BIT_STR:
    case ASN_NSAP:
      out.type = PduType::kOctetString;
      bytes();
      break;
    case ASN_NULL:
      out.type = PduType::kNull;
      break;
    case ASN_OBJECT_ID:
      out.type = PduType::kObjectId;
      if (v->val.objid != nullptr)
        out.oid_value = ToOid(v->val.objid, v->val_len / sizeof(oid));
      break;
    case ASN_IPADDRESS:
      out.type = PduType::kIpAddress;
      bytes();
      break;
    case ASN_COUNTER:
    case ASN_GAUGE:
    case ASN_TIMETICKS:
    case ASN_UINTEGER: {
      out.type = v->type == ASN_COUNTER     ? PduType::kCounter32
                 : v->type == ASN_TIMETICKS ? PduType::kTimeTicks
                                            : PduType::kGauge32;
      const unsigned long u =
          v->val.integer ? static_cast<unsigned long>(*v->val.integer) : 0;
      out.uint_value = u & 0xffffffffUL;
      break;
    }
    case ASN_OPAQUE:
      out.type = PduType::kOpaque;
      bytes();
      break;
    case ASN_COUNTER64:
#ifdef NETSNMP_WITH_OPAQUE_SPECIAL_TYPES
    case ASN_OPAQUE_COUNTER64:
    case ASN_OPAQUE_U64:
#endif
      out.type = PduType::kCounter64;
      if (v->val.counter64 != nullptr)
        out.uint_value = (uint64_t{v->val.counter64->high} << 32) |
                         (v->val.counter64->low & 0xffffffffUL);
      break;
#ifdef NETSNMP_WITH_OPAQUE_SPECIAL_TYPES
    case ASN_OPAQUE_I64:
      out.type = PduType::kInteger;
      if (v->val.counter64 != nullptr)
        out.int_value =
            static_cast<int64_t>((uint64_t{v->val.counter64->high} << 32) |
                                 (v->val.counter64->low & 0xffffffffUL));
      break;
    case ASN_OPAQUE_FLOAT:
      out.type = PduType::kOpaqueFloat;
      if (v->val.floatVal != nullptr) out.float_value = *v->val.floatVal;
      break;
    case ASN_OPAQUE_DOUBLE:
      out.type = PduType::kOpaqueDouble;
      if (v->val.doubleVal != nullptr) out.float_value = *v->val.doubleVal;
      break;
#endif
    case SNMP_NOSUCHOBJECT:
      out.type = PduType::kNoSuchObject;
      break;
    case SNMP_NOSUCHINSTANCE:
      out.type = PduType::kNoSuchInstance;
      break;
    case SNMP_ENDOFMIBVIEW:
      out.type = PduType::kEndOfMibView;
      break;
    default:
      // Unknown tag: keep the bytes, the renderer treats it as a string.
      out.type = PduType::kOpaque;
      bytes();
      break;
  }
  return out;
}

// <0, 0, >0 like snmp_oid_compare.
int CompareOid(const Oid& a, const Oid& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

bool IsUnder(const Oid& root, const Oid& o) {
  return o.size() > root.size() &&
         std::equal(root.begin(), root.end(), o.begin());
}

std::string ErrStatusName(long status) {
  const char* s = snmp_errstring(static_cast<int>(status));
  return std::string(s != nullptr ? s : "?") + " (" + std::to_string(status) +
         ")";
}

std::string LevelName(SecurityLevel l) {
  switch (l) {
    case SecurityLevel::kNoAuthNoPriv:
      return "noAuthNoPriv";
    case SecurityLevel::kAuthNoPriv:
      return "authNoPriv";
    case SecurityLevel::kAuthPriv:
      return "authPriv";
  }
  return "?";
}

int NetSnmpLevel(SecurityLevel l) {
  switch (l) {
    case SecurityLevel::kNoAuthNoPriv:
      return SNMP_SEC_LEVEL_NOAUTH;
    case SecurityLevel::kAuthNoPriv:
      return SNMP_SEC_LEVEL_AUTHNOPRIV;
    case SecurityLevel::kAuthPriv:
      return SNMP_SEC_LEVEL_AUTHPRIV;
  }
  return SNMP_SEC_LEVEL_NOAUTH;
}

// The exact upstream names; net-snmp's tables use the same spellings.
const char* const kAuthNames[] = {"MD5",    "SHA",    "SHA224",
                                  "SHA256", "SHA384", "SHA512"};
const char* const kPrivNames[] = {"DES",    "AES",     "AES192",
                                  "AES256", "AES192C", "AES256C"};

template <size_t N>
bool OneOf(const std::string& s, const char* const (&names)[N]) {
  for (const char* n : names)
    if (s == n) return true;
  return false;
}

std::vector<oid> AuthProtoOid(const std::string& name) {
  const int type = usm_lookup_auth_type(name.c_str());
  if (type < 0) return {};
  size_t len = 0;
  const oid* o = sc_get_auth_oid(type, &len);
  if (o == nullptr) return {};
  return {o, o + len};
}

std::vector<oid> PrivProtoOid(const std::string& name) {
  // usm_get_priv_oid() is not exported by Debian's libnetsnmp. The "C"
  // variants are the Cisco/Reeder key extension, as in gosnmp and in
  // net-snmp's own "AES192C" name.
  auto v = [](const oid* o, size_t n) { return std::vector<oid>(o, o + n); };
  if (name == "DES")
    return v(usmDESPrivProtocol, OID_LENGTH(usmDESPrivProtocol));
  if (name == "AES")
    return v(usmAESPrivProtocol, OID_LENGTH(usmAESPrivProtocol));
  if (name == "AES192")
    return v(usmAES192PrivProtocol, OID_LENGTH(usmAES192PrivProtocol));
  if (name == "AES256")
    return v(usmAES256PrivProtocol, OID_LENGTH(usmAES256PrivProtocol));
  if (name == "AES192C")
    return v(usmAES192CiscoPrivProtocol,
             OID_LENGTH(usmAES192CiscoPrivProtocol));
  if (name == "AES256C")
    return v(usmAES256CiscoPrivProtocol,
             OID_LENGTH(usmAES256CiscoPrivProtocol));
  return {};
}

std::string SysError(int err) {
  char buf[128];
  return strerror_r(err, buf, sizeof(buf));
}

// ---------------------------------------------------------------------------
// Transport: one open net-snmp session on the io_context.

enum class ReplyKind {
  kResponse,    // terminal: a response PDU
  kReport,      // not terminal: a REPORT arrived (SEC_ERROR or resend next)
  kResend,      // not terminal: net-snmp resent after a timeout
  kTimeSync,    // not terminal: resent after notInTimeWindow (not a retry)
  kTimeout,     // terminal
  kSecError,    // terminal: v3 report or local security error
  kSendFailed,  // terminal
  kRefused,     // terminal: ICMP port unreachable / connection reset
};

struct Reply {
  ReplyKind kind;
  netsnmp_pdu* pdu = nullptr;  // owned by net-snmp; valid during the call
  int report = 0;              // SNMPERR_* of the last REPORT, if any
  int snmp_errno = 0;          // session's s_snmp_errno
  int sys_errno = 0;
  double seconds = 0;  // since the last send (responses)
};

using ReplyHandler = std::function<void(const Reply&)>;

int Callback(int op, netsnmp_session*, int, netsnmp_pdu*, void*);

class Transport : public std::enable_shared_from_this<Transport> {
 public:
  struct Request {
    Transport* owner;
    ReplyHandler handler;
    SteadyClock::time_point last_send;
    int report = 0;
    bool done = false;
  };

  Transport(asio::io_context& io, void* sp, int fd)
      : io_(io), sp_(sp), sd_(io), timer_(io) {
    sd_.assign(fd);
    netsnmp_large_fd_set_init(&fds_, std::max(fd + 1, FD_SETSIZE));
    ++open_count;
  }
  ~Transport() {
    Close();
    netsnmp_large_fd_set_cleanup(&fds_);
  }

  // Opens `config` (filled by the caller, strings referenced, not owned).
  // `connect_to`: connect() the UDP socket to this peer.
  static std::shared_ptr<Transport> Open(asio::io_context& io,
                                         netsnmp_session* config,
                                         const sockaddr* connect_to,
                                         socklen_t connect_len,
                                         std::string* error) {
    config->callback = &Callback;
    void* sp = snmp_sess_open(config);
    if (sp == nullptr) {
      char* msg = nullptr;
      int sys = 0, snmperr = 0;
      snmp_error(config, &sys, &snmperr, &msg);
      *error = std::string("cannot open session to ") +
               (config->peername ? config->peername : "?") + ": " +
               (msg != nullptr ? msg : "unknown error");
      free(msg);
      return nullptr;
    }
    netsnmp_transport* t = snmp_sess_transport(sp);
    if (t == nullptr || t->sock < 0) {
      snmp_sess_close(sp);
      *error = "cannot open session: no socket";
      return nullptr;
    }
    if (connect_to != nullptr && ::connect(t->sock, connect_to, connect_len)) {
      const int err = errno;
      snmp_sess_close(sp);
      *error = "cannot connect UDP socket: " + SysError(err);
      return nullptr;
    }
    return std::make_shared<Transport>(io, sp, t->sock);
  }

  void* session() const { return sp_; }
  bool closed() const { return closed_; }
  size_t outstanding() const { return outstanding_; }

  // Sends `pdu` (always consumed). `handler` gets the outcome; it may run
  // before Send returns (a synchronous failure) and may call Send again.
  void Send(netsnmp_pdu* pdu, ReplyHandler handler) {
    if (closed_) {
      snmp_free_pdu(pdu);
      Reply r{ReplyKind::kSendFailed};
      r.snmp_errno = SNMPERR_BAD_SENDTO;
      handler(r);
      return;
    }
    auto self = shared_from_this();
    requests_.push_back(Request{this, std::move(handler), SteadyClock::now()});
    Request* req = &requests_.back();
    ++outstanding_;
    ++depth_;
    const int id = snmp_sess_async_send(sp_, pdu, &Callback, req);
    --depth_;
    if (id == 0) {
      snmp_free_pdu(pdu);
      if (!req->done) {
        Reply r{ReplyKind::kSendFailed};
        netsnmp_session* s = snmp_sess_session(sp_);
        r.snmp_errno = s ? s->s_snmp_errno : 0;
        r.sys_errno = s ? s->s_errno : 0;
        ++depth_;
        Finish(req, r);
        --depth_;
      }
    }
    Pump();
  }

  // Closes the socket and the net-snmp session; pending requests are
  // dropped without their handlers. Safe inside a handler (deferred).
  void Close() {
    if (closed_) return;
    closed_ = true;
    if (depth_ > 0) {
      asio::post(io_, [self = shared_from_this()] { self->DoClose(); });
      return;
    }
    DoClose();
  }

  // From net-snmp's callback.
  void OnEvent(Request* req, int op, netsnmp_pdu* pdu) {
    if (closed_ || req->done) return;
    Reply r{ReplyKind::kResponse};
    r.pdu = pdu;
    r.report = req->report;
    switch (op) {
      case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
        if (pdu != nullptr && pdu->command == SNMP_MSG_REPORT) {
          req->report = r.report = snmpv3_get_report_type(pdu);
          r.kind = ReplyKind::kReport;
          req->handler(r);
          return;
        }
        r.seconds = Seconds(SteadyClock::now() - req->last_send);
        Finish(req, r);
        return;
      case NETSNMP_CALLBACK_OP_RESEND:
        req->last_send = SteadyClock::now();
        r.kind = req->report == SNMPERR_NOT_IN_TIME_WINDOW
                     ? ReplyKind::kTimeSync
                     : ReplyKind::kResend;
        req->report = 0;
        req->handler(r);
        return;
      case NETSNMP_CALLBACK_OP_TIMED_OUT:
        r.kind = ReplyKind::kTimeout;
        Finish(req, r);
        return;
      case NETSNMP_CALLBACK_OP_SEC_ERROR: {
        r.kind = ReplyKind::kSecError;
        if (pdu != nullptr && pdu->command == SNMP_MSG_REPORT)
          r.report = snmpv3_get_report_type(pdu);
        netsnmp_session* s = snmp_sess_session(sp_);
        r.snmp_errno = s ? s->s_snmp_errno : 0;
        Finish(req, r);
        return;
      }
      case NETSNMP_CALLBACK_OP_SEND_FAILED:
      case NETSNMP_CALLBACK_OP_DISCONNECT: {
        r.kind = op == NETSNMP_CALLBACK_OP_DISCONNECT ? ReplyKind::kRefused
                                                      : ReplyKind::kSendFailed;
        netsnmp_session* s = snmp_sess_session(sp_);
        r.snmp_errno = s ? s->s_snmp_errno : 0;
        r.sys_errno = s ? s->s_errno : 0;
        if (r.sys_errno == ECONNREFUSED) r.kind = ReplyKind::kRefused;
        Finish(req, r);
        return;
      }
      default:
        return;
    }
  }

  static inline uint64_t open_count = 0;  // sessions currently open

 private:
  void Finish(Request* req, const Reply& r) {
    req->done = true;
    --outstanding_;
    req->handler(r);
  }

  // Fails every pending request with `r` and closes: the socket is dead.
  void FailAll(const Reply& r) {
    std::vector<ReplyHandler> pending;
    for (auto& req : requests_) {
      if (req.done) continue;
      req.done = true;
      pending.push_back(std::move(req.handler));
    }
    Close();
    ++depth_;
    for (auto& h : pending) h(r);
    --depth_;
  }

  void DoClose() {
    boost::system::error_code ec;
    timer_.cancel();
    sd_.cancel(ec);
    sd_.release();
    ++depth_;
    snmp_sess_close(sp_);  // may call back with TIMED_OUT: ignored (closed_)
    --depth_;
    sp_ = nullptr;
    // A handler may be running (it closed us): free the records later.
    if (!requests_.empty()) asio::post(io_, [dead = std::move(requests_)] {});
    requests_.clear();
    outstanding_ = 0;
    --open_count;
  }

  // After every entry into net-snmp: drop finished records, keep a read
  // wait armed, arm the timer for net-snmp's next retry/timeout.
  void Pump() {
    if (depth_ > 0) return;
    requests_.remove_if([](const Request& r) { return r.done; });
    if (closed_) return;
    if (!reading_) {
      reading_ = true;
      sd_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [self = shared_from_this()](boost::system::error_code ec) {
                       self->reading_ = false;
                       if (ec || self->closed_) return;
                       self->OnReadable();
                     });
    }
    if (outstanding_ == 0) return;
    int numfds = 0, block = 1;
    timeval tv{};
    NETSNMP_LARGE_FD_ZERO(&fds_);
    snmp_sess_select_info2_flags(sp_, &numfds, &fds_, &tv, &block,
                                 NETSNMP_SELECT_NOALARMS);
    if (block) return;
    const auto when = SteadyClock::now() + std::chrono::seconds(tv.tv_sec) +
                      std::chrono::microseconds(tv.tv_usec);
    if (timer_armed_ && timer_at_ <= when) return;
    timer_armed_ = true;
    timer_at_ = when;
    timer_.expires_at(when);
    timer_.async_wait(
        [self = shared_from_this()](boost::system::error_code ec) {
          if (ec || self->closed_) return;
          self->timer_armed_ = false;
          self->OnTimer();
        });
  }

  void OnReadable() {
    auto self = shared_from_this();
    NETSNMP_LARGE_FD_ZERO(&fds_);
    NETSNMP_LARGE_FD_SET(sd_.native_handle(), &fds_);
    ++depth_;
    const int rc = snmp_sess_read2(sp_, &fds_);
    --depth_;
    netsnmp_transport* t = closed_ ? nullptr : snmp_sess_transport(sp_);
    if (!closed_ && (t == nullptr || t->sock < 0)) {
      // A TCP peer hung up: net-snmp closed the fd itself. Let go of it
      // (no second close) and fail what was pending.
      sd_.release();
      Reply r{ReplyKind::kRefused};
      r.sys_errno = EPIPE;
      FailAll(r);
      return;
    }
    if (rc < 0 && !closed_) {
      netsnmp_session* s = snmp_sess_session(sp_);
      const int err = s ? s->s_errno : 0;
      if (err == ECONNREFUSED || err == ECONNRESET ||
          (s != nullptr && s->s_snmp_errno == SNMPERR_BAD_RECVFROM &&
           err != EAGAIN && err != EWOULDBLOCK && err != EINTR)) {
        Reply r{ReplyKind::kRefused};
        r.sys_errno = err;
        FailAll(r);
        return;
      }
    }
    Pump();
  }

  void OnTimer() {
    auto self = shared_from_this();
    ++depth_;
    snmp_sess_timeout(sp_);
    --depth_;
    Pump();
  }

  asio::io_context& io_;
  void* sp_;
  asio::posix::stream_descriptor sd_;
  asio::steady_timer timer_;
  netsnmp_large_fd_set fds_;
  std::list<Request> requests_;
  size_t outstanding_ = 0;
  int depth_ = 0;  // > 0 while inside a net-snmp call
  bool closed_ = false;
  bool reading_ = false;
  bool timer_armed_ = false;
  SteadyClock::time_point timer_at_{};
};

int Callback(int op, netsnmp_session*, int, netsnmp_pdu* pdu, void* magic) {
  if (magic != nullptr) {
    auto* req = static_cast<Transport::Request*>(magic);
    req->owner->OnEvent(req, op, pdu);
  }
  return 1;  // else net-snmp keeps the request queued
}

// Fills the parts of a netsnmp_session every session shares.
void BaseSession(netsnmp_session* s, const SessionOptions& o,
                 const std::string& peer) {
  snmp_sess_init(s);
  s->peername = const_cast<char*>(peer.c_str());
  s->timeout = static_cast<long>(o.timeout.count()) * 1000;
  s->retries = o.retries;
}

}  // namespace

// ---------------------------------------------------------------------------
// Public helpers.

std::optional<Target> ParseTarget(std::string_view text, std::string* error) {
  Target t;
  const std::string original(text);
  auto fail = [&](const std::string& why) -> std::optional<Target> {
    if (error) *error = "invalid target \"" + original + "\": " + why;
    return std::nullopt;
  };
  auto set_transport = [&](std::string_view name) {
    if (name == "udp" || name == "tcp") {
      t.transport = std::string(name);
    } else if (name == "udp4" || name == "tcp4" || name == "udp6" ||
               name == "tcp6") {
      t.transport = std::string(name.substr(0, 3));
      t.family = name[3] - '0';
    } else {
      return false;
    }
    return true;
  };
  if (size_t p = text.find("://"); p != std::string_view::npos) {
    if (!set_transport(text.substr(0, p)))
      return fail("unknown transport \"" + std::string(text.substr(0, p)) +
                  "\" (udp or tcp)");
    text.remove_prefix(p + 3);
  } else if (size_t c = text.find(':'); c != std::string_view::npos) {
    // net-snmp's "udp:host[:port]"; "tcp:161" stays host "tcp", port 161.
    std::string_view rest = text.substr(c + 1);
    const bool digits =
        !rest.empty() && rest.find_first_not_of("0123456789") == rest.npos;
    Target saved = t;
    if (!digits && set_transport(text.substr(0, c)))
      text.remove_prefix(c + 1);
    else
      t = saved;
  }
  std::string_view host = text, port;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == text.npos) return fail("missing ']'");
    host = text.substr(1, close - 1);
    std::string_view after = text.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("junk after ']'");
      port = after.substr(1);
      has_port = true;
    }
  } else {
    const size_t colons = std::count(text.begin(), text.end(), ':');
    if (colons == 1) {
      const size_t c = text.find(':');
      host = text.substr(0, c);
      port = text.substr(c + 1);
      has_port = true;
    }
    // 0: host only; more: a bare IPv6 address.
  }
  if (host.empty()) return fail("no host");
  if (host.find_first_of(" \t/[]") != host.npos) return fail("bad host");
  t.host = std::string(host);
  if (has_port) {
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != port.npos)
      return fail("bad port \"" + std::string(port) + "\"");
    const int p = std::stoi(std::string(port));
    if (p > 65535) return fail("port out of range");
    t.port = static_cast<uint16_t>(p);
  }
  return t;
}

std::string ValidateOptions(const SessionOptions& o) {
  std::string err;
  if (!ParseTarget(o.target, &err)) return err;
  if (o.version < 1 || o.version > 3)
    return "version must be 1, 2 or 3, not " + std::to_string(o.version);
  if (o.timeout.count() <= 0) return "timeout must be positive";
  if (o.retries < 0 || o.retries > 100) return "retries must be 0..100";
  if (o.max_repetitions > 65535) return "max_repetitions must be <= 65535";
  if (o.version == 3) {
    if (o.username.empty()) return "username is required for SNMPv3";
    if (o.username.size() > 32) return "username longer than 32 characters";
    if (o.security_level != SecurityLevel::kNoAuthNoPriv) {
      if (!OneOf(o.auth_protocol, kAuthNames) ||
          AuthProtoOid(o.auth_protocol).empty())
        return "unsupported auth_protocol \"" + o.auth_protocol + "\"";
      if (o.password.size() < 8)
        return "password must be at least 8 characters (RFC 3414)";
    }
    if (o.security_level == SecurityLevel::kAuthPriv) {
      if (!OneOf(o.priv_protocol, kPrivNames) ||
          PrivProtoOid(o.priv_protocol).empty())
        return "unsupported priv_protocol \"" + o.priv_protocol + "\"";
      if (o.priv_password.size() < 8)
        return "priv_password must be at least 8 characters (RFC 3414)";
    }
    if (o.context_engine_id.size() > 32)
      return "context engine id longer than 32 bytes";
  }
  return {};
}

std::string_view ErrorKindName(ErrorKind k) {
  switch (k) {
    case ErrorKind::kNone:
      return "none";
    case ErrorKind::kCancelled:
      return "cancelled";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kRefused:
      return "refused";
    case ErrorKind::kResolve:
      return "resolve";
    case ErrorKind::kConfig:
      return "config";
    case ErrorKind::kAuth:
      return "auth";
    case ErrorKind::kAgentError:
      return "agent_error";
    case ErrorKind::kNonIncreasing:
      return "non_increasing";
    case ErrorKind::kTransport:
      return "transport";
  }
  return "?";
}

// ---------------------------------------------------------------------------
// Engine::Core: caches shared by the sessions of one Engine, and the USM
// user list (process-wide in net-snmp, so its bookkeeping is static here).

struct EngineIdResult {
  bool ok = false;
  std::string engine_id;
  ErrorKind kind = ErrorKind::kNone;
  std::string error;
  uint32_t packets = 0, retries = 0;
  bool fresh = false;  // from a probe just answered, not the cache
};

class Engine::Core : public std::enable_shared_from_this<Engine::Core> {
 public:
  explicit Core(asio::io_context& io) : io_(io) {}

  asio::io_context& io() { return io_; }
  EngineStats& stats() { return stats_; }

  void ClearCaches() {
    engine_ids_.clear();
    keys_.clear();
  }

  // Ku for (auth protocol, password): generate_Ku costs milliseconds.
  // Empty on failure.
  const std::string& Ku(const std::string& auth_protocol,
                        const std::string& password) {
    std::string key = auth_protocol;
    key.push_back('\0');
    key += password;
    auto it = keys_.find(key);
    if (it != keys_.end()) return it->second;
    if (keys_.size() >= 4096) keys_.clear();  // bound it; cheap to refill
    std::vector<oid> proto = AuthProtoOid(auth_protocol);
    u_char ku[USM_AUTH_KU_LEN];
    size_t ku_len = sizeof(ku);
    std::string out;
    if (!proto.empty() &&
        generate_Ku(proto.data(), static_cast<u_int>(proto.size()),
                    reinterpret_cast<const u_char*>(password.data()),
                    password.size(), ku, &ku_len) == SNMPERR_SUCCESS)
      out.assign(reinterpret_cast<const char*>(ku), ku_len);
    ++stats_.keys_generated;
    stats_.keys_cached = keys_.size() + 1;
    return keys_.emplace(std::move(key), std::move(out)).first->second;
  }

  // The engine id of `peer` (a net-snmp peer string), discovering it with a
  // noAuthNoPriv probe when not known. `done` runs on the io_context.
  void EngineId(const std::string& peer, const sockaddr_storage& addr,
                socklen_t addr_len, bool connect, const SessionOptions& o,
                std::function<void(const EngineIdResult&)> done) {
    if (auto it = engine_ids_.find(peer); it != engine_ids_.end()) {
      EngineIdResult r;
      r.ok = true;
      r.engine_id = it->second;
      done(r);
      return;
    }
    auto [it, fresh] = discoveries_.try_emplace(peer);
    it->second.push_back(std::move(done));
    if (!fresh) return;
    ++stats_.discoveries;
    StartDiscovery(peer, addr, addr_len, connect, o);
  }

  void ForgetEngineId(const std::string& peer) {
    engine_ids_.erase(peer);
    stats_.engine_ids_cached = engine_ids_.size();
  }

  // --- USM users --------------------------------------------------------
  // net-snmp keeps one USM user per (engine id, name) for the whole process
  // and uses its keys for every message: two credential sets for one user
  // on one engine cannot be in flight together. An operation leases the
  // user with its credentials; a different set waits until the user is
  // free, then replaces it.
  struct Creds {
    std::string engine_id, name;
    SecurityLevel level;
    std::string auth_protocol, auth_ku, priv_protocol, priv_ku;
    std::string Fingerprint() const {
      std::string f = LevelName(level);
      for (const std::string* p :
           {&auth_protocol, &auth_ku, &priv_protocol, &priv_ku}) {
        f.push_back('\0');
        f += *p;
      }
      return f;
    }
  };

  // Runs `ready` (maybe at once) once the user holds `creds`; the caller
  // must Release() exactly once after `ready` ran. `ready(false, why)` when
  // the user cannot be installed.
  void Acquire(const Creds& creds,
               std::function<void(bool, const std::string&)> ready) {
    auto key = std::make_pair(creds.engine_id, creds.name);
    UserSlot& slot = users_[key];
    const std::string fp = creds.Fingerprint();
    if (slot.in_use > 0 && slot.fingerprint != fp) {
      slot.waiters.push_back({creds, std::move(ready)});
      return;
    }
    if (slot.fingerprint != fp || !UserPresent(creds)) {
      std::string why;
      if (!Install(creds, &why)) {
        ready(false, why);
        return;
      }
      slot.fingerprint = fp;
    }
    ++slot.in_use;
    ready(true, {});
  }

  void Release(const std::string& engine_id, const std::string& name) {
    auto it = users_.find({engine_id, name});
    if (it == users_.end()) return;
    UserSlot& slot = it->second;
    if (slot.in_use > 0) --slot.in_use;
    if (slot.in_use > 0 || slot.waiters.empty()) return;
    // Free: let the waiters try again (same credentials go together).
    std::deque<Waiter> waiters;
    waiters.swap(slot.waiters);
    asio::post(io_, [self = shared_from_this(),
                     waiters = std::move(waiters)]() mutable {
      for (auto& w : waiters) self->Acquire(w.creds, std::move(w.ready));
    });
  }

 private:
  struct Waiter {
    Creds creds;
    std::function<void(bool, const std::string&)> ready;
  };
  struct UserSlot {
    std::string fingerprint;
    int in_use = 0;
    std::deque<Waiter> waiters;
  };

  static bool UserPresent(const Creds& c) {
    return usm_get_user(reinterpret_cast<const u_char*>(c.engine_id.data()),
                        c.engine_id.size(), c.name.c_str()) != nullptr;
  }

  // Replaces net-snmp's user (engine id, name) with one made from `c`,
  // through net-snmp's own session-to-user code (key localization and the
  // AES-192/256 key extension included).
  bool Install(const Creds& c, std::string* why) {
    const auto* eid = reinterpret_cast<const u_char*>(c.engine_id.data());
    if (struct usmUser* old =
            usm_get_user(eid, c.engine_id.size(), c.name.c_str())) {
      usm_remove_user(old);
      usm_free_user(old);
      ++stats_.usm_users_replaced;
    }
    netsnmp_session s;
    snmp_sess_init(&s);
    s.version = SNMP_VERSION_3;
    s.securityModel = SNMP_SEC_MODEL_USM;
    s.securityName = const_cast<char*>(c.name.c_str());
    s.securityNameLen = c.name.size();
    s.securityLevel = NetSnmpLevel(c.level);
    s.securityEngineID = const_cast<u_char*>(eid);
    s.securityEngineIDLen = c.engine_id.size();
    std::vector<oid> auth = {usmNoAuthProtocol,
                             usmNoAuthProtocol + OID_LENGTH(usmNoAuthProtocol)};
    std::vector<oid> priv = {usmNoPrivProtocol,
                             usmNoPrivProtocol + OID_LENGTH(usmNoPrivProtocol)};
    if (c.level != SecurityLevel::kNoAuthNoPriv) {
      auth = AuthProtoOid(c.auth_protocol);
      if (c.auth_ku.empty() || c.auth_ku.size() > sizeof(s.securityAuthKey)) {
        *why = "cannot derive a key from the password";
        return false;
      }
      memcpy(s.securityAuthKey, c.auth_ku.data(), c.auth_ku.size());
      s.securityAuthKeyLen = c.auth_ku.size();
    }
    if (c.level == SecurityLevel::kAuthPriv) {
      priv = PrivProtoOid(c.priv_protocol);
      if (c.priv_ku.empty() || c.priv_ku.size() > sizeof(s.securityPrivKey)) {
        *why = "cannot derive a key from the priv_password";
        return false;
      }
      memcpy(s.securityPrivKey, c.priv_ku.data(), c.priv_ku.size());
      s.securityPrivKeyLen = c.priv_ku.size();
    }
    s.securityAuthProto = auth.data();
    s.securityAuthProtoLen = auth.size();
    s.securityPrivProto = priv.data();
    s.securityPrivProtoLen = priv.size();
    if (usm_create_user_from_session(&s) != SNMPERR_SUCCESS ||
        !UserPresent(c)) {
      *why = "net-snmp could not create the USM user";
      return false;
    }
    return true;
  }

  void StartDiscovery(const std::string& peer, const sockaddr_storage& addr,
                      socklen_t addr_len, bool connect,
                      const SessionOptions& o);

  void DiscoveryDone(const std::string& peer, const EngineIdResult& r) {
    probes_.erase(peer);
    if (r.ok) {
      engine_ids_[peer] = r.engine_id;
      stats_.engine_ids_cached = engine_ids_.size();
    }
    auto it = discoveries_.find(peer);
    if (it == discoveries_.end()) return;
    auto waiters = std::move(it->second);
    discoveries_.erase(it);
    for (auto& w : waiters) w(r);
  }

  asio::io_context& io_;
  EngineStats stats_;
  std::map<std::string, std::string> engine_ids_;  // peer -> engine id
  std::map<std::string, std::vector<std::function<void(const EngineIdResult&)>>>
      discoveries_;
  std::map<std::string, std::string> keys_;  // proto\0password -> Ku
  // Discovery transports in flight, by peer (type-erased: the Transport
  // class is local to this file).
  std::map<std::string, std::shared_ptr<void>> probes_;
  static inline std::map<std::pair<std::string, std::string>, UserSlot> users_;
};

namespace {

std::string ReportText(int report, const SessionOptions& o) {
  switch (report) {
    case SNMPERR_AUTHENTICATION_FAILURE:
      return "authentication failure (wrong password or auth_protocol for "
             "user " +
             o.username + ")";
    case SNMPERR_UNKNOWN_USER_NAME:
      return "unknown user name " + o.username;
    case SNMPERR_DECRYPTION_ERR:
      return "decryption error (wrong priv_password or priv_protocol for "
             "user " +
             o.username + ")";
    case SNMPERR_UNSUPPORTED_SEC_LEVEL:
      return "unsupported security level " + LevelName(o.security_level) +
             " for user " + o.username;
    case SNMPERR_NOT_IN_TIME_WINDOW:
      return "not in time window (the agent's boots/time did not settle)";
    case SNMPERR_UNKNOWN_ENG_ID:
      return "unknown engine id (the agent's engine id changed?)";
    case SNMPERR_BAD_CONTEXT:
      return "unknown context \"" + o.context_name + "\"";
    case SNMPERR_UNKNOWN_SEC_MODEL:
      return "agent does not support the user-based security model";
    case SNMPERR_INVALID_MSG:
      return "agent reported an invalid message";
    case SNMPERR_BAD_VERSION:
      return "agent has no handler for this PDU";
    default:
      return {};
  }
}

// ---------------------------------------------------------------------------
// Operations.

class Op;

class SessionImpl : public Session,
                    public std::enable_shared_from_this<SessionImpl> {
 public:
  SessionImpl(std::shared_ptr<Engine::Core> core, SessionOptions o, Target t)
      : core_(std::move(core)),
        opts_(std::move(o)),
        target_(std::move(t)),
        peer_(opts_.target),
        resolver_(core_->io()) {}
  ~SessionImpl() override {
    if (transport_) transport_->Close();
  }

  void Walk(Oid root, Completion done) override;
  void Get(std::vector<Oid> oids, Completion done) override;
  void Cancel() override;
  std::string peer() const override { return peer_; }

  const SessionOptions& options() const { return opts_; }
  Engine::Core& core() { return *core_; }
  asio::io_context& io() { return core_->io(); }
  const std::string& engine_id() const { return engine_id_; }
  bool cancelled() const { return state_ == State::kCancelled; }

  // Sends on the open transport.
  void Send(netsnmp_pdu* pdu, ReplyHandler h) {
    transport_->Send(pdu, std::move(h));
  }
  // Fills version/community/v3 fields of an outgoing PDU.
  netsnmp_pdu* NewPdu(int command) {
    netsnmp_pdu* pdu = snmp_pdu_create(command);
    return pdu;
  }

  void OpFinished(Op* op);
  std::string TimeoutText() const {
    std::string text = "timeout after " + std::to_string(opts_.retries) +
                       " retries (no answer from " + peer_;
    // An agent decrypting with the wrong key gets garbage and drops it
    // silently (no usmStatsDecryptionErrors report for AES).
    if (engine_answered_ && opts_.version == 3 &&
        opts_.security_level == SecurityLevel::kAuthPriv)
      text +=
          "; it answered SNMPv3 discovery just now, so a wrong priv_password "
          "or priv_protocol is likely";
    return text + ")";
  }
  // A terminal failure of the transport: the v3 engine id may be stale.
  void NoteTimeout() {
    if (opts_.version == 3) core_->ForgetEngineId(peer_);
  }

 private:
  enum class State { kNew, kPreparing, kReady, kFailed, kCancelled };
  friend class Op;

  void Start(std::shared_ptr<Op> op);
  void Prepare();
  void Resolved(const sockaddr* addr, socklen_t len);
  void CheckTcp();
  void Discover();
  void OpenTransport();
  void Fail(ErrorKind kind, std::string error);
  void RunWaiting();

  std::shared_ptr<Engine::Core> core_;
  SessionOptions opts_;
  Target target_;
  std::string peer_;
  State state_ = State::kNew;
  ErrorKind fail_kind_ = ErrorKind::kNone;
  std::string fail_error_;
  asio::ip::udp::resolver resolver_;
  std::unique_ptr<asio::ip::tcp::socket> tcp_check_;
  std::unique_ptr<asio::steady_timer> tcp_timer_;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  std::string engine_id_;
  bool engine_answered_ = false;
  std::shared_ptr<Transport> transport_;
  OpStats prep_stats_;  // discovery packets, charged to the first op
  std::vector<std::shared_ptr<Op>> waiting_;
  std::vector<std::shared_ptr<Op>> active_;
};

class Op : public std::enable_shared_from_this<Op> {
 public:
  Op(std::shared_ptr<SessionImpl> s, Completion done)
      : session_(std::move(s)),
        done_(std::move(done)),
        start_(SteadyClock::now()) {}
  virtual ~Op() = default;

  // The session is open; take the USM user (v3), then Run().
  void Begin() {
    if (finished_) return;
    const SessionOptions& o = session_->options();
    if (o.version != 3) {
      Run();
      return;
    }
    Engine::Core::Creds c;
    c.engine_id = session_->engine_id();
    c.name = o.username;
    c.level = o.security_level;
    if (o.security_level != SecurityLevel::kNoAuthNoPriv) {
      c.auth_protocol = o.auth_protocol;
      c.auth_ku = session_->core().Ku(o.auth_protocol, o.password);
    }
    if (o.security_level == SecurityLevel::kAuthPriv) {
      c.priv_protocol = o.priv_protocol;
      c.priv_ku = session_->core().Ku(o.auth_protocol, o.priv_password);
    }
    session_->core().Acquire(
        c, [self = shared_from_this()](bool ok, const std::string& why) {
          self->leased_ = true;
          if (self->finished_) {
            self->ReleaseLease();
            return;
          }
          if (!ok) {
            self->Finish(ErrorKind::kConfig, why);
            return;
          }
          self->Run();
        });
  }

  // Completes once: posts done_ with the result.
  void Finish(ErrorKind kind, std::string error) {
    if (finished_) return;
    finished_ = true;
    result_.error_kind = kind;
    result_.error = std::move(error);
    result_.stats.duration = SteadyClock::now() - start_;
    ReleaseLease();
    auto self = shared_from_this();
    session_->OpFinished(this);
    asio::post(session_->io(), [self] {
      Completion done = std::move(self->done_);
      OpResult r = std::move(self->result_);
      self->session_.reset();
      if (done) done(std::move(r));
    });
  }

  void Cancelled() {
    Finish(ErrorKind::kCancelled,
           "cancelled after " + FormatSeconds(SteadyClock::now() - start_) +
               " (" + std::to_string(result_.varbinds.size()) +
               " varbinds so far)");
  }

  void AddStats(const OpStats& s) {
    result_.stats.packets_sent += s.packets_sent;
    result_.stats.retries += s.retries;
  }

  bool finished() const { return finished_; }

 protected:
  virtual void Run() = 0;

  // Sends and routes the reply to OnResponse / a failure.
  void SendPdu(netsnmp_pdu* pdu) {
    ++result_.stats.packets_sent;
    session_->Send(
        pdu, [self = shared_from_this()](const Reply& r) { self->OnReply(r); });
  }

  virtual void OnResponse(netsnmp_pdu* pdu) = 0;

  void OnReply(const Reply& r) {
    if (finished_) return;
    const SessionOptions& o = session_->options();
    switch (r.kind) {
      case ReplyKind::kReport:
        return;
      case ReplyKind::kResend:
        ++result_.stats.packets_sent;
        ++result_.stats.retries;
        return;
      case ReplyKind::kTimeSync:
        ++result_.stats.packets_sent;
        return;
      case ReplyKind::kResponse:
        result_.stats.packet_seconds.push_back(r.seconds);
        OnResponse(r.pdu);
        return;
      case ReplyKind::kTimeout:
        session_->NoteTimeout();
        Finish(ErrorKind::kTimeout, session_->TimeoutText());
        return;
      case ReplyKind::kRefused:
        if (r.sys_errno == EPIPE) {
          Finish(ErrorKind::kRefused,
                 "connection to " + session_->peer() + " closed by the agent");
          return;
        }
        Finish(ErrorKind::kRefused,
               "connection refused by " + session_->peer() +
                   (r.sys_errno ? " (" + SysError(r.sys_errno) + ")" : ""));
        return;
      case ReplyKind::kSecError: {
        std::string text = ReportText(r.report, o);
        if (text.empty()) {
          const char* e = snmp_api_errstring(r.snmp_errno);
          text = std::string("SNMPv3 security error: ") + (e ? e : "?");
        }
        if (r.report == SNMPERR_UNKNOWN_ENG_ID)
          session_->core().ForgetEngineId(session_->peer());
        Finish(ErrorKind::kAuth, text);
        return;
      }
      case ReplyKind::kSendFailed: {
        std::string text = "send to " + session_->peer() + " failed";
        if (r.sys_errno) {
          text += ": " + SysError(r.sys_errno);
        } else if (r.snmp_errno) {
          const char* e = snmp_api_errstring(r.snmp_errno);
          text += std::string(": ") + (e ? e : "?");
        }
        Finish(r.sys_errno == ECONNREFUSED ? ErrorKind::kRefused
                                           : ErrorKind::kTransport,
               text);
        return;
      }
    }
  }

  // An outgoing request PDU with the session's v3 context, if any.
  netsnmp_pdu* NewPdu(int command) { return session_->NewPdu(command); }

  std::shared_ptr<SessionImpl> session_;
  OpResult result_;

 private:
  void ReleaseLease() {
    if (!leased_) return;
    leased_ = false;
    session_->core().Release(session_->engine_id(),
                             session_->options().username);
  }

  Completion done_;
  SteadyClock::time_point start_;
  bool finished_ = false;
  bool leased_ = false;
};

class WalkOp : public Op {
 public:
  WalkOp(std::shared_ptr<SessionImpl> s, Completion done, Oid root)
      : Op(std::move(s), std::move(done)), root_(std::move(root)) {
    cursor_ = root_;
  }

 private:
  void Run() override { SendNext(); }

  void SendNext() {
    ++requests_;
    const SessionOptions& o = session_->options();
    int command = SNMP_MSG_GETBULK;
    if (get_mode_)
      command = SNMP_MSG_GET;
    else if (o.version == 1)
      command = SNMP_MSG_GETNEXT;
    netsnmp_pdu* pdu = NewPdu(command);
    if (command == SNMP_MSG_GETBULK) {
      pdu->errstat = 0;  // non-repeaters
      pdu->errindex =    // max-repetitions
          o.max_repetitions == 0
              ? 50
              : static_cast<long>(o.max_repetitions);  // gosnmp
    }
    std::vector<oid> name = FromOid(cursor_);
    snmp_add_null_var(pdu, name.data(), name.size());
    SendPdu(pdu);
  }

  void OnResponse(netsnmp_pdu* pdu) override {
    // gosnmp ends a walk quietly on an error status (v1's noSuchName at the
    // end of the MIB) or an empty response.
    if (pdu->errstat != SNMP_ERR_NOERROR || pdu->variables == nullptr) {
      Finish(ErrorKind::kNone, {});
      return;
    }
    const bool check = !session_->options().allow_nonincreasing_oids;
    int i = 0;
    Oid last;
    for (netsnmp_variable_list* v = pdu->variables; v != nullptr;
         v = v->next_variable, ++i) {
      if (IsException(v->type)) {
        Finish(ErrorKind::kNone, {});
        return;
      }
      Oid name = ToOid(v->name, v->name_length);
      if (!IsUnder(root_, name)) {
        if (requests_ == 1 && i == 0 && !get_mode_) {
          // The root is an instance (e.g. sysUpTime.0): GET it.
          get_mode_ = true;
          cursor_ = root_;
          SendNext();
          return;
        }
        if (name == root_ && v->type != SNMP_NOSUCHINSTANCE)
          result_.varbinds.push_back(ToVarbind(v));
        Finish(ErrorKind::kNone, {});
        return;
      }
      if (check && CompareOid(cursor_, name) >= 0) {
        Finish(ErrorKind::kNonIncreasing,
               "OID not increasing: " + DottedOid(cursor_) +
                   " >= " + DottedOid(name) +
                   " (allow_nonincreasing_oids: true accepts this agent)");
        return;
      }
      result_.varbinds.push_back(ToVarbind(v));
      last = std::move(name);
    }
    cursor_ = std::move(last);
    SendNext();
  }

  Oid root_, cursor_;
  int requests_ = 0;
  bool get_mode_ = false;
};

class GetOp : public Op {
 public:
  GetOp(std::shared_ptr<SessionImpl> s, Completion done, std::vector<Oid> oids)
      : Op(std::move(s), std::move(done)), oids_(std::move(oids)) {
    const SessionOptions& o = session_->options();
    batch_ = o.max_repetitions == 0 || o.version == 1 ? 1 : o.max_repetitions;
  }

 private:
  void Run() override { SendNext(); }

  void SendNext() {
    if (next_ >= oids_.size()) {
      Finish(ErrorKind::kNone, {});
      return;
    }
    netsnmp_pdu* pdu = NewPdu(SNMP_MSG_GET);
    sent_ = std::min(batch_, oids_.size() - next_);
    for (size_t i = next_; i < next_ + sent_; ++i) {
      std::vector<oid> name = FromOid(oids_[i]);
      snmp_add_null_var(pdu, name.data(), name.size());
    }
    SendPdu(pdu);
  }

  void OnResponse(netsnmp_pdu* pdu) override {
    const int version = session_->options().version;
    if (pdu->errstat == SNMP_ERR_NOSUCHNAME && version == 1) {
      // v1 reports an unknown OID as an error: skip it, like upstream.
    } else if (pdu->errstat != SNMP_ERR_NOERROR) {
      std::string where;
      if (pdu->errindex > 0 && static_cast<size_t>(pdu->errindex) <= sent_)
        where = " for " + DottedOid(oids_[next_ + pdu->errindex - 1]);
      Finish(ErrorKind::kAgentError, "error reported by target " +
                                         session_->peer() + ": " +
                                         ErrStatusName(pdu->errstat) + where);
      return;
    } else {
      for (netsnmp_variable_list* v = pdu->variables; v != nullptr;
           v = v->next_variable)
        if (!IsException(v->type)) result_.varbinds.push_back(ToVarbind(v));
    }
    next_ += sent_;
    SendNext();
  }

  std::vector<Oid> oids_;
  size_t batch_ = 1, next_ = 0, sent_ = 0;
};

// ---------------------------------------------------------------------------
// SessionImpl.

void SessionImpl::Walk(Oid root, Completion done) {
  Start(std::make_shared<WalkOp>(shared_from_this(), std::move(done),
                                 std::move(root)));
}

void SessionImpl::Get(std::vector<Oid> oids, Completion done) {
  Start(std::make_shared<GetOp>(shared_from_this(), std::move(done),
                                std::move(oids)));
}

void SessionImpl::Start(std::shared_ptr<Op> op) {
  switch (state_) {
    case State::kCancelled:
      active_.push_back(op);
      op->Cancelled();
      return;
    case State::kFailed:
      active_.push_back(op);
      op->Finish(fail_kind_, fail_error_);
      return;
    case State::kReady:
      if (transport_ == nullptr || transport_->closed()) {
        // The socket died (refused/reset): open a new one.
        state_ = State::kPreparing;
        waiting_.push_back(op);
        OpenTransport();
        return;
      }
      active_.push_back(op);
      op->Begin();
      return;
    case State::kPreparing:
      waiting_.push_back(op);
      return;
    case State::kNew:
      waiting_.push_back(op);
      state_ = State::kPreparing;
      Prepare();
      return;
  }
}

void SessionImpl::OpFinished(Op* op) {
  auto drop = [op](std::vector<std::shared_ptr<Op>>& v) {
    v.erase(std::remove_if(v.begin(), v.end(),
                           [op](const auto& p) { return p.get() == op; }),
            v.end());
  };
  drop(active_);
  drop(waiting_);
}

void SessionImpl::Cancel() {
  if (state_ == State::kCancelled) return;
  state_ = State::kCancelled;
  boost::system::error_code ec;
  resolver_.cancel();
  if (tcp_check_) tcp_check_->close(ec);
  if (tcp_timer_) tcp_timer_->cancel();
  auto ops = std::move(active_);
  for (auto& op : waiting_) ops.push_back(op);
  waiting_.clear();
  for (auto& op : ops) op->Cancelled();
  if (transport_) transport_->Close();
}

void SessionImpl::Fail(ErrorKind kind, std::string error) {
  state_ = State::kFailed;
  fail_kind_ = kind;
  fail_error_ = std::move(error);
  auto ops = std::move(waiting_);
  waiting_.clear();
  bool first = true;
  for (auto& op : ops) {
    if (first) op->AddStats(prep_stats_);
    first = false;
    active_.push_back(op);
    op->Finish(fail_kind_, fail_error_);
  }
}

void SessionImpl::Prepare() {
  // Numeric hosts need no resolver (and no thread).
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST;
  hints.ai_family = target_.family == 4   ? AF_INET
                    : target_.family == 6 ? AF_INET6
                                          : AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(target_.host.c_str(), nullptr, &hints, &res) == 0 && res) {
    sockaddr_storage ss{};
    socklen_t len = res->ai_addrlen;
    memcpy(&ss, res->ai_addr, len);
    freeaddrinfo(res);
    Resolved(reinterpret_cast<sockaddr*>(&ss), len);
    return;
  }
  if (res) freeaddrinfo(res);
  // A name: Asio's resolver (getaddrinfo on its one internal thread).
  resolver_.async_resolve(
      target_.host, std::to_string(target_.port),
      [self = shared_from_this()](
          const boost::system::error_code& ec,
          asio::ip::udp::resolver::results_type results) {
        if (self->state_ != State::kPreparing) return;
        if (ec) {
          self->Fail(ErrorKind::kResolve, "cannot resolve host \"" +
                                              self->target_.host +
                                              "\": " + ec.message());
          return;
        }
        for (const auto& entry : results) {
          const auto ep = entry.endpoint();
          if ((self->target_.family == 4 && !ep.address().is_v4()) ||
              (self->target_.family == 6 && !ep.address().is_v6()))
            continue;
          self->Resolved(ep.data(), static_cast<socklen_t>(ep.size()));
          return;
        }
        self->Fail(ErrorKind::kResolve, "cannot resolve host \"" +
                                            self->target_.host +
                                            "\": no address of that family");
      });
}

void SessionImpl::Resolved(const sockaddr* addr, socklen_t len) {
  memcpy(&addr_, addr, len);
  addr_len_ = len;
  const bool v6 = addr->sa_family == AF_INET6;
  if (v6)
    reinterpret_cast<sockaddr_in6*>(&addr_)->sin6_port = htons(target_.port);
  else
    reinterpret_cast<sockaddr_in*>(&addr_)->sin_port = htons(target_.port);
  char host[NI_MAXHOST];
  if (getnameinfo(reinterpret_cast<sockaddr*>(&addr_), addr_len_, host,
                  sizeof(host), nullptr, 0, NI_NUMERICHOST) != 0) {
    Fail(ErrorKind::kResolve, "cannot format the address of " + target_.host);
    return;
  }
  peer_ = target_.transport + (v6 ? "6:[" : ":") + host + (v6 ? "]:" : ":") +
          std::to_string(target_.port);
  if (target_.transport == "tcp")
    CheckTcp();
  else
    Discover();
}

// net-snmp's TCP transport connect()s blocking; a black-holed host would
// stall the loop for minutes. Connect once asynchronously, with the PDU
// timeout, before letting net-snmp connect.
void SessionImpl::CheckTcp() {
  auto ep = asio::ip::tcp::endpoint();
  memcpy(ep.data(), &addr_, addr_len_);
  ep.resize(addr_len_);
  tcp_check_ = std::make_unique<asio::ip::tcp::socket>(io());
  tcp_timer_ = std::make_unique<asio::steady_timer>(io());
  tcp_timer_->expires_after(opts_.timeout);
  tcp_timer_->async_wait(
      [self = shared_from_this()](boost::system::error_code ec) {
        if (ec || !self->tcp_check_) return;
        boost::system::error_code ignored;
        self->tcp_check_->close(ignored);
      });
  tcp_check_->async_connect(ep, [self = shared_from_this()](
                                    boost::system::error_code ec) {
    if (self->state_ != State::kPreparing) return;
    self->tcp_timer_->cancel();
    boost::system::error_code ignored;
    self->tcp_check_->close(ignored);
    self->tcp_check_.reset();
    if (ec == asio::error::operation_aborted) {
      self->Fail(ErrorKind::kTimeout, "TCP connect to " + self->peer_ +
                                          " timed out after " +
                                          FormatSeconds(self->opts_.timeout));
      return;
    }
    if (ec) {
      self->Fail(ec == asio::error::connection_refused ? ErrorKind::kRefused
                                                       : ErrorKind::kTransport,
                 "TCP connect to " + self->peer_ + ": " + ec.message());
      return;
    }
    self->Discover();
  });
}

void SessionImpl::Discover() {
  if (opts_.version != 3) {
    OpenTransport();
    return;
  }
  const bool connect =
      target_.transport == "udp" && !opts_.use_unconnected_udp_socket;
  core_->EngineId(peer_, addr_, addr_len_, connect, opts_,
                  [self = shared_from_this()](const EngineIdResult& r) {
                    self->prep_stats_.packets_sent += r.packets;
                    self->prep_stats_.retries += r.retries;
                    if (self->state_ != State::kPreparing) return;
                    if (!r.ok) {
                      self->Fail(r.kind, r.error);
                      return;
                    }
                    self->engine_id_ = r.engine_id;
                    self->engine_answered_ = r.fresh;
                    self->OpenTransport();
                  });
}

void SessionImpl::OpenTransport() {
  netsnmp_session s;
  BaseSession(&s, opts_, peer_);
  std::string community = opts_.community;
  switch (opts_.version) {
    case 1:
      s.version = SNMP_VERSION_1;
      break;
    case 2:
      s.version = SNMP_VERSION_2c;
      break;
    default:
      s.version = SNMP_VERSION_3;
      break;
  }
  std::vector<oid> auth, priv;
  if (opts_.version != 3) {
    s.community = reinterpret_cast<u_char*>(community.data());
    s.community_len = community.size();
  } else {
    s.securityModel = SNMP_SEC_MODEL_USM;
    s.securityName = const_cast<char*>(opts_.username.c_str());
    s.securityNameLen = opts_.username.size();
    s.securityLevel = NetSnmpLevel(opts_.security_level);
    s.securityEngineID =
        reinterpret_cast<u_char*>(const_cast<char*>(engine_id_.data()));
    s.securityEngineIDLen = engine_id_.size();
    if (!opts_.context_engine_id.empty()) {
      s.contextEngineID = reinterpret_cast<u_char*>(
          const_cast<char*>(opts_.context_engine_id.data()));
      s.contextEngineIDLen = opts_.context_engine_id.size();
    }
    s.contextName = const_cast<char*>(opts_.context_name.c_str());
    s.contextNameLen = opts_.context_name.size();
    if (opts_.security_level != SecurityLevel::kNoAuthNoPriv) {
      auth = AuthProtoOid(opts_.auth_protocol);
      s.securityAuthProto = auth.data();
      s.securityAuthProtoLen = auth.size();
    }
    if (opts_.security_level == SecurityLevel::kAuthPriv) {
      priv = PrivProtoOid(opts_.priv_protocol);
      s.securityPrivProto = priv.data();
      s.securityPrivProtoLen = priv.size();
    }
    // Users are ours (Engine::Core::Acquire): no keys in the session, and
    // no user created from it. The engine id is preset: no blocking probe.
    s.flags |= SNMP_FLAGS_USER_CREATED | SNMP_FLAGS_DONT_PROBE;
  }
  const bool connect =
      target_.transport == "udp" && !opts_.use_unconnected_udp_socket;
  std::string error;
  transport_ = Transport::Open(
      io(), &s, connect ? reinterpret_cast<sockaddr*>(&addr_) : nullptr,
      addr_len_, &error);
  if (!transport_) {
    Fail(ErrorKind::kTransport, error);
    return;
  }
  state_ = State::kReady;
  core_->stats().sessions_open = Transport::open_count;
  RunWaiting();
}

void SessionImpl::RunWaiting() {
  auto ops = std::move(waiting_);
  waiting_.clear();
  bool first = true;
  for (auto& op : ops) {
    if (first) op->AddStats(prep_stats_);
    first = false;
    prep_stats_ = {};
    active_.push_back(op);
    op->Begin();
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Discovery: a noAuthNoPriv GET with no varbinds and an empty user name on a
// throwaway session; the REPORT (usmStatsUnknownEngineIDs) carries the
// agent's engine id. net-snmp's own probe would block in its select loop.

void Engine::Core::StartDiscovery(const std::string& peer,
                                  const sockaddr_storage& addr,
                                  socklen_t addr_len, bool connect,
                                  const SessionOptions& o) {
  netsnmp_session s;
  BaseSession(&s, o, peer);
  s.version = SNMP_VERSION_3;
  s.securityModel = SNMP_SEC_MODEL_USM;
  s.securityLevel = SNMP_SEC_LEVEL_NOAUTH;
  std::string error;
  auto t = Transport::Open(
      io_, &s, connect ? reinterpret_cast<const sockaddr*>(&addr) : nullptr,
      addr_len, &error);
  if (!t) {
    EngineIdResult r;
    r.kind = ErrorKind::kTransport;
    r.error = error;
    DiscoveryDone(peer, r);
    return;
  }
  // snmp_sess_open cleared it; without it async_send probes synchronously.
  snmp_sess_session(t->session())->flags |= SNMP_FLAGS_DONT_PROBE;
  netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_GET);
  pdu->version = SNMP_VERSION_3;
  pdu->securityModel = SNMP_SEC_MODEL_USM;
  pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
  pdu->securityName = strdup("");
  pdu->securityNameLen = 0;
  auto state = std::make_shared<EngineIdResult>();
  state->packets = 1;
  const int retries = o.retries;
  probes_[peer] = t;
  t->Send(pdu, [self = shared_from_this(), wt = std::weak_ptr<Transport>(t),
                state, peer, retries](const Reply& r) {
    if (r.pdu != nullptr && r.pdu->securityEngineIDLen > 0 &&
        state->engine_id.empty())
      state->engine_id.assign(
          reinterpret_cast<const char*>(r.pdu->securityEngineID),
          r.pdu->securityEngineIDLen);
    switch (r.kind) {
      case ReplyKind::kReport:
        return;
      case ReplyKind::kResend:
      case ReplyKind::kTimeSync:
        ++state->packets;
        ++state->retries;
        return;
      case ReplyKind::kTimeout:
        state->kind = ErrorKind::kTimeout;
        state->error = "timeout after " + std::to_string(retries) +
                       " retries (no answer from " + peer +
                       " to SNMPv3 engine-id discovery)";
        break;
      case ReplyKind::kRefused:
        state->kind = ErrorKind::kRefused;
        state->error = "connection refused by " + peer;
        break;
      case ReplyKind::kSendFailed:
        state->kind = ErrorKind::kTransport;
        state->error = "send to " + peer + " failed" +
                       (r.sys_errno ? ": " + SysError(r.sys_errno) : "");
        break;
      case ReplyKind::kResponse:
      case ReplyKind::kSecError:
        if (state->engine_id.empty()) {
          state->kind = ErrorKind::kAuth;
          state->error = "SNMPv3 engine-id discovery: " + peer +
                         " answered without an engine id";
        }
        break;
    }
    state->ok = !state->engine_id.empty() && state->kind == ErrorKind::kNone;
    state->fresh = state->ok;
    if (auto probe = wt.lock()) probe->Close();
    asio::post(self->io_,
               [self, state, peer] { self->DiscoveryDone(peer, *state); });
  });
}

// ---------------------------------------------------------------------------
// Engine.

Engine::Engine(asio::io_context& io) {
  ClaimIo(io);
  std::call_once(g_init_once, InitNetSnmp);
  core_ = std::make_shared<Core>(io);
}

Engine::~Engine() { ReleaseIo(); }

std::shared_ptr<Session> Engine::NewSession(const SessionOptions& options,
                                            std::string* error) {
  std::string err = ValidateOptions(options);
  if (!err.empty()) {
    if (error) *error = err;
    return nullptr;
  }
  auto target = ParseTarget(options.target, &err);
  return std::make_shared<SessionImpl>(core_, options, std::move(*target));
}

EngineStats Engine::stats() const {
  EngineStats s = core_->stats();
  s.sessions_open = Transport::open_count;
  return s;
}

void Engine::ClearCaches() { core_->ClearCaches(); }

std::string Engine::InitNote() { return g_init_note; }

void Engine::SetLogSink(std::function<void(int, std::string_view)> sink) {
  static std::function<void(int, std::string_view)> holder;
  holder = std::move(sink);
  g_log_sink = &holder;
}

}  // namespace exporterd::snmp
