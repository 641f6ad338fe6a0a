// The tcp prober: upstream's prober/tcp.go and query_response.go on Asio.
// Connect to the chosen address (source_ip_address bound when set), TLS
// from the start when `tls`, then each query_response step in order:
// read lines until `expect` matches (Go's bufio.Scanner: lines split on \n,
// a trailing \r dropped, 64 KiB at most), or `expect_bytes`; send the
// (expanded) `send` line; `starttls` upgrades the same connection.
#include <openssl/err.h>

#include "probe.h"

namespace exporterd::blackbox {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

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

class TcpRun : public std::enable_shared_from_this<TcpRun> {
 public:
  explicit TcpRun(std::shared_ptr<ProbeRun> run)
      : run_(std::move(run)), cfg_(run_->module().tcp), sock_(run_->io()) {}
  ~TcpRun() {
    if (ssl_) SSL_free(ssl_);
  }

  void Start();

 private:
  void Connect(const asio::ip::address& ip);
  void StartTls(std::function<void()> next);
  void HandshakeStep(std::function<void()> next);
  void Step();
  void ReadLine(std::function<void(bool ok, bool eof, std::string line)> cb);
  void ReadMore(std::function<void(const boost::system::error_code&)> cb);
  void Write(std::string data, std::function<void()> next);
  void Flush(std::function<void()> next);
  void IoError(const char* what, const boost::system::error_code& ec);
  void Done(bool success);

