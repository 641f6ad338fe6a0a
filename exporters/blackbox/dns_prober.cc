// The dns prober: upstream's prober/dns.go on Asio, messages by libldns
// (dns_message.h). One query (random ID, RD as configured, no EDNS) to the
// target ("host" or "host:port"; port 53, 853 with dns_over_tls) over UDP,
// TCP or TCP+TLS; the reply's rcode and sections are then checked as
// upstream does. Over UDP a reply is read into 512 bytes (miekg's size
// without EDNS) and replies with another ID are skipped; a truncated (TC)
// reply is used as it is, with no retry over TCP.
#include <openssl/err.h>
#include <openssl/rand.h>

#include <array>

#include "dns_message.h"
#include "probe.h"

namespace exporterd::blackbox {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

constexpr size_t kUdpReadSize = 512;  // miekg's MinMsgSize

double Since(ProbeClock::time_point t) {
  return std::chrono::duration<double>(ProbeClock::now() - t).count();
}

class DnsRun : public std::enable_shared_from_this<DnsRun> {
 public:
  explicit DnsRun(std::shared_ptr<ProbeRun> run)
      : run_(std::move(run)),
        cfg_(run_->module().dns),
        udp_(run_->io()),
        tcp_(run_->io()) {}
  ~DnsRun() {
    if (ssl_) SSL_free(ssl_);
  }

  void Start();

 private:
  void Resolved(const asio::ip::address& ip);
  void SendUdp();
  void ReadUdp();
  void SendTcp();
  void ReadTcp();
  void Handshake();
  void TlsRead(std::function<void()> next);
  void Flush(std::function<void()> next);
  void Reply(std::string_view wire);
  void ExchangeError(const char* why, const std::string& err);
  void Done(bool success);

  std::shared_ptr<ProbeRun> run_;
  const DnsProbe& cfg_;
  udp::socket udp_;
  tcp::socket tcp_;
  std::string host_, port_;
  std::string query_;
  uint16_t id_ = 0;
  std::shared_ptr<SSL_CTX> ctx_;
  SSL* ssl_ = nullptr;
  BIO* net_bio_ = nullptr;
  std::string net_out_;      // TLS bytes to send
  std::string in_;           // received (decrypted) bytes not used yet
  bool tls_closed_ = false;  // close_notify received
  std::array<char, 16384> buf_{};

