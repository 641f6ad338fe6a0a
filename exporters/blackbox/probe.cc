#include "probe.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cmath>
#include <ctime>

namespace exporterd::blackbox {

namespace asio = boost::asio;
using asio::ip::address;

const std::vector<std::string>& FailureReasons() {
  static const std::vector<std::string> r = {
      reason::kTarget,        reason::kDns,         reason::kConnect,
      reason::kTls,           reason::kTimeout,     reason::kIo,
      reason::kHttpStatus,    reason::kHttpVersion, reason::kSsl,
      reason::kRegex,         reason::kBytes,       reason::kBodySize,
      reason::kDecompression, reason::kConfig,      reason::kUnsupported,
      reason::kAuth,          reason::kGrpcStatus,  reason::kDnsRcode,
      reason::kOther};
  return r;
}

namespace {

// logfmt value: quoted when it has spaces, quotes, '=' or is empty.
void AppendValue(std::string* out, std::string_view v) {
  bool quote = v.empty();
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || c == '\\' ||
        static_cast<unsigned char>(c) < 0x20)
      quote = true;
  if (!quote) {
    out->append(v);
    return;
  }
  out->push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (c == '\n') {
      out->append("\\n");
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out->append(buf);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

std::string NowRfc3339() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  gmtime_r(&ts.tv_sec, &t);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
  snprintf(buf + n, sizeof buf - n, ".%03ldZ", ts.tv_nsec / 1000000);
  return buf;
}

double Seconds(ProbeClock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

void ProbeLog::Add(std::string_view level, std::string_view msg,
                   const LogFields& f) {
  text_ += "time=" + NowRfc3339() + " level=" + std::string(level) + " msg=";
  AppendValue(&text_, msg);
  text_ += " module=";
  AppendValue(&text_, module_);
  text_ += " target=";
  AppendValue(&text_, target_);
  for (const auto& [k, v] : f) {
    text_ += " " + k + "=";
    AppendValue(&text_, v);
  }
  text_ += "\n";
  if (level == "error") {
    last_error_ = std::string(msg);
    for (const auto& [k, v] : f)
      if (k == "err") last_error_ += ": " + v;
  }
}

ProbeRun::ProbeRun(asio::io_context& io, std::shared_ptr<const Module> module,
                   std::string target, ProbeClock::time_point deadline,
                   double timeout_seconds, Done done)
    : io_(io),
      module_(std::move(module)),
      target_(std::move(target)),
      start_(ProbeClock::now()),
      deadline_(deadline),
      timeout_seconds_(timeout_seconds),
      done_(std::move(done)),
      log_(module_->name, target_),
      timer_(io) {}

ProbeRun::~ProbeRun() = default;

void ProbeRun::Arm() {
  timer_.expires_at(deadline_);
  std::weak_ptr<ProbeRun> weak = weak_from_this();
  timer_.async_wait([weak](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->Abort();
  });
}

void ProbeRun::Abort() {
  if (finished_) return;
  auto self = shared_from_this();  // the abort may drop the last owner
  log_.Error("Probe timed out before it completed",
             {{"timeout_seconds", std::to_string(timeout_seconds_)}});
  reason_ = reason::kTimeout;
  if (abort_) {
    auto fn = std::move(abort_);
    fn();
  }
  Finish(false);
}

void ProbeRun::Finish(bool success) {
  if (finished_) return;
  finished_ = true;
  success_ = success;
  if (success) reason_.clear();
  if (!success && reason_.empty()) reason_ = reason::kOther;
  duration_ = Seconds(ProbeClock::now() - start_);
  timer_.cancel();
  abort_ = nullptr;
  if (done_) {
    auto fn = std::move(done_);
    fn(*this);
  }
}

double IpHash(const address& ip) {
  uint32_t h = 2166136261u;
  auto feed = [&](const unsigned char* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      h ^= p[i];
      h *= 16777619u;
    }
  };
  if (ip.is_v4()) {
    auto b = ip.to_v4().to_bytes();
    feed(b.data(), b.size());
  } else {
    auto v6 = ip.to_v6();
    if (v6.is_v4_mapped()) {
      auto b = asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_bytes();
      feed(b.data(), b.size());
    } else {
      auto b = v6.to_bytes();
      feed(b.data(), b.size());
    }
  }
  return static_cast<double>(h);
}

namespace {

struct Pick {
  std::optional<address> ip;
  bool used_fallback = false;
};

// Upstream: the first address of the preferred family; with fallback, else
// the last one of the other family seen (its loop keeps overwriting).
Pick PickAddress(const std::vector<address>& ips, IpProtocol preferred,
                 bool fallback) {
  Pick p;
  std::optional<address> other;
  for (const auto& ip : ips) {
    bool v4 = ip.is_v4();
    if ((preferred == IpProtocol::kIp4) == v4) {
      p.ip = ip;
      return p;
    }
    other = ip;
  }
  if (fallback && other) {
    p.ip = other;
    p.used_fallback = true;
  }
  return p;
}

void Resolve(
    const std::shared_ptr<ProbeRun>& run, const std::string& host,
    std::function<void(const boost::system::error_code&, std::vector<address>)>
        done) {
  boost::system::error_code ec;
  // Go strips an IPv6 zone for LookupIP on literals; an IP literal needs no
  // lookup at all.
  address literal = asio::ip::make_address(host, ec);
  if (!ec) {
    done({}, {literal});
    return;
  }
  if (host.empty()) {
    done(asio::error::host_not_found, {});
    return;
  }
  auto resolver = std::make_shared<asio::ip::tcp::resolver>(run->io());
  std::weak_ptr<ProbeRun> weak = run;
  resolver->async_resolve(
      host, "", asio::ip::resolver_base::flags(),
      [resolver, weak, done = std::move(done)](
          const boost::system::error_code& rec,
          asio::ip::tcp::resolver::results_type results) {
        auto r = weak.lock();
        if (!r || r->finished()) return;
        std::vector<address> ips;
        for (const auto& e : results) {
          address a = e.endpoint().address();
          if (std::find(ips.begin(), ips.end(), a) == ips.end())
            ips.push_back(a);
        }
        done(rec, std::move(ips));
      });
}

}  // namespace

void ChooseProtocol(const std::shared_ptr<ProbeRun>& run,
                    const std::string& host, IpProtocol preferred,
                    bool fallback, ResolveDone done) {
  const char* proto = preferred == IpProtocol::kIp4 ? "ip4" : "ip6";
  run->log().Debug("Resolving target address",
                   {{"target", host}, {"ip_protocol", proto}});
  const auto start = ProbeClock::now();
  Resolve(run, host,
          [run, host, preferred, fallback, start, done = std::move(done)](
              const boost::system::error_code& ec, std::vector<address> ips) {
            const double lookup = Seconds(ProbeClock::now() - start);
            auto emit = [&](double proto_value, double hash) {
              auto& m = run->metrics();
              AddScalar(&m, "probe_dns_lookup_time_seconds",
                        "Returns the time taken for probe dns lookup in "
                        "seconds",
                        lookup);
              AddScalar(&m, "probe_ip_protocol",
                        "Specifies whether probe ip protocol is IP4 or IP6",
                        proto_value);
              AddScalar(&m, "probe_ip_addr_hash",
                        "Specifies the hash of IP address. It's useful to "
                        "detect if the IP address changes.",
                        hash);
            };
            if (!fallback) {
              // Only the preferred family is looked up.
              std::erase_if(ips, [&](const address& a) {
                return a.is_v4() != (preferred == IpProtocol::kIp4);
              });
            }
            Pick p;
            if (!ec) p = PickAddress(ips, preferred, fallback);
            if (!p.ip) {
              std::string err =
                  ec ? ec.message() : "unable to find ip; no fallback";
              run->log().Error("Resolution with IP protocol failed",
                               {{"target", host}, {"err", err}});
              run->log().Error("Error resolving address", {{"err", err}});
              emit(0, 0);
              run->Fail(reason::kDns);
              done(std::nullopt, lookup);
              return;
            }
            emit(p.ip->is_v4() ? 4 : 6, IpHash(*p.ip));
            run->log().Debug("Resolved target address",
                             {{"target", host}, {"ip", p.ip->to_string()}});
            if (run->address_check) {
              std::string why = run->address_check(*p.ip);
              if (!why.empty()) {
                run->refused =
                    "target " + host + " resolves to " + p.ip->to_string() +
                    ", which allowed_targets does not allow (" + why + ")";
                run->Fail(reason::kTarget);
                done(std::nullopt, lookup);
                return;
              }
            }
            done(p.ip, lookup);
          });
}

void ResolveQuietly(const std::shared_ptr<ProbeRun>& run,
                    const std::string& host, IpProtocol preferred,
                    bool fallback, ResolveDone done) {
  const auto start = ProbeClock::now();
  Resolve(
      run, host,
      [run, preferred, fallback, start, done = std::move(done)](
          const boost::system::error_code& ec, std::vector<address> ips) {
        const double lookup = Seconds(ProbeClock::now() - start);
        Pick p;
        if (!ec) p = PickAddress(ips, preferred, fallback);
        if (p.ip && run->address_check && !run->address_check(*p.ip).empty())
          p.ip.reset();
        done(p.ip, lookup);
      });
}

// ---- TLS facts -------------------------------------------------------

namespace {

double NotAfter(X509* c) {
  const ASN1_TIME* t = X509_get0_notAfter(c);
  tm tmv{};
  if (!t || ASN1_TIME_to_tm(t, &tmv) != 1) return 0;
  return static_cast<double>(timegm(&tmv));
}

std::string Hex(const unsigned char* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(d[p[i] >> 4]);
    s.push_back(d[p[i] & 15]);
  }
  return s;
}

std::string Utf8(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  int n = ASN1_STRING_to_UTF8(&out, s);
  if (n < 0) return {};
  std::string r(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  return r;
}

// Go's escape in AttributeTypeAndValue String().
std::string EscapeValue(const std::string& v) {
  std::string out;
  for (size_t k = 0; k < v.size(); ++k) {
    char c = v[k];
    bool esc = false;
    switch (c) {
      case ',':
      case '+':
      case '"':
      case '\\':
      case '<':
      case '>':
      case ';':
        esc = true;
        break;
      case ' ':
        esc = k == 0 || k == v.size() - 1;
        break;
      case '#':
        esc = k == 0;
        break;
      default:
        break;
    }
    if (esc) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

bool GoPrintable(const std::string& s) {
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == ' ' || c == '\'' || c == '(' || c == ')' ||
        c == '+' || c == ',' || c == '-' || c == '.' || c == '/' || c == ':' ||
        c == '=' || c == '?' || c == '*' || c == '&')
      continue;
    return false;
  }
  return true;
}

// asn1.Marshal of a Go string: PrintableString, else UTF8String.
std::string DerString(const std::string& v) {
  std::string der;
  der.push_back(GoPrintable(v) ? 0x13 : 0x0c);
  size_t n = v.size();
  if (n < 128) {
    der.push_back(static_cast<char>(n));
  } else {
    std::string len;
    while (n) {
      len.insert(len.begin(), static_cast<char>(n & 0xff));
      n >>= 8;
    }
    der.push_back(static_cast<char>(0x80 | len.size()));
    der += len;
  }
  return der + v;
}

std::string OidText(const ASN1_OBJECT* o) {
  char buf[128];
  OBJ_obj2txt(buf, sizeof buf, o, 1);
  return buf;
}

}  // namespace

std::string GoNameString(X509_NAME* name) {
  if (!name) return {};
  // Named fields in Go's ToRDNSequence order; everything else first (in
  // certificate order), so it prints last.
  struct Named {
    int nid;
    const char* label;
  };
  static const Named kNamed[] = {{NID_countryName, "C"},
                                 {NID_stateOrProvinceName, "ST"},
                                 {NID_localityName, "L"},
                                 {NID_streetAddress, "STREET"},
                                 {NID_postalCode, "POSTALCODE"},
                                 {NID_organizationName, "O"},
                                 {NID_organizationalUnitName, "OU"},
                                 {NID_commonName, "CN"},
                                 {NID_serialNumber, "SERIALNUMBER"}};
  std::vector<std::vector<std::string>> rdns;
  std::map<int, std::vector<std::string>> named;
  const int n = X509_NAME_entry_count(name);
  for (int i = 0; i < n; ++i) {
    X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    const ASN1_OBJECT* obj = X509_NAME_ENTRY_get_object(e);
    const int nid = OBJ_obj2nid(obj);
    std::string value = Utf8(X509_NAME_ENTRY_get_data(e));
    bool is_named = false;
    for (const auto& k : kNamed) is_named = is_named || k.nid == nid;
    if (is_named) {
      auto& v = named[nid];
      // Go keeps the last CommonName and SerialNumber only.
      if (nid == NID_commonName || nid == NID_serialNumber) v.clear();
      v.push_back(EscapeValue(value));
      continue;
    }
    std::string der = DerString(value);
    rdns.push_back(
        {OidText(obj) + "=#" +
         Hex(reinterpret_cast<const unsigned char*>(der.data()), der.size())});
  }
  for (const auto& k : kNamed) {
    auto it = named.find(k.nid);
    if (it == named.end()) continue;
    std::vector<std::string> rdn;
    for (const auto& v : it->second)
      rdn.push_back(std::string(k.label) + "=" + v);
    rdns.push_back(std::move(rdn));
  }
  std::string s;
  for (size_t i = rdns.size(); i-- > 0;) {
    if (!s.empty()) s += ",";
    for (size_t j = 0; j < rdns[i].size(); ++j) {
      if (j) s += "+";
      s += rdns[i][j];
    }
  }
  return s;
}

TlsFacts ReadTlsFacts(SSL* ssl, bool verified) {
  TlsFacts t;
  if (!ssl) return t;
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (!leaf) return t;
  t.present = true;
  double earliest = 0;
  bool have = false;
  auto consider = [&](X509* c) {
    double na = NotAfter(c);
    if (!have || na < earliest) earliest = na;
    have = true;
  };
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  if (chain && sk_X509_num(chain) > 0) {
    for (int i = 0; i < sk_X509_num(chain); ++i)
      consider(sk_X509_value(chain, i));
  } else {
    consider(leaf);
  }
  t.earliest_expiry = earliest;
  t.last_chain_expiry = -62135596800.0;  // Go's time.Time{}.Unix()
  STACK_OF(X509)* vchain = verified ? SSL_get0_verified_chain(ssl) : nullptr;
  if (vchain && sk_X509_num(vchain) > 0) {
    double m = 0;
    for (int i = 0; i < sk_X509_num(vchain); ++i) {
      double na = NotAfter(sk_X509_value(vchain, i));
      if (i == 0 || na < m) m = na;
    }
    t.last_chain_expiry = m;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (X509_digest(leaf, EVP_sha256(), md, &mdlen))
    t.fingerprint_sha256 = Hex(md, mdlen);
  t.subject = GoNameString(X509_get_subject_name(leaf));
  t.issuer = GoNameString(X509_get_issuer_name(leaf));
  GENERAL_NAMES* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
      if (g->type != GEN_DNS) continue;
      if (!t.subjectalternative.empty()) t.subjectalternative += ",";
      t.subjectalternative += std::string(
          reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
          static_cast<size_t>(ASN1_STRING_length(g->d.dNSName)));
    }
    GENERAL_NAMES_free(sans);
  }
  if (const ASN1_INTEGER* serial = X509_get0_serialNumber(leaf)) {
    BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
    if (bn) {
      std::vector<unsigned char> b(static_cast<size_t>(BN_num_bytes(bn)));
      BN_bn2bin(bn, b.data());
      t.serialnumber = Hex(b.data(), b.size());
      BN_free(bn);
    }
  }
  switch (SSL_version(ssl)) {
    case TLS1_VERSION:
      t.version = "TLS 1.0";
      break;
    case TLS1_1_VERSION:
      t.version = "TLS 1.1";
      break;
    case TLS1_2_VERSION:
      t.version = "TLS 1.2";
      break;
    case TLS1_3_VERSION:
      t.version = "TLS 1.3";
      break;
    default:
      t.version = "unknown";
  }
  if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl))
    if (const char* n = SSL_CIPHER_standard_name(c)) t.cipher = n;
  return t;
}

