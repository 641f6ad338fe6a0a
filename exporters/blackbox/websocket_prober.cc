// The websocket prober: upstream's prober/websocket.go (blackbox_exporter
// at the 0.28.0 VERSION's main branch, e39d7d4; gorilla/websocket's client)
// on Boost.Beast's websocket client, on the probe's loop (asynchronous
// operations only).
//
// Target ws://host[:port]/path or wss:// (websocket_url.h). The host is
// resolved with chooseProtocol (its series), the TLS configuration of
// http_config is used for wss (no TLS series, as upstream), the opening
// handshake carries basic_auth / authorization and `headers`. Then each
// query_response entry: with `expect`, the next data message (text or
// binary; Beast reassembles fragments and answers pings) must match it
// (unanchored, the whole message); `send` (expanded from expect's groups)
// goes out as one text message. expect_bytes, labels and starttls do not
// apply (upstream ignores them).
//
// Series: probe_websocket_status_code (the handshake answer's status, 0
// without one), probe_websocket_connection_upgraded,
// probe_websocket_failed_due_to_regex (1 when a query_response entry
// failed, a read error included, as upstream) and
// probe_websocket_duration_seconds{phase}: resolve (after a resolution),
// connect (after a TCP connect), processing (TLS + HTTP upgrade: the dial
// minus connect, always once the dial was tried), transfer (with
// query_response, once upgraded).
#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <variant>

#include "exporterd/asio_ssl.h"
#include "probe.h"
#include "websocket_url.h"
// Beast after Asio (exporterd/asio.h: Asio's statics are the daemon's).
// clang-format off
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
// clang-format on

