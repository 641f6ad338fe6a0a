// The tcp prober: upstream's prober/tcp.go and query_response.go on Asio.
// Connect to the chosen address (source_ip_address bound when set), TLS
// from the start when `tls`, then each query_response step in order:
// read lines until `expect` matches (Go's bufio.Scanner: lines split on \n,
// a trailing \r dropped, 64 KiB at most), or `expect_bytes`; send the
// (expanded) `send` line; `starttls` upgrades the same connection.
//
// The engine (StreamRun) works on a generic stream socket: the unix prober
// (unix_prober.cc) uses it on a unix socket through StartStreamProbe().
#include <openssl/err.h>

#include "probe.h"
#include "query_response.h"

namespace exporterd::blackbox {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using StreamSocket = asio::generic::stream_protocol::socket;

constexpr size_t kMaxLine = 64 * 1024;  // bufio.MaxScanTokenSize

std::string OpenSslError() {
  std::string s = "tls: handshake failed";
  unsigned long e = ERR_peek_last_error();
  if (e) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    s += ": " + std::string(buf);
  }
  ERR_clear_error();
  return s;
}

class StreamRun : public std::enable_shared_from_this<StreamRun> {
 public:
  StreamRun(std::shared_ptr<ProbeRun> run, StreamProbeOptions opts)
      : run_(std::move(run)), cfg_(std::move(opts)), sock_(run_->io()) {}
  ~StreamRun() {
    if (ssl_) SSL_free(ssl_);
  }

  void Connect(const StreamEndpoint& ep);

 private:
  void StartTls(bool initial, std::function<void()> next);
  void HandshakeStep(std::function<void()> next);
  void Step();
  void ReadLine(std::function<void(bool ok, bool eof, std::string line)> cb);
  void ReadMore(std::function<void(const boost::system::error_code&)> cb);
  void Write(std::string data, std::function<void()> next);
  void Flush(std::function<void()> next);
  void IoError(const char* what, const boost::system::error_code& ec);
  void Done(bool success);

  std::shared_ptr<ProbeRun> run_;
  const StreamProbeOptions cfg_;
  StreamSocket sock_;
  std::shared_ptr<SSL_CTX> ctx_;
  SSL* ssl_ = nullptr;
  BIO* net_bio_ = nullptr;  // our side of the BIO pair (when TLS)
  std::string in_;          // decrypted (or plain) bytes not consumed yet
  std::string net_out_;     // TLS bytes to send
  size_t step_ = 0;
  bool failed_regex_ = false, failed_bytes_ = false;
  bool expect_info_done_ = false;
  bool dialed_ = false;  // upstream's query/response part was reached
  std::vector<prometheus::MetricFamily> tls_metrics_;
};

class TcpRun : public std::enable_shared_from_this<TcpRun> {
 public:
  explicit TcpRun(std::shared_ptr<ProbeRun> run)
      : run_(std::move(run)), cfg_(run_->module().tcp) {}
  void Start();

 private:
  void Connect(const asio::ip::address& ip);
  void Fail(const char* why) {
    run_->Fail(why);
    run_->Finish(false);
  }

  std::shared_ptr<ProbeRun> run_;
  const TcpProbe& cfg_;
  std::string host_, port_;
};

void TcpRun::Start() {
  if (!SplitHostPort(run_->target(), &host_, &port_)) {
    std::string err = "address " + run_->target() + ": missing port in address";
    run_->log().Error("Error splitting target address and port",
                      {{"err", err}});
    run_->log().Error("Error dialing TCP", {{"err", err}});
    return Fail(reason::kTarget);
  }
  auto self = shared_from_this();
  ChooseProtocol(run_, host_, cfg_.preferred_ip_protocol,
                 cfg_.ip_protocol_fallback,
                 [self](std::optional<asio::ip::address> ip, double) {
                   if (!ip) {
                     self->run_->log().Error("Error dialing TCP",
                                             {{"err", "resolution failed"}});
                     return self->run_->Finish(false);
                   }
                   self->Connect(*ip);
                 });
}