  std::shared_ptr<ProbeRun> run_;
  const TcpProbe& cfg_;
  tcp::socket sock_;
  std::string host_, port_;
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

void TcpRun::Start() {
  if (!SplitHostPort(run_->target(), &host_, &port_)) {
    std::string err = "address " + run_->target() + ": missing port in address";
    run_->log().Error("Error splitting target address and port",
                      {{"err", err}});
    run_->log().Error("Error dialing TCP", {{"err", err}});
    run_->Fail(reason::kTarget);
    return Done(false);
  }
  auto self = shared_from_this();
  run_->OnAbort([self] {
    boost::system::error_code ec;
    self->sock_.close(ec);
    self->Done(false);
  });
  ChooseProtocol(run_, host_, cfg_.preferred_ip_protocol,
                 cfg_.ip_protocol_fallback,
                 [self](std::optional<asio::ip::address> ip, double) {
                   if (!ip) {
                     self->run_->log().Error("Error dialing TCP",
                                             {{"err", "resolution failed"}});
                     return self->Done(false);
                   }
                   self->Connect(*ip);
                 });
}

void TcpRun::Connect(const asio::ip::address& ip) {
  auto& log = run_->log();
  boost::system::error_code ec;
  uint16_t port = 0;
  try {
    int p = std::stoi(port_);
    if (p < 0 || p > 65535) throw std::out_of_range("port");
    port = static_cast<uint16_t>(p);
  } catch (...) {
    log.Error("Error dialing TCP",
              {{"err", "dial tcp: address " + port_ + ": invalid port"}});
    run_->Fail(reason::kTarget);
    return Done(false);
  }
  tcp::endpoint ep(ip, port);
  sock_.open(ep.protocol(), ec);
  if (!ec && !cfg_.source_ip_address.empty()) {
    auto src = asio::ip::make_address(cfg_.source_ip_address, ec);
    if (ec) {
      log.Error("Error parsing source ip address",
                {{"srcIP", cfg_.source_ip_address}});
      run_->Fail(reason::kConfig);
      return Done(false);
    }
    log.Debug("Using local address", {{"srcIP", src.to_string()}});
    sock_.bind(tcp::endpoint(src, 0), ec);
  }
  if (ec) {
    log.Error("Error dialing TCP", {{"err", ec.message()}});
    run_->Fail(reason::kConnect);
    return Done(false);
  }
  log.Debug(cfg_.tls ? "Dialing TCP with TLS" : "Dialing TCP without TLS");
  auto self = shared_from_this();
  sock_.async_connect(ep, [self](const boost::system::error_code& cec) {
    if (self->run_->finished()) return;
    if (cec) {
      self->run_->log().Error("Error dialing TCP",
                              {{"err", "dial tcp: " + cec.message()}});
      self->run_->Fail(reason::kConnect);
      return self->Done(false);
    }
    if (self->cfg_.tls) {
      self->StartTls([self] {
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
void TcpRun::StartTls(std::function<void()> next) {
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
  if (server_name.empty()) server_name = host_;
  ConfigureTlsClient(ssl_, cfg_.tls_config, server_name);
  SSL_set_connect_state(ssl_);
  in_.clear();  // upstream starts a fresh scanner on the TLS connection
  HandshakeStep(std::move(next));
}

void TcpRun::HandshakeStep(std::function<void()> next) {
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
    run_->log().Error(step_ == 0 && cfg_.tls ? "Error dialing TCP"
                                             : "TLS Handshake (client) failed",
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
void TcpRun::Flush(std::function<void()> next) {
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
// plaintext into in_.
void TcpRun::ReadMore(
    std::function<void(const boost::system::error_code&)> cb) {
  auto buf = std::make_shared<std::array<char, 16384>>();
  auto self = shared_from_this();
  sock_.async_read_some(
      asio::buffer(*buf), [self, buf, cb = std::move(cb)](
                              const boost::system::error_code& ec, size_t n) {
        if (self->run_->finished()) return;
        if (ec) return cb(ec);
        if (!self->ssl_) {
          self->in_.append(buf->data(), n);
          return cb({});
        }
        BIO_write(self->net_bio_, buf->data(), static_cast<int>(n));
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

void TcpRun::ReadLine(
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

void TcpRun::Write(std::string data, std::function<void()> next) {
  if (ssl_) {
    SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    return Flush(std::move(next));
  }
  net_out_ += data;
  Flush(std::move(next));
}

void TcpRun::IoError(const char* what, const boost::system::error_code& ec) {
  if (run_->finished()) return;
  run_->log().Error(what, {{"err", ec.message()}});
  run_->Fail(reason::kIo);
  Done(false);
}

void TcpRun::Step() {
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
      self->StartTls([self] {
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
      if (self->run_->finished()) return;
      if (!ok) {
        *loop = nullptr;
        return self->Done(false);
      }
      if (eof) {
        *loop = nullptr;
        self->failed_regex_ = true;
        self->run_->log().Error(
            "Regexp did not match",
            {{"regexp", qr.expect.pattern()}, {"line", ""}});
        self->run_->Fail(reason::kRegex);
        return self->Done(false);
      }
      self->run_->log().Debug("Read line", {{"line", line}});
      const RE2& re = qr.expect.re();
      const int ngroups = re.NumberOfCapturingGroups() + 1;
      std::vector<re2::StringPiece> sub(static_cast<size_t>(ngroups));
      if (!qr.expect.ok() || !re.Match(line, 0, line.size(), RE2::UNANCHORED,
                                       sub.data(), ngroups)) {
        return self->ReadLine(*loop);
      }
      *loop = nullptr;
      self->run_->log().Debug(
          "Regexp matched", {{"regexp", qr.expect.pattern()}, {"line", line}});
      self->failed_regex_ = false;
      std::vector<std::optional<std::string_view>> groups;
      for (const auto& s : sub)
        groups.push_back(s.data() ? std::optional<std::string_view>(
                                        std::string_view(s.data(), s.size()))
                                  : std::nullopt);
      std::string send = qr.expect.Expand(qr.send, groups);
      if (!qr.labels.empty() && !self->expect_info_done_) {
        self->expect_info_done_ = true;
        Labels labels;
        for (const auto& l : qr.labels)
          labels.push_back({l.name, qr.expect.Expand(l.value, groups)});
        std::sort(labels.begin(), labels.end(),
                  [](const auto& a, const auto& b) { return a.name < b.name; });
        Family::Info("probe_expect_info", "Explicit content matched")
            .Add(std::move(labels))
            .MoveTo(&self->run_->metrics());
      }
      after_match(std::move(send));
    };
    return ReadLine(*loop);
  }
  if (!qr.expect_bytes.empty()) {
    const size_t want = qr.expect_bytes.size();
    auto check = std::make_shared<std::function<void()>>();
    *check = [self, &qr, want, check, after_match] {
      if (self->run_->finished()) return;
      if (self->in_.empty()) {
        return self->ReadMore(
            [self, check](const boost::system::error_code& ec) {
              if (ec) {
                *check = nullptr;
                return self->IoError("Error reading from connection", ec);
              }
              (*check)();
            });
      }
      *check = nullptr;
      // One read, as upstream's conn.Read: what arrived so far.
      std::string data = self->in_.substr(0, std::min(want, self->in_.size()));
      self->in_.erase(0, data.size());
      self->run_->log().Debug("Read bytes", {{"bytes", data}});
      if (data.size() < want) {
        self->run_->log().Error(
            "Read less data than expected",
            {{"expected", qr.expect_bytes}, {"bytes", data}});
        self->run_->Fail(reason::kBytes);
        return self->Done(false);
      }
      if (data != qr.expect_bytes) {
        self->failed_bytes_ = true;
        self->run_->log().Error(
            "Bytes did not match",
            {{"expected", qr.expect_bytes}, {"bytes", data}});
        self->run_->Fail(reason::kBytes);
        return self->Done(false);
      }
      self->run_->log().Debug("Bytes matched", {{"expected", qr.expect_bytes}});
      after_match(qr.send);
    };
    return (*check)();
  }
  after_match(qr.send);
}

void TcpRun::Done(bool success) {
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

class TcpProber : public Prober {
 public:
  void Start(std::shared_ptr<ProbeRun> run) override {
    std::make_shared<TcpRun>(std::move(run))->Start();
  }
};

EXPORTERD_BLACKBOX_PROBER(tcp, TcpProber);

}  // namespace

}  // namespace exporterd::blackbox
