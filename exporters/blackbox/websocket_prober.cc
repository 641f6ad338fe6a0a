// The websocket prober: upstream's prober/websocket.go (blackbox_exporter
// at the 0.28.0 VERSION's main branch, e39d7d4; gorilla/websocket's client)
// on Asio, with the RFC 6455 handshake and framing of websocket_codec.h.
//
// Target ws://host[:port]/path or wss://. The host is resolved with
// chooseProtocol (its series), the TLS configuration of http_config is
// used for wss (no TLS series, as upstream), the opening handshake carries
// basic_auth / authorization and `headers`. Then each query_response entry:
// with `expect`, the next data message (text or binary, fragments
// reassembled, pings answered) must match it (unanchored, the whole
// message); `send` (expanded from expect's groups) goes out as one text
// message. expect_bytes, labels and starttls do not apply (upstream ignores
// them).
//
// Series: probe_websocket_status_code (the handshake answer's status, 0
// without one), probe_websocket_connection_upgraded,
// probe_websocket_failed_due_to_regex (1 when a query_response entry
// failed, a read error included, as upstream) and
// probe_websocket_duration_seconds{phase}: resolve (after a resolution),
// connect (after a TCP connect), processing (TLS + HTTP upgrade: the dial
// minus connect, always once the dial was tried), transfer (with
// query_response, once upgraded).
#include <openssl/rand.h>

#include <fstream>
#include <sstream>

#include "exporterd/asio_ssl.h"
#include "probe.h"
#include "websocket_codec.h"

namespace exporterd::blackbox {
namespace {

namespace asio = boost::asio;
namespace ws = websocket;
using asio::ip::tcp;

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

std::array<uint8_t, 4> RandomMask() {
  std::array<uint8_t, 4> m{};
  RAND_bytes(m.data(), static_cast<int>(m.size()));
  return m;
}

class WsRun : public std::enable_shared_from_this<WsRun> {
 public:
  explicit WsRun(std::shared_ptr<ProbeRun> run)
      : run_(std::move(run)),
        cfg_(run_->module().websocket),
        sock_(run_->io()) {}

  void Start();

 private:
  using Handler = std::function<void(const boost::system::error_code&)>;
  std::vector<std::pair<std::string, std::string>> Headers();
  void Dial(const asio::ip::address& ip);
  void Handshake();
  void ReadResponse();
  void Upgraded();
  void Step();
  void NextMessage(std::function<void(std::string)> got);
  void Write(std::string data, Handler next);
  void ReadSome(
      std::function<void(const boost::system::error_code&, std::string_view)>
          cb);
  void DialFailed(const std::string& err, const char* why);
  void QueryFailed(const char* msg, const std::string& err, const char* why);
  void Done(bool success);