  // Phases as upstream measures them: resolve is the lookup; connect is
  // the whole exchange minus its round trip (which starts once dialed).
  double resolve_ = 0;
  std::optional<ProbeClock::time_point> exchange_start_, request_start_;
  std::optional<dns::Message> reply_;
};

void DnsRun::Start() {
  auto& log = run_->log();
  if (cfg_.transport_protocol != "udp" && cfg_.transport_protocol != "tcp") {
    log.Error("Configuration error: Expected transport protocol udp or tcp",
              {{"protocol", cfg_.transport_protocol}});
    run_->Fail(reason::kConfig);
    return Done(false);
  }
  if (!SplitHostPort(run_->target(), &host_, &port_)) {
    // Only a host: the default port.
    host_ = run_->target();
    port_ = cfg_.dns_over_tls ? "853" : "53";
  }
  auto self = shared_from_this();
  run_->OnAbort([self] {
    boost::system::error_code ec;
    self->udp_.close(ec);
    self->tcp_.close(ec);
    self->Done(false);
  });
  ChooseProtocol(run_, host_, cfg_.preferred_ip_protocol,
                 cfg_.ip_protocol_fallback,
                 [self](std::optional<asio::ip::address> ip, double secs) {
                   if (!ip) {
                     self->run_->log().Error("Error resolving address",
                                             {{"err", "resolution failed"}});
                     return self->Done(false);
                   }
                   self->resolve_ = secs;
                   self->Resolved(*ip);
                 });
}

void DnsRun::Resolved(const asio::ip::address& ip) {
  auto& log = run_->log();
  const bool tcp = cfg_.transport_protocol == "tcp";
  std::string dial = cfg_.transport_protocol + (ip.is_v4() ? "4" : "6");
  if (cfg_.dns_over_tls) {
    if (!tcp) {
      log.Error("Configuration error: Expected transport protocol tcp for DoT",
                {{"protocol", cfg_.transport_protocol}});
      run_->Fail(reason::kConfig);
      return Done(false);
    }
    dial += "-tls";
    std::string err;
    ctx_ = MakeClientContext(cfg_.tls_config, &err);
    if (!ctx_) {
      log.Error("Failed to create TLS configuration", {{"err", err}});
      run_->Fail(reason::kConfig);
      return Done(false);
    }
  }
  std::optional<asio::ip::address> src;
  if (!cfg_.source_ip_address.empty()) {
    boost::system::error_code ec;
    src = asio::ip::make_address(cfg_.source_ip_address, ec);
    if (ec) {
      log.Error("Error parsing source ip address",
                {{"srcIP", cfg_.source_ip_address}});
      run_->Fail(reason::kConfig);
      return Done(false);
    }
    log.Debug("Using local address", {{"srcIP", src->to_string()}});
  }
  uint16_t port = 0;
  {
    char* end = nullptr;
    long p = port_.empty() ? -1 : strtol(port_.c_str(), &end, 10);
    if (p < 0 || p > 65535 || *end != '\0') {
      log.Error(
          "Error while sending a DNS query",
          {{"err", "dial " + dial + ": address " + port_ + ": invalid port"}});
      run_->Fail(reason::kTarget);
      return Done(false);
    }
    port = static_cast<uint16_t>(p);
  }
  uint16_t id = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof id);
  id_ = id;
  std::string err;
  auto q = dns::BuildQuery(id_, cfg_.query_name, cfg_.query_type_code,
                           cfg_.query_class_code, cfg_.recursion_desired, &err);
  if (!q) {
    log.Error("Error while sending a DNS query", {{"err", err}});
    run_->Fail(reason::kConfig);
    return Done(false);
  }
  query_ = std::move(*q);
  const std::string target = ip.is_v6() ? "[" + ip.to_string() + "]:" + port_
                                        : ip.to_string() + ":" + port_;
  log.Debug("Making DNS query",
            {{"target", target},
             {"dial_protocol", dial},
             {"query", cfg_.query_name},
             {"type", std::to_string(cfg_.query_type_code)},
             {"class", std::to_string(cfg_.query_class_code)}});
  exchange_start_ = ProbeClock::now();
  boost::system::error_code ec;
  auto self = shared_from_this();
  if (!tcp) {
    udp::endpoint ep(ip, port);
    udp_.open(ep.protocol(), ec);
    if (!ec && src) udp_.bind(udp::endpoint(*src, 0), ec);
    if (ec) return ExchangeError(reason::kConnect, "dial: " + ec.message());
    udp_.async_connect(ep, [self](const boost::system::error_code& cec) {
      if (self->run_->finished()) return;
      if (cec)
        return self->ExchangeError(reason::kConnect, "dial: " + cec.message());
      self->SendUdp();
    });
    return;
  }
  tcp::endpoint ep(ip, port);
  tcp_.open(ep.protocol(), ec);
  if (!ec && src) tcp_.bind(tcp::endpoint(*src, 0), ec);
  if (ec) return ExchangeError(reason::kConnect, "dial: " + ec.message());
  tcp_.async_connect(ep, [self](const boost::system::error_code& cec) {
    if (self->run_->finished()) return;
    if (cec)
      return self->ExchangeError(
          reason::kConnect, "dial " + std::string("tcp: ") + cec.message());
    if (self->ctx_) return self->Handshake();
    self->SendTcp();
  });
}

void DnsRun::SendUdp() {
  request_start_ = ProbeClock::now();
  auto self = shared_from_this();
  udp_.async_send(asio::buffer(query_),
                  [self](const boost::system::error_code& ec, size_t) {
                    if (self->run_->finished()) return;
                    if (ec)
                      return self->ExchangeError(reason::kIo,
                                                 "write: " + ec.message());
                    self->ReadUdp();
                  });
}

void DnsRun::ReadUdp() {
  auto self = shared_from_this();
  udp_.async_receive(
      asio::buffer(buf_.data(), kUdpReadSize),
      [self](const boost::system::error_code& ec, size_t n) {
        if (self->run_->finished()) return;
        if (ec == asio::error::connection_refused)
          return self->ExchangeError(reason::kConnect, "read: " + ec.message());
        if (ec)
          return self->ExchangeError(reason::kIo, "read: " + ec.message());
        std::string err;
        auto m =
            dns::ParseMessage(std::string_view(self->buf_.data(), n), &err);
        // Replies to another query (an earlier one that timed out) are
        // skipped, as miekg does over UDP.
        if (m && m->id != self->id_) return self->ReadUdp();
        self->Reply(std::string_view(self->buf_.data(), n));
      });
}