void TcpRun::Connect(const asio::ip::address& ip) {
  auto& log = run_->log();
  uint16_t port = 0;
  try {
    int p = std::stoi(port_);
    if (p < 0 || p > 65535) throw std::out_of_range("port");
    port = static_cast<uint16_t>(p);
  } catch (...) {
    log.Error("Error dialing TCP",
              {{"err", "dial tcp: address " + port_ + ": invalid port"}});
    return Fail(reason::kTarget);
  }
  StreamProbeOptions o;
  o.proto_name = "TCP";
  o.query_response = cfg_.query_response;
  o.tls = cfg_.tls;
  o.tls_config = cfg_.tls_config;
  o.tls_server_name = host_;
  o.starttls_server_name = host_;
  if (!cfg_.source_ip_address.empty()) {
    boost::system::error_code ec;
    auto src = asio::ip::make_address(cfg_.source_ip_address, ec);
    if (ec) {
      log.Error("Error parsing source ip address",
                {{"srcIP", cfg_.source_ip_address}});
      return Fail(reason::kConfig);
    }
    log.Debug("Using local address", {{"srcIP", src.to_string()}});
    o.source = StreamEndpoint(tcp::endpoint(src, 0));
  }
  o.dial_error = [](const boost::system::error_code& ec) {
    return "dial tcp: " + ec.message();
  };
  StartStreamProbe(run_, std::move(o), StreamEndpoint(tcp::endpoint(ip, port)));
}

void StreamRun::Connect(const StreamEndpoint& ep) {
  auto& log = run_->log();
  auto self = shared_from_this();
  run_->OnAbort([self] {
    boost::system::error_code ec;
    self->sock_.close(ec);
    self->Done(false);
  });
  boost::system::error_code ec;
  sock_.open(ep.protocol(), ec);
  if (!ec && cfg_.source) sock_.bind(*cfg_.source, ec);
  if (ec) {
    log.Error("Error dialing " + cfg_.proto_name, {{"err", ec.message()}});
    run_->Fail(reason::kConnect);
    return Done(false);
  }
  log.Debug(cfg_.tls ? "Dialing " + cfg_.proto_name + " with TLS"
                     : "Dialing " + cfg_.proto_name + " without TLS");
  sock_.async_connect(ep, [self](const boost::system::error_code& cec) {
    if (self->run_->finished()) return;
    if (cec) {
      self->run_->log().Error(
          "Error dialing " + self->cfg_.proto_name,
          {{"err", self->cfg_.dial_error ? self->cfg_.dial_error(cec)
                                         : cec.message()}});
      self->run_->Fail(reason::kConnect);
      return self->Done(false);
    }
    if (self->cfg_.tls) {
      self->StartTls(true, [self] {
        self->run_->log().Debug("Successfully dialed");
        self->dialed_ = true;
        self->Step();
      });
    } else {
      self->run_->log().Debug("Successfully dialed");
      self->dialed_ = true;
      self->Step();
    }
  });
}

// TLS through a BIO pair, so the same socket carries plain text first and
// TLS after a STARTTLS step.
void StreamRun::StartTls(bool initial, std::function<void()> next) {
  std::string err;
  ctx_ = MakeClientContext(cfg_.tls_config, &err);
  if (!ctx_) {
    run_->log().Error("Error creating TLS configuration", {{"err", err}});
    run_->Fail(reason::kConfig);
    return Done(false);
  }
  ssl_ = SSL_new(ctx_.get());
  BIO* internal = nullptr;
  BIO_new_bio_pair(&internal, 0, &net_bio_, 0);
  SSL_set_bio(ssl_, internal, internal);
  std::string server_name = cfg_.tls_config.server_name;
  if (server_name.empty())
    server_name = initial ? cfg_.tls_server_name : cfg_.starttls_server_name;
  ConfigureTlsClient(ssl_, cfg_.tls_config, server_name);
  SSL_set_connect_state(ssl_);
  in_.clear();  // upstream starts a fresh scanner on the TLS connection
  HandshakeStep(std::move(next));
}