  std::shared_ptr<ProbeRun> run_;
  const WebsocketProbe& cfg_;
  ws::Url url_;
  tcp::socket sock_;
  std::shared_ptr<SSL_CTX> ctx_;
  std::unique_ptr<asio::ssl::context> asio_ctx_;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
  std::string key_;
  std::string in_;  // handshake bytes read so far
  ws::MessageReader reader_;
  size_t step_ = 0;
  ProbeClock::time_point dial_start_, transfer_start_;
  double connect_seconds_ = 0;
  int status_ = 0;
  bool upgraded_ = false, failed_regex_ = false;
  std::vector<std::pair<std::string, double>> phases_;
  std::vector<std::pair<std::string, std::string>> headers_;  // read once
};

void WsRun::Start() {
  auto& log = run_->log();
  auto self = shared_from_this();
  run_->OnAbort([self] {
    boost::system::error_code ec;
    self->sock_.close(ec);
    self->Done(false);
  });
  if (!run_->module().unsupported_reason.empty()) {
    log.Error("Probe not supported by this build",
              {{"err", run_->module().unsupported_reason}});
    run_->Fail(reason::kUnsupported);
    return Done(false);
  }
  std::string err;
  auto u = ws::ParseUrl(run_->target(), &err);
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
    h.emplace_back("Authorization", "Basic " + ws::Base64(user + ":" + pass));
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
      if (ws::EqualFold(name, k))
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
    if (!self->url_.tls) return self->Handshake();
    SSL_CTX_up_ref(self->ctx_.get());
    self->asio_ctx_ = std::make_unique<asio::ssl::context>(self->ctx_.get());
    self->tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(
        self->sock_, *self->asio_ctx_);
    const TlsConfig& tc = self->cfg_.http_config.tls_config;
    ConfigureTlsClient(
        self->tls_->native_handle(), tc,
        tc.server_name.empty() ? self->url_.host : tc.server_name);
    self->tls_->async_handshake(
        asio::ssl::stream_base::client,
        [self](const boost::system::error_code& hec) {
          if (self->run_->finished()) return;
          if (hec) {
            SSL* ssl = self->tls_->native_handle();
            long vr = SSL_get_verify_result(ssl);
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

void WsRun::Write(std::string data, Handler next) {
  auto buf = std::make_shared<std::string>(std::move(data));
  auto self = shared_from_this();
  auto done = [self, buf, next = std::move(next)](
                  const boost::system::error_code& ec, size_t) {
    if (self->run_->finished()) return;
    next(ec);
  };
  if (tls_)
    asio::async_write(*tls_, asio::buffer(*buf), std::move(done));
  else
    asio::async_write(sock_, asio::buffer(*buf), std::move(done));
}

void WsRun::ReadSome(
    std::function<void(const boost::system::error_code&, std::string_view)>
        cb) {
  auto buf = std::make_shared<std::array<char, 16384>>();
  auto self = shared_from_this();
  auto done = [self, buf, cb = std::move(cb)](
                  const boost::system::error_code& ec, size_t n) {
    if (self->run_->finished()) return;
    cb(ec, std::string_view(buf->data(), n));
  };
  if (tls_)
    tls_->async_read_some(asio::buffer(*buf), std::move(done));
  else
    sock_.async_read_some(asio::buffer(*buf), std::move(done));
}

void WsRun::Handshake() {
  std::array<uint8_t, 16> nonce{};
  RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
  key_ = ws::HandshakeKey(nonce);
  auto self = shared_from_this();
  Write(ws::HandshakeRequest(url_, key_, headers_),
        [self](const boost::system::error_code& ec) {
          if (ec) return self->DialFailed(ec.message(), reason::kIo);
          self->ReadResponse();
        });
}

void WsRun::ReadResponse() {
  ws::Response r;
  std::string err;
  switch (ws::ParseResponse(in_, &r, &err)) {
    case ws::ParseStatus::kError:
      return DialFailed(err, reason::kIo);
    case ws::ParseStatus::kNeedMore: {
      if (in_.size() > 1 << 20)
        return DialFailed("net/http: response headers too long", reason::kIo);
      auto self = shared_from_this();
      return ReadSome(
          [self](const boost::system::error_code& ec, std::string_view data) {
            if (ec)
              return self->DialFailed(
                  ec == asio::error::eof ? "unexpected EOF" : ec.message(),
                  reason::kIo);
            self->in_.append(data);
            self->ReadResponse();
          });
    }
    case ws::ParseStatus::kDone:
      break;
  }
  status_ = r.status;
  run_->log().Debug("Handshake answered",
                    {{"status", std::to_string(r.status)}});
  std::string bad = ws::CheckUpgrade(r, key_);
  if (!bad.empty())
    return DialFailed(bad,
                      r.status != 101 ? reason::kHttpStatus : reason::kOther);
  reader_.Feed(std::string_view(in_).substr(r.header_bytes));
  in_.clear();
  Upgraded();
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

// The next data message; pings answered, pongs skipped, a close or a
// protocol error ends the probe.
void WsRun::NextMessage(std::function<void(std::string)> got) {
  ws::Event e = reader_.Next();
  auto self = shared_from_this();
  switch (e.kind) {
    case ws::Event::kMessage:
      return got(std::move(e.data));
    case ws::Event::kPong:
      return NextMessage(std::move(got));
    case ws::Event::kPing:
      return Write(ws::EncodeFrame(ws::kPong, e.data, RandomMask()),
                   [self, got = std::move(got)](
                       const boost::system::error_code& ec) mutable {
                     if (ec)
                       return self->QueryFailed("Error reading message",
                                                ec.message(), reason::kIo);
                     self->NextMessage(std::move(got));
                   });
    case ws::Event::kClose: {
      // Answer the close as gorilla's default handler does, then fail.
      std::string payload;
      if (e.close_code != 1005) {
        payload.push_back(static_cast<char>(e.close_code >> 8));
        payload.push_back(static_cast<char>(e.close_code & 0xFF));
      }
      std::string err = ws::CloseErrorText(e.close_code, e.data);
      return Write(ws::EncodeFrame(ws::kClose, payload, RandomMask()),
                   [self, err](const boost::system::error_code&) {
                     self->QueryFailed("Error reading message", err,
                                       reason::kIo);
                   });
    }
    case ws::Event::kError:
      return QueryFailed("Error reading message", e.data, reason::kIo);
    case ws::Event::kNeedMore:
      break;
  }
  ReadSome([self, got = std::move(got)](const boost::system::error_code& ec,
                                        std::string_view data) mutable {
    if (ec)
      return self->QueryFailed(
          "Error reading message",
          ec == asio::error::eof ? "unexpected EOF" : ec.message(),
          reason::kIo);
    self->reader_.Feed(data);
    self->NextMessage(std::move(got));
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
    self->Write(ws::EncodeFrame(ws::kText, text, RandomMask()),
                [self](const boost::system::error_code& ec) {
                  if (ec)
                    return self->QueryFailed("Error sending message",
                                             ec.message(), reason::kIo);
                  ++self->step_;
                  self->Step();
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
    for (const auto& [p, v] : phases_) {
      auto it = std::find_if(sum.begin(), sum.end(),
                             [&](const auto& x) { return x.first == p; });
      if (it == sum.end())
        sum.emplace_back(p, v);
      else
        it->second += v;
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
  boost::system::error_code ec;
  sock_.close(ec);
  run_->Finish(success);
}

class WebsocketProber : public Prober {
 public:
  void Start(std::shared_ptr<ProbeRun> run) override {
    std::make_shared<WsRun>(std::move(run))->Start();
  }
};

EXPORTERD_BLACKBOX_PROBER(websocket, WebsocketProber);

}  // namespace
}  // namespace exporterd::blackbox