namespace exporterd::blackbox {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace bws = beast::websocket;
using asio::ip::tcp;
using websocket::EqualFold;
using PlainWs = bws::stream<beast::tcp_stream>;
using TlsWs = bws::stream<beast::ssl_stream<beast::tcp_stream>>;

double Since(ProbeClock::time_point t) {
  return std::chrono::duration<double>(ProbeClock::now() - t).count();
}

std::string Trim(std::string s) {
  const char* sp = " \t\n\r\v\f";
  size_t b = s.find_first_not_of(sp);
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(sp);
  return s.substr(b, e - b + 1);
}

// Small credential files, read as upstream does on each probe.
bool ReadSmallFile(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// gorilla's CloseError text: "websocket: close 1000 (normal): bye" (1005:
// the close frame had no code).
std::string CloseErrorText(int code, std::string_view text) {
  static const std::pair<int, const char*> kNames[] = {
      {1000, "normal"},
      {1001, "going away"},
      {1002, "protocol error"},
      {1003, "unsupported data"},
      {1005, "no status"},
      {1006, "abnormal closure"},
      {1007, "invalid payload data"},
      {1008, "policy violation"},
      {1009, "message too big"},
      {1010, "mandatory extension missing"},
      {1011, "internal server error"},
      {1015, "TLS handshake error"}};
  std::string s = "websocket: close " + std::to_string(code);
  for (const auto& [c, name] : kNames)
    if (c == code) s += std::string(" (") + name + ")";
  if (!text.empty()) s += ": " + std::string(text);
  return s;
}

// Go's words for a connection that ended early.
std::string ReadError(const boost::system::error_code& ec) {
  if (ec == asio::error::eof || ec == http::error::end_of_stream ||
      ec == http::error::partial_message ||
      ec == asio::ssl::error::stream_truncated)
    return "unexpected EOF";
  return ec.message();
}

class WsRun : public std::enable_shared_from_this<WsRun> {
 public:
  explicit WsRun(std::shared_ptr<ProbeRun> run)
      : run_(std::move(run)),
        cfg_(run_->module().websocket),
        sock_(run_->io()) {}

  void Start();

 private:
  std::vector<std::pair<std::string, std::string>> Headers();
  void Dial(const asio::ip::address& ip);
  void Handshake();
  void Upgraded();
  void Step();
  void NextMessage(std::function<void(std::string)> got);
  void DialFailed(const std::string& err, const char* why);
  void QueryFailed(const char* msg, const std::string& err, const char* why);
  void Done(bool success);
  // The TCP socket: sock_ until the websocket stream owns it.
  tcp::socket& Socket();
  // Calls f with the websocket stream (plain or TLS) once there is one.
  template <class F>
  void WithStream(F&& f) {
    if (auto* p = std::get_if<std::unique_ptr<PlainWs>>(&ws_)) return f(**p);
    if (auto* t = std::get_if<std::unique_ptr<TlsWs>>(&ws_)) return f(**t);
  }

  std::shared_ptr<ProbeRun> run_;
  const WebsocketProbe& cfg_;
  websocket::Url url_;
  std::shared_ptr<SSL_CTX> ctx_;
  std::unique_ptr<asio::ssl::context> asio_ctx_;  // outlives the stream
  tcp::socket sock_;                              // connected, then moved
  std::variant<std::monostate, std::unique_ptr<PlainWs>, std::unique_ptr<TlsWs>>
      ws_;
  bws::response_type response_;  // the handshake answer
  beast::flat_buffer message_;   // the message being read
  std::string out_;              // the message being sent
  size_t step_ = 0;
  ProbeClock::time_point dial_start_, transfer_start_;
  double connect_seconds_ = 0;
  int status_ = 0;
  bool upgraded_ = false, failed_regex_ = false;
  std::vector<std::pair<std::string, double>> phases_;
  std::vector<std::pair<std::string, std::string>> headers_;  // read once
};

tcp::socket& WsRun::Socket() {
  if (auto* p = std::get_if<std::unique_ptr<PlainWs>>(&ws_))
    return beast::get_lowest_layer(**p).socket();
  if (auto* t = std::get_if<std::unique_ptr<TlsWs>>(&ws_))
    return beast::get_lowest_layer(**t).socket();
  return sock_;
}

void WsRun::Start() {
  auto& log = run_->log();
  auto self = shared_from_this();
  run_->OnAbort([self] {
    boost::system::error_code ec;
    self->Socket().close(ec);
    self->Done(false);
  });
  if (!run_->module().unsupported_reason.empty()) {
    log.Error("Probe not supported by this build",
              {{"err", run_->module().unsupported_reason}});
    run_->Fail(reason::kUnsupported);
    return Done(false);
  }
  std::string err;
  auto u = websocket::ParseUrl(run_->target(), &err);
  if (!u) {
    // Go's url.Parse accepts more than ws/wss URLs; gorilla's dialer then
    // refuses them, after the resolution. Both end here.
    log.Error("Error dialing websocket", {{"err", err}});
    run_->Fail(reason::kTarget);
    return Done(false);
  }
  url_ = *u;
  log.Debug("probing websocket", {{"target", run_->target()}});
  ctx_ = MakeClientContext(cfg_.http_config.tls_config, &err);
  if (!ctx_) {
    log.Error("Error creating TLS config", {{"err", err}});
    run_->Fail(reason::kConfig);
    return Done(false);
  }
  ChooseProtocol(run_, url_.host, cfg_.preferred_ip_protocol,
                 cfg_.ip_protocol_fallback,
                 [self](std::optional<asio::ip::address> ip, double lookup) {
                   if (!ip) {
                     self->run_->log().Error("Error resolving address",
                                             {{"err", "resolution failed"}});
                     return self->Done(false);
                   }
                   self->phases_.emplace_back("resolve", lookup);
                   self->Dial(*ip);
                 });
}

// constructHeadersFromConfig: basic_auth, authorization, then `headers`.
std::vector<std::pair<std::string, std::string>> WsRun::Headers() {
  auto& log = run_->log();
  std::vector<std::pair<std::string, std::string>> h;
  const auto& hc = cfg_.http_config;
  if (hc.basic_auth) {
    const BasicAuth& b = *hc.basic_auth;
    std::string user = b.username, pass = b.password.value, s;
    if (!b.username_file.empty()) {
      if (ReadSmallFile(b.username_file, &s))
        user = Trim(s);
      else
        log.Error("Unable to read basic auth username file",
                  {{"file", b.username_file}});
    }
    if (!b.password_file.empty()) {
      if (ReadSmallFile(b.password_file, &s))
        pass = Trim(s);
      else
        log.Error("Unable to read basic auth password file",
                  {{"file", b.password_file}});
    }
    h.emplace_back("Authorization", "Basic " + Base64(user + ":" + pass));
  }
  if (hc.authorization) {
    const Authorization& a = *hc.authorization;
    std::string cred = a.credentials.value, s;
    if (!a.credentials_file.empty()) {
      if (ReadSmallFile(a.credentials_file, &s))
        cred = Trim(s);
      else
        log.Error("Unable to read authorization credentials file",
                  {{"file", a.credentials_file}});
    }
    if (!cred.empty())
      h.emplace_back("Authorization",
                     (a.type.empty() ? "Bearer" : a.type) + " " + cred);
  }
  for (const auto& [name, v] : cfg_.headers) {
    const std::string key = CanonicalHeaderKey(name);
    for (const auto& x : v.values) h.emplace_back(key, x);
    for (const auto& x : v.secrets) h.emplace_back(key, x.value);
    for (const auto& file : v.files) {
      std::string s;
      if (!ReadSmallFile(file, &s)) {
        log.Error("Unable to read header file", {{"file", file}});
        continue;
      }
      h.emplace_back(key, Trim(s));
    }
  }
  return h;
}

void WsRun::Dial(const asio::ip::address& ip) {
  auto& log = run_->log();
  dial_start_ = ProbeClock::now();
  // gorilla refuses to let these be set by the caller.
  headers_ = Headers();
  for (const auto& [name, value] : headers_) {
    for (const char* k : {"Upgrade", "Connection", "Sec-Websocket-Key",
                          "Sec-Websocket-Version", "Sec-Websocket-Extensions"})
      if (EqualFold(name, k))
        return DialFailed("websocket: duplicate header not allowed: " +
                              CanonicalHeaderKey(name),
                          reason::kConfig);
  }
  uint16_t port = url_.tls ? 443 : 80;
  if (!url_.port.empty()) {
    unsigned long p = std::stoul(url_.port.substr(0, 6));
    if (p > 65535)
      return DialFailed("dial tcp: address " + url_.port + ": invalid port",
                        reason::kTarget);
    port = static_cast<uint16_t>(p);
  }
  tcp::endpoint ep(ip, port);
  log.Debug("Dialing websocket", {{"address", ep.address().to_string() + ":" +
                                                  std::to_string(ep.port())}});
  auto self = shared_from_this();
  const auto t0 = ProbeClock::now();
  sock_.async_connect(ep, [self, t0, ep](const boost::system::error_code& ec) {
    if (self->run_->finished()) return;
    if (ec) {
      std::string addr = ep.address().is_v6()
                             ? "[" + ep.address().to_string() + "]"
                             : ep.address().to_string();
      return self->DialFailed("dial tcp " + addr + ":" +
                                  std::to_string(ep.port()) +
                                  ": connect: " + ec.message(),
                              reason::kConnect);
    }
    self->connect_seconds_ = Since(t0);
    self->phases_.emplace_back("connect", self->connect_seconds_);
    if (!self->url_.tls) {
      self->ws_ = std::make_unique<PlainWs>(std::move(self->sock_));
      return self->Handshake();
    }
    SSL_CTX_up_ref(self->ctx_.get());
    self->asio_ctx_ = std::make_unique<asio::ssl::context>(self->ctx_.get());
    auto tls =
        std::make_unique<TlsWs>(std::move(self->sock_), *self->asio_ctx_);
    auto& ssl = tls->next_layer();
    self->ws_ = std::move(tls);
    const TlsConfig& tc = self->cfg_.http_config.tls_config;
    ConfigureTlsClient(
        ssl.native_handle(), tc,
        tc.server_name.empty() ? self->url_.host : tc.server_name);
    ssl.async_handshake(
        asio::ssl::stream_base::client,
        [self, &ssl](const boost::system::error_code& hec) {
          if (self->run_->finished()) return;
          if (hec) {
            long vr = SSL_get_verify_result(ssl.native_handle());
            std::string err =
                vr != X509_V_OK
                    ? std::string("tls: failed to verify certificate: ") +
                          X509_verify_cert_error_string(vr)
                    : "tls: " + hec.message();
            return self->DialFailed(err, reason::kTls);
          }
          self->run_->log().Debug("TLS Handshake (client) succeeded.");
          self->Handshake();
        });
  });
}

// The opening handshake: Beast's request (Host, Upgrade, Connection,
// Sec-WebSocket-Key/-Version) plus gorilla's User-Agent and the configured
// headers; Beast checks the answer as gorilla does (101, Upgrade,
// Connection, Sec-WebSocket-Accept) and hands it over even when it is no
// upgrade.
void WsRun::Handshake() {
  std::string host = url_.host_header;
  bool agent = false;
  for (const auto& [name, value] : headers_) {
    if (EqualFold(name, "Host")) host = value;
    if (EqualFold(name, "User-Agent")) agent = true;
  }
  auto decorate = [headers = headers_, agent](bws::request_type& req) {
    req.erase(http::field::user_agent);
    if (!agent) req.set(http::field::user_agent, "Go-http-client/1.1");
    for (const auto& [name, value] : headers)
      if (!EqualFold(name, "Host")) req.insert(name, value);
  };
  response_.result(0u);  // stays 0 unless an answer is read
  auto self = shared_from_this();
  WithStream([&](auto& ws) {
    // No timers of Beast's own: the probe's deadline bounds every step.
    ws.set_option(bws::stream_base::timeout{bws::stream_base::none(),
                                            bws::stream_base::none(), false});
    ws.set_option(bws::stream_base::decorator(decorate));
    ws.async_handshake(
        response_, host, url_.request_uri,
        [self](const boost::system::error_code& ec) {
          if (self->run_->finished()) return;
          self->status_ = static_cast<int>(self->response_.result_int());
          if (self->status_ != 0)
            self->run_->log().Debug(
                "Handshake answered",
                {{"status", std::to_string(self->status_)}});
          if (!ec) return self->Upgraded();
          if (ec == bws::condition::handshake_failed)
            return self->DialFailed(
                "websocket: bad handshake",
                self->status_ != 101 ? reason::kHttpStatus : reason::kOther);
          self->DialFailed(ReadError(ec), reason::kIo);
        });
  });
}

void WsRun::DialFailed(const std::string& err, const char* why) {
  if (run_->finished()) return;
  // The processing phase: the whole dial minus the TCP connect.
  phases_.emplace_back("processing",
                       std::max(0.0, Since(dial_start_) - connect_seconds_));
  run_->log().Error("Error dialing websocket", {{"err", err}});
  run_->Fail(why);
  Done(false);
}

void WsRun::Upgraded() {
  phases_.emplace_back("processing",
                       std::max(0.0, Since(dial_start_) - connect_seconds_));
  upgraded_ = true;
  run_->log().Debug("Websocket connection upgraded");
  transfer_start_ = ProbeClock::now();
  Step();
}

// The next data message (Beast answers pings, skips pongs and reassembles
// fragments); a close from the server (Beast answers it) or a protocol
// error ends the probe.
void WsRun::NextMessage(std::function<void(std::string)> got) {
  auto self = shared_from_this();
  message_.clear();
  WithStream([&](auto& ws) {
    ws.async_read(message_, [self, &ws, got = std::move(got)](
                                const boost::system::error_code& ec, size_t) {
      if (self->run_->finished()) return;
      if (ec == bws::error::closed) {
        const bws::close_reason& cr = ws.reason();
        const int code = cr.code == bws::close_code::none ? 1005 : cr.code;
        return self->QueryFailed("Error reading message",
                                 CloseErrorText(code, cr.reason), reason::kIo);
      }
      if (ec)
        return self->QueryFailed("Error reading message", ReadError(ec),
                                 reason::kIo);
      got(beast::buffers_to_string(self->message_.data()));
    });
  });
}

void WsRun::Step() {
  if (run_->finished()) return;
  if (step_ >= cfg_.query_response.size()) {
    if (!cfg_.query_response.empty())
      phases_.emplace_back("transfer", Since(transfer_start_));
    return Done(true);
  }
  const QueryResponse& qr = cfg_.query_response[step_];
  auto self = shared_from_this();
  auto send = [self](std::string text) {
    if (text.empty()) {
      ++self->step_;
      return self->Step();
    }
    self->run_->log().Debug("Sending message", {{"message", text}});
    self->out_ = std::move(text);
    self->WithStream([&](auto& ws) {
      ws.text(true);
      ws.async_write(asio::buffer(self->out_),
                     [self](const boost::system::error_code& ec, size_t) {
                       if (self->run_->finished()) return;
                       if (ec)
                         return self->QueryFailed("Error sending message",
                                                  ec.message(), reason::kIo);
                       ++self->step_;
                       self->Step();
                     });
    });
  };
  if (!qr.expect.set()) return send(qr.send);
  NextMessage([self, &qr, send](std::string msg) {
    const int ngroups =
        qr.expect.ok() ? qr.expect.re().NumberOfCapturingGroups() + 1 : 0;
    std::vector<re2::StringPiece> sub(static_cast<size_t>(ngroups));
    if (!qr.expect.ok() ||
        !qr.expect.re().Match(msg, 0, msg.size(), RE2::UNANCHORED, sub.data(),
                              ngroups)) {
      self->run_->log().Error("Regexp did not match",
                              {{"regexp", qr.expect.pattern()}, {"line", msg}});
      return self->QueryFailed(nullptr, "", reason::kRegex);
    }
    self->run_->log().Debug("regexp matched",
                            {{"regexp", qr.expect.pattern()}, {"line", msg}});
    std::vector<std::optional<std::string_view>> groups;
    for (const auto& s : sub)
      groups.push_back(s.data() ? std::optional<std::string_view>(
                                      std::string_view(s.data(), s.size()))
                                : std::nullopt);
    send(qr.expect.Expand(qr.send, groups));
  });
}

void WsRun::QueryFailed(const char* msg, const std::string& err,
                        const char* why) {
  if (run_->finished()) return;
  if (msg) run_->log().Error(msg, {{"err", err}});
  failed_regex_ = true;
  phases_.emplace_back("transfer", Since(transfer_start_));
  run_->Fail(why);
  Done(false);
}

void WsRun::Done(bool success) {
  if (run_->finished()) return;
  auto& m = run_->metrics();
  AddScalar(&m, "probe_websocket_connection_upgraded",
            "Indicates if the websocket connection was successfully upgraded",
            upgraded_ ? 1 : 0);
  if (!phases_.empty()) {
    // A GaugeVec: one series per phase (Add sums a phase seen twice).
    std::vector<std::pair<std::string, double>> sum;
    for (const auto& phase : phases_) {
      auto it = std::find_if(sum.begin(), sum.end(), [&](const auto& x) {
        return x.first == phase.first;
      });
      if (it == sum.end())
        sum.emplace_back(phase);
      else
        it->second += phase.second;
    }
    std::sort(sum.begin(), sum.end());
    Family f = Family::Gauge("probe_websocket_duration_seconds",
                             "Duration of websocket request by phase");
    for (const auto& [p, v] : sum) f.Add({{"phase", p}}, v);
    f.MoveTo(&m);
  }
  AddScalar(&m, "probe_websocket_failed_due_to_regex",
            "Indicates if probe failed due to regex", failed_regex_ ? 1 : 0);
  AddScalar(&m, "probe_websocket_status_code", "Response HTTP status code",
            status_);
  // Closed without a close frame, as upstream's connection.Close().
  boost::system::error_code ec;
  Socket().close(ec);
  run_->Finish(success);
}

EXPORTERD_BLACKBOX_PROBER(websocket, RunProber<WsRun>);

}  // namespace
}  // namespace exporterd::blackbox