void DnsRun::SendTcp() {
  request_start_ = ProbeClock::now();
  std::string framed;
  framed.push_back(static_cast<char>(query_.size() >> 8));
  framed.push_back(static_cast<char>(query_.size() & 0xff));
  framed += query_;
  auto self = shared_from_this();
  if (ssl_) {
    SSL_write(ssl_, framed.data(), static_cast<int>(framed.size()));
    return Flush([self] { self->ReadTcp(); });
  }
  net_out_ = std::move(framed);
  Flush([self] { self->ReadTcp(); });
}

// Reads until in_ holds one length-prefixed message.
void DnsRun::ReadTcp() {
  if (in_.size() >= 2) {
    size_t len =
        (static_cast<uint8_t>(in_[0]) << 8) | static_cast<uint8_t>(in_[1]);
    if (in_.size() >= 2 + len) {
      std::string wire = in_.substr(2, len);
      std::string err;
      auto m = dns::ParseMessage(wire, &err);
      if (m && m->id != id_)
        return ExchangeError(reason::kIo, "dns: id mismatch");
      return Reply(wire);
    }
  }
  if (tls_closed_) return ExchangeError(reason::kIo, "EOF");
  auto self = shared_from_this();
  if (ssl_) return TlsRead([self] { self->ReadTcp(); });
  tcp_.async_read_some(asio::buffer(buf_),
                       [self](const boost::system::error_code& ec, size_t n) {
                         if (self->run_->finished()) return;
                         if (ec == asio::error::eof)
                           return self->ExchangeError(reason::kIo, "EOF");
                         if (ec)
                           return self->ExchangeError(reason::kIo,
                                                      "read: " + ec.message());
                         self->in_.append(self->buf_.data(), n);
                         self->ReadTcp();
                       });
}

// DoT: TLS through a BIO pair on the TCP socket; the handshake is part of
// the dial, as in miekg's client.
void DnsRun::Handshake() {
  if (!ssl_) {
    ssl_ = SSL_new(ctx_.get());
    BIO* internal = nullptr;
    BIO_new_bio_pair(&internal, 0, &net_bio_, 0);
    SSL_set_bio(ssl_, internal, internal);
    std::string server_name = cfg_.tls_config.server_name;
    if (server_name.empty()) server_name = host_;
    ConfigureTlsClient(ssl_, cfg_.tls_config, server_name);
    SSL_set_connect_state(ssl_);
  }
  int r = SSL_do_handshake(ssl_);
  auto self = shared_from_this();
  if (r == 1) {
    run_->log().Debug("TLS Handshake (client) succeeded.");
    return Flush([self] { self->SendTcp(); });
  }
  int e = SSL_get_error(ssl_, r);
  if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
    std::string err;
    long vr = SSL_get_verify_result(ssl_);
    if (vr != X509_V_OK) {
      err = std::string("tls: failed to verify certificate: ") +
            X509_verify_cert_error_string(vr);
    } else {
      err = "tls: handshake failed";
      unsigned long le = ERR_peek_last_error();
      if (le) {
        char b[256];
        ERR_error_string_n(le, b, sizeof b);
        err += ": " + std::string(b);
      }
    }
    ERR_clear_error();
    return ExchangeError(reason::kTls, err);
  }
  Flush([self, e] {
    if (e == SSL_ERROR_WANT_READ)
      return self->TlsRead([self] { self->Handshake(); });
    self->Handshake();
  });
}

// One read from the socket into OpenSSL; decrypted bytes go to in_.
void DnsRun::TlsRead(std::function<void()> next) {
  auto self = shared_from_this();
  tcp_.async_read_some(
      asio::buffer(buf_), [self, next = std::move(next)](
                              const boost::system::error_code& ec, size_t n) {
        if (self->run_->finished()) return;
        if (ec == asio::error::eof)
          return self->ExchangeError(
              SSL_is_init_finished(self->ssl_) ? reason::kIo : reason::kTls,
              "EOF");
        if (ec)
          return self->ExchangeError(reason::kIo, "read: " + ec.message());
        BIO_write(self->net_bio_, self->buf_.data(), static_cast<int>(n));
        if (!SSL_is_init_finished(self->ssl_)) return next();
        char out[16384];
        int r;
        while ((r = SSL_read(self->ssl_, out, sizeof out)) > 0)
          self->in_.append(out, static_cast<size_t>(r));
        int e = SSL_get_error(self->ssl_, r);
        // The server may close (close_notify) right after its answer.
        if (e == SSL_ERROR_ZERO_RETURN) {
          self->tls_closed_ = true;
        } else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
          return self->ExchangeError(reason::kIo, "tls: read failed");
        }
        self->Flush(next);  // TLS 1.3 tickets may want an answer
      });
}