void StreamRun::HandshakeStep(std::function<void()> next) {
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    run_->log().Debug("TLS Handshake (client) succeeded.");
    TlsFacts t = ReadTlsFacts(ssl_, !cfg_.tls_config.insecure_skip_verify);
    tls_metrics_.clear();
    AddTlsMetrics(t, false, &tls_metrics_);
    return Flush(std::move(next));
  }
  int e = SSL_get_error(ssl_, r);
  if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
    std::string err;
    long vr = SSL_get_verify_result(ssl_);
    if (vr != X509_V_OK)
      err = std::string("tls: failed to verify certificate: ") +
            X509_verify_cert_error_string(vr);
    else
      err = OpenSslError();
    run_->log().Error(step_ == 0 && cfg_.tls
                          ? "Error dialing " + cfg_.proto_name
                          : std::string("TLS Handshake (client) failed"),
                      {{"err", err}});
    run_->Fail(reason::kTls);
    return Done(false);
  }
  auto self = shared_from_this();
  Flush([self, e, next = std::move(next)]() mutable {
    if (e == SSL_ERROR_WANT_READ) {
      self->ReadMore([self, next = std::move(next)](
                         const boost::system::error_code& ec) mutable {
        if (ec) return self->IoError("TLS Handshake (client) failed", ec);
        self->HandshakeStep(std::move(next));
      });
    } else {
      self->HandshakeStep(std::move(next));
    }
  });
}

// Sends what OpenSSL queued for the network.
void StreamRun::Flush(std::function<void()> next) {
  if (net_bio_) {
    char buf[16384];
    int n;
    while ((n = BIO_read(net_bio_, buf, sizeof buf)) > 0)
      net_out_.append(buf, static_cast<size_t>(n));
  }
  if (net_out_.empty()) return next();
  auto data = std::make_shared<std::string>(std::move(net_out_));
  net_out_.clear();
  auto self = shared_from_this();
  asio::async_write(sock_, asio::buffer(*data),
                    [self, data, next = std::move(next)](
                        const boost::system::error_code& ec, size_t) mutable {
                      if (self->run_->finished()) return;
                      if (ec) return self->IoError("Failed to send", ec);
                      self->Flush(std::move(next));
                    });
}

// Reads from the socket; with TLS, feeds the bytes to OpenSSL and moves the
// plaintext into in_. Waits for readability first and reads into the stack
// then: a probe waiting on a silent peer holds no read buffer.
void StreamRun::ReadMore(
    std::function<void(const boost::system::error_code&)> cb) {
  auto self = shared_from_this();
  sock_.async_wait(
      StreamSocket::wait_read,
      [self, cb = std::move(cb)](const boost::system::error_code& wec) mutable {
        if (self->run_->finished()) return;
        if (wec) return cb(wec);
        std::array<char, 16384> buf;
        boost::system::error_code ec;
        self->sock_.non_blocking(true, ec);
        const size_t n = self->sock_.read_some(asio::buffer(buf), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again)
          return self->ReadMore(std::move(cb));  // a spurious wake-up
        if (ec) return cb(ec);
        if (!self->ssl_) {
          self->in_.append(buf.data(), n);
          return cb({});
        }
        BIO_write(self->net_bio_, buf.data(), static_cast<int>(n));
        if (!SSL_is_init_finished(self->ssl_)) return cb({});
        char out[16384];
        int r;
        while ((r = SSL_read(self->ssl_, out, sizeof out)) > 0)
          self->in_.append(out, static_cast<size_t>(r));
        int e = SSL_get_error(self->ssl_, r);
        if (e == SSL_ERROR_ZERO_RETURN) return cb(asio::error::eof);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
          return cb(asio::error::connection_reset);
        // Post-handshake messages (TLS 1.3 tickets) may need sending.
        self->Flush([cb] { cb({}); });
      });
}