void AddTlsMetrics(const TlsFacts& t, bool with_cipher,
                   std::vector<prometheus::MetricFamily>* out) {
  AddScalar(out, "probe_ssl_earliest_cert_expiry",
            "Returns last SSL chain expiry in unixtime", t.earliest_expiry);
  AddScalar(out, "probe_ssl_last_chain_expiry_timestamp_seconds",
            "Returns last SSL chain expiry in timestamp", t.last_chain_expiry);
  Family::Info("probe_ssl_last_chain_info",
               "Contains SSL leaf certificate information")
      .Add({{"fingerprint_sha256", t.fingerprint_sha256},
            {"issuer", t.issuer},
            {"serialnumber", t.serialnumber},
            {"subject", t.subject},
            {"subjectalternative", t.subjectalternative}})
      .MoveTo(out);
  Family::Info("probe_tls_version_info",
               "Returns the TLS version used or NaN when unknown")
      .Add({{"version", t.version}})
      .MoveTo(out);
  if (with_cipher)
    Family::Info("probe_tls_cipher_info",
                 "Returns the TLS cipher negotiated during handshake")
        .Add({{"cipher", t.cipher}})
        .MoveTo(out);
}

// ---- TLS client contexts ---------------------------------------------

namespace {

std::string SslError() {
  unsigned long e = ERR_get_error();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

int ProtoVersion(TlsVersion v) {
  switch (v) {
    case TlsVersion::kTls10:
      return TLS1_VERSION;
    case TlsVersion::kTls11:
      return TLS1_1_VERSION;
    case TlsVersion::kTls12:
      return TLS1_2_VERSION;
    case TlsVersion::kTls13:
      return TLS1_3_VERSION;
    default:
      return 0;
  }
}

}  // namespace

std::shared_ptr<SSL_CTX> MakeClientContext(const TlsConfig& tls,
                                           std::string* error) {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) {
    *error = "SSL_CTX_new: " + SslError();
    return nullptr;
  }
  SSL_CTX* c = ctx.get();
  // Go's client default minimum is TLS 1.2.
  int min = ProtoVersion(tls.min_version);
  SSL_CTX_set_min_proto_version(c, min ? min : TLS1_2_VERSION);
  if (int max = ProtoVersion(tls.max_version))
    SSL_CTX_set_max_proto_version(c, max);
  if (!tls.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(c, tls.ca_file.c_str(), nullptr) != 1) {
      *error =
          "unable to load specified CA cert " + tls.ca_file + ": " + SslError();
      return nullptr;
    }
  } else if (!tls.ca.empty()) {
    BIO* bio = BIO_new_mem_buf(tls.ca.data(), static_cast<int>(tls.ca.size()));
    X509_STORE* store = SSL_CTX_get_cert_store(c);
    int added = 0;
    while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      added += X509_STORE_add_cert(store, x);
      X509_free(x);
    }
    BIO_free(bio);
    ERR_clear_error();
    if (!added) {
      *error = "unable to use specified CA cert inline";
      return nullptr;
    }
  } else {
    SSL_CTX_set_default_verify_paths(c);
  }
  std::string cert_pem = tls.cert, key_pem = tls.key.value;
  if (!tls.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(c, tls.cert_file.c_str()) != 1) {
      *error = "unable to use specified client cert (" + tls.cert_file +
               "): " + SslError();
      return nullptr;
    }
  } else if (!cert_pem.empty()) {
    BIO* bio =
        BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
    X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!x || SSL_CTX_use_certificate(c, x) != 1) {
      if (x) X509_free(x);
      *error = "unable to use inline client cert: " + SslError();
      return nullptr;
    }
    X509_free(x);
  }
  if (!tls.key_file.empty()) {
    if (SSL_CTX_use_PrivateKey_file(c, tls.key_file.c_str(),
                                    SSL_FILETYPE_PEM) != 1) {
      *error = "unable to use specified client key (" + tls.key_file +
               "): " + SslError();
      return nullptr;
    }
  } else if (!key_pem.empty()) {
    BIO* bio =
        BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
    EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!k || SSL_CTX_use_PrivateKey(c, k) != 1) {
      if (k) EVP_PKEY_free(k);
      *error = "unable to use inline client key: " + SslError();
      return nullptr;
    }
    EVP_PKEY_free(k);
  }
  SSL_CTX_set_verify(
      c, tls.insecure_skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  return ctx;
}