// Sends net_out_ and what OpenSSL queued for the network.
void DnsRun::Flush(std::function<void()> next) {
  if (net_bio_) {
    char b[16384];
    int n;
    while ((n = BIO_read(net_bio_, b, sizeof b)) > 0)
      net_out_.append(b, static_cast<size_t>(n));
  }
  if (net_out_.empty()) return next();
  auto data = std::make_shared<std::string>(std::move(net_out_));
  net_out_.clear();
  auto self = shared_from_this();
  asio::async_write(tcp_, asio::buffer(*data),
                    [self, data, next = std::move(next)](
                        const boost::system::error_code& ec, size_t) mutable {
                      if (self->run_->finished()) return;
                      if (ec)
                        return self->ExchangeError(reason::kIo,
                                                   "write: " + ec.message());
                      self->Flush(std::move(next));
                    });
}

void DnsRun::ExchangeError(const char* why, const std::string& err) {
  if (run_->finished()) return;
  run_->log().Error("Error while sending a DNS query", {{"err", err}});
  run_->Fail(why);
  Done(false);
}

void DnsRun::Reply(std::string_view wire) {
  auto& log = run_->log();
  std::string err;
  auto m = dns::ParseMessage(wire, &err);
  if (!m) return ExchangeError(reason::kIo, err);
  reply_ = std::move(m);
  const dns::Message& r = *reply_;
  log.Debug("Got response",
            {{"rcode", dns::RcodeName(r.rcode)},
             {"answer_rrs", std::to_string(r.answer.size())},
             {"authority_rrs", std::to_string(r.authority.size())},
             {"additional_rrs", std::to_string(r.additional.size())},
             {"truncated", r.truncated ? "true" : "false"}});
  bool bad = false;
  if (!dns::ValidRcode(r.rcode, cfg_.valid_rcodes, log, &bad)) {
    run_->Fail(bad ? reason::kConfig : reason::kDnsRcode);
    return Done(false);
  }
  struct Section {
    const char* name;
    const std::vector<std::string>& rrs;
    const DnsRrValidator& v;
  };
  const Section sections[] = {
      {"Answer", r.answer, cfg_.validate_answer_rrs},
      {"Authority", r.authority, cfg_.validate_authority_rrs},
      {"Additional", r.additional, cfg_.validate_additional_rrs}};
  for (const auto& s : sections) {
    log.Debug(std::string("Validating ") + s.name + " RRs");
    if (!dns::ValidRrs(s.rrs, s.v, log, &bad)) {
      log.Error(std::string(s.name) + " RRs validation failed");
      run_->Fail(bad ? reason::kConfig : reason::kRegex);
      return Done(false);
    }
  }
  Done(true);
}

void DnsRun::Done(bool success) {
  if (run_->finished()) return;
  double connect = 0, request = 0;
  if (exchange_start_) {
    request = request_start_ ? Since(*request_start_) : 0;
    connect = Since(*exchange_start_) - request;
  }
  auto& m = run_->metrics();
  Family::Gauge("probe_dns_duration_seconds",
                "Duration of DNS request by phase")
      .Add({{"phase", "connect"}}, connect)
      .Add({{"phase", "request"}}, request)
      .Add({{"phase", "resolve"}}, resolve_)
      .MoveTo(&m);
  const dns::Message* r = reply_ ? &*reply_ : nullptr;
  AddScalar(&m, "probe_dns_answer_rrs",
            "Returns number of entries in the answer resource record list",
            r ? static_cast<double>(r->answer.size()) : 0);
  AddScalar(&m, "probe_dns_authority_rrs",
            "Returns number of entries in the authority resource record list",
            r ? static_cast<double>(r->authority.size()) : 0);
  AddScalar(&m, "probe_dns_additional_rrs",
            "Returns number of entries in the additional resource record list",
            r ? static_cast<double>(r->additional.size()) : 0);
  AddScalar(&m, "probe_dns_query_succeeded",
            "Displays whether or not the query was executed successfully",
            r ? 1 : 0);
  if (r && cfg_.query_type_code == 6)  // SOA
    AddScalar(&m, "probe_dns_serial", "Returns the serial number of the zone",
              r->soa_serial ? static_cast<double>(*r->soa_serial) : 0);
  boost::system::error_code ec;
  udp_.close(ec);
  tcp_.close(ec);
  run_->Finish(success);
}

EXPORTERD_BLACKBOX_PROBER(dns, RunProber<DnsRun>);

}  // namespace

}  // namespace exporterd::blackbox