void StreamRun::ReadLine(
    std::function<void(bool ok, bool eof, std::string line)> cb) {
  size_t nl = in_.find('\n');
  if (nl != std::string::npos) {
    std::string line = in_.substr(0, nl);
    in_.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return cb(true, false, std::move(line));
  }
  if (in_.size() > kMaxLine) {
    run_->log().Error("Error reading from connection",
                      {{"err", "bufio.Scanner: token too long"}});
    run_->Fail(reason::kIo);
    return cb(false, false, {});
  }
  auto self = shared_from_this();
  ReadMore(
      [self, cb = std::move(cb)](const boost::system::error_code& ec) mutable {
        if (ec == asio::error::eof) {
          // The last line without a newline still counts.
          if (!self->in_.empty()) {
            std::string line = std::move(self->in_);
            self->in_.clear();
            if (!line.empty() && line.back() == '\r') line.pop_back();
            return cb(true, false, std::move(line));
          }
          return cb(true, true, {});
        }
        if (ec) {
          self->run_->log().Error("Error reading from connection",
                                  {{"err", ec.message()}});
          self->run_->Fail(reason::kIo);
          return cb(false, false, {});
        }
        self->ReadLine(std::move(cb));
      });
}

void StreamRun::Write(std::string data, std::function<void()> next) {
  if (ssl_) {
    SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    return Flush(std::move(next));
  }
  net_out_ += data;
  Flush(std::move(next));
}

void StreamRun::IoError(const char* what, const boost::system::error_code& ec) {
  if (run_->finished()) return;
  run_->log().Error(what, {{"err", ec.message()}});
  run_->Fail(reason::kIo);
  Done(false);
}