void ConfigureTlsClient(SSL* ssl, const TlsConfig& tls,
                        const std::string& server_name) {
  boost::system::error_code ec;
  asio::ip::make_address(server_name, ec);
  const bool is_ip = !ec;
  if (!is_ip && !server_name.empty())
    SSL_set_tlsext_host_name(ssl, server_name.c_str());
  if (tls.insecure_skip_verify) return;
  X509_VERIFY_PARAM* p = SSL_get0_param(ssl);
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(p, server_name.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(p, server_name.c_str(), 0);
  }
}

bool SplitHostPort(std::string_view hp, std::string* host, std::string* port) {
  if (!hp.empty() && hp[0] == '[') {
    size_t end = hp.find(']');
    if (end == std::string_view::npos) return false;
    if (end + 1 >= hp.size() || hp[end + 1] != ':') return false;
    *host = std::string(hp.substr(1, end - 1));
    *port = std::string(hp.substr(end + 2));
    return port->find_first_of("[]:") == std::string::npos;
  }
  size_t colon = hp.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view h = hp.substr(0, colon);
  if (h.find(':') != std::string_view::npos) return false;  // too many colons
  if (h.find_first_of("[]") != std::string_view::npos) return false;
  *host = std::string(h);
  *port = std::string(hp.substr(colon + 1));
  return true;
}

}  // namespace exporterd::blackbox