void StreamRun::Step() {
  if (run_->finished()) return;
  if (step_ >= cfg_.query_response.size()) return Done(true);
  const QueryResponse& qr = cfg_.query_response[step_];
  auto& log = run_->log();
  log.Debug("Processing query response entry",
            {{"entry_number", std::to_string(step_)}});
  auto self = shared_from_this();
  // After expect/expect_bytes: send, then starttls, then the next entry.
  auto after_match = [self, &qr](std::string send) {
    auto then_tls = [self, &qr] {
      if (!qr.starttls) {
        ++self->step_;
        return self->Step();
      }
      self->StartTls(false, [self] {
        ++self->step_;
        self->Step();
      });
    };
    if (send.empty()) return then_tls();
    self->run_->log().Debug("Sending line", {{"line", send}});
    self->Write(send + "\n", then_tls);
  };
  if (qr.expect.set()) {
    auto loop =
        std::make_shared<std::function<void(bool, bool, std::string)>>();
    *loop = [self, &qr, loop, after_match](bool ok, bool eof,
                                           std::string line) {
      // `*lp = nullptr` below destroys this closure: only locals after it.
      auto me = self;
      auto am = after_match;
      auto lp = loop;
      const QueryResponse& q = qr;
      if (me->run_->finished()) return;
      if (!ok) {
        *lp = nullptr;
        return me->Done(false);
      }
      if (eof) {
        *lp = nullptr;
        me->failed_regex_ = true;
        me->run_->log().Error("Regexp did not match",
                              {{"regexp", q.expect.pattern()}, {"line", ""}});
        me->run_->Fail(reason::kRegex);
        return me->Done(false);
      }
      me->run_->log().Debug("Read line", {{"line", line}});
      const RE2& re = q.expect.re();
      const int ngroups = re.NumberOfCapturingGroups() + 1;
      std::vector<re2::StringPiece> sub(static_cast<size_t>(ngroups));
      if (!q.expect.ok() || !re.Match(line, 0, line.size(), RE2::UNANCHORED,
                                      sub.data(), ngroups)) {
        return me->ReadLine(*lp);
      }
      *lp = nullptr;
      me->run_->log().Debug("Regexp matched",
                            {{"regexp", q.expect.pattern()}, {"line", line}});
      me->failed_regex_ = false;
      std::vector<std::optional<std::string_view>> groups;
      for (const auto& s : sub)
        groups.push_back(s.data() ? std::optional<std::string_view>(
                                        std::string_view(s.data(), s.size()))
                                  : std::nullopt);
      std::string send = q.expect.Expand(q.send, groups);
      if (!q.labels.empty() && !me->expect_info_done_) {
        me->expect_info_done_ = true;
        Labels labels;
        for (const auto& l : q.labels)
          labels.push_back({l.name, q.expect.Expand(l.value, groups)});
        std::sort(labels.begin(), labels.end(),
                  [](const auto& a, const auto& b) { return a.name < b.name; });
        Family::Info("probe_expect_info", "Explicit content matched")
            .Add(std::move(labels))
            .MoveTo(&me->run_->metrics());
      }
      am(std::move(send));
    };
    return ReadLine(*loop);
  }
  if (!qr.expect_bytes.empty()) {
    const size_t want = qr.expect_bytes.size();
    auto check = std::make_shared<std::function<void()>>();
    *check = [self, &qr, want, check, after_match] {
      // `*ck = nullptr` below destroys this closure: only locals after it.
      auto me = self;
      auto am = after_match;
      auto ck = check;
      const QueryResponse& q = qr;
      const size_t w = want;
      if (me->run_->finished()) return;
      if (me->in_.empty()) {
        return me->ReadMore([me, ck](const boost::system::error_code& ec) {
          if (ec) {
            *ck = nullptr;
            return me->IoError("Error reading from connection", ec);
          }
          (*ck)();
        });
      }
      *ck = nullptr;
      // One read, as upstream's conn.Read: what arrived so far.
      std::string data = me->in_.substr(0, std::min(w, me->in_.size()));
      me->in_.erase(0, data.size());
      me->run_->log().Debug("Read bytes", {{"bytes", data}});
      if (data.size() < w) {
        me->run_->log().Error("Read less data than expected",
                              {{"expected", q.expect_bytes}, {"bytes", data}});
        me->run_->Fail(reason::kBytes);
        return me->Done(false);
      }
      if (data != q.expect_bytes) {
        me->failed_bytes_ = true;
        me->run_->log().Error("Bytes did not match",
                              {{"expected", q.expect_bytes}, {"bytes", data}});
        me->run_->Fail(reason::kBytes);
        return me->Done(false);
      }
      me->run_->log().Debug("Bytes matched", {{"expected", q.expect_bytes}});
      am(q.send);
    };
    return (*check)();
  }
  after_match(qr.send);
}

void StreamRun::Done(bool success) {
  if (run_->finished()) return;
  auto& m = run_->metrics();
  if (dialed_) {
    AddScalar(&m, "probe_failed_due_to_regex",
              "Indicates if probe failed due to regex", failed_regex_ ? 1 : 0);
    AddScalar(&m, "probe_failed_due_to_bytes",
              "Indicates if probe failed due to bytes", failed_bytes_ ? 1 : 0);
    for (auto& f : tls_metrics_) m.push_back(std::move(f));
  }
  tls_metrics_.clear();
  boost::system::error_code ec;
  sock_.close(ec);
  run_->Finish(success);
}

}  // namespace

void StartStreamProbe(std::shared_ptr<ProbeRun> run, StreamProbeOptions opts,
                      const StreamEndpoint& ep) {
  std::make_shared<StreamRun>(std::move(run), std::move(opts))->Connect(ep);
}

namespace {

EXPORTERD_BLACKBOX_PROBER(tcp, RunProber<TcpRun>);

}  // namespace

}  // namespace exporterd::blackbox
