// --web.config.file: parsing and validation, the server TLS context and
// bcrypt basic auth. The YAML is read like every configuration, with
// ConfigReader and ConfigMap; keys exporter-toolkit knows but exporterd does
// not implement are declared Unsupported, so they are not "unknown".
#include "web_config.h"  // First: it includes <utility> before any asio header.

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <boost/asio/ssl/context.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <type_traits>

#include "exporterd/config_map.h"
#include "exporterd/go_compat.h"

namespace exporterd {
namespace {

constexpr std::string_view kClientAuthTypes[] = {
    "NoClientCert", "RequestClientCert", "RequireAnyClientCert",
    "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"};

struct TlsVersion {
  std::string_view name;
  int version;
};
constexpr TlsVersion kTlsVersions[] = {{"TLS10", TLS1_VERSION},
                                       {"TLS11", TLS1_1_VERSION},
                                       {"TLS12", TLS1_2_VERSION},
                                       {"TLS13", TLS1_3_VERSION}};

// The only headers exporter-toolkit lets a web config set; an empty list
// means any value.
struct AllowedHeader {
  std::string_view name;
  std::array<std::string_view, 2> values;  // unused slots empty
};
constexpr AllowedHeader kAllowedHeaders[] = {
    {"Strict-Transport-Security", {}},
    {"X-Content-Type-Options", {"nosniff"}},
    {"X-Frame-Options", {"deny", "sameorigin"}},
    {"X-XSS-Protection", {}},
    {"Content-Security-Policy", {}},
};

constexpr size_t kMaxCacheEntries = 1024;

char Lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

template <typename List>
std::string JoinNames(const List& list) {
  std::string out;
  for (const auto& item : list) {
    std::string_view name;
    if constexpr (std::is_convertible_v<decltype(item), std::string_view>) {
      name = item;
    } else {
      name = item.name;
    }
    if (name.empty()) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// Canonical client_auth_type, or empty if unknown. "RequireClientCert" is
// exporter-toolkit's old spelling of RequireAnyClientCert.
std::string CanonicalClientAuth(std::string_view s) {
  if (s.empty()) return "NoClientCert";
  if (s == "RequireClientCert") return "RequireAnyClientCert";
  for (std::string_view t : kClientAuthTypes) {
    if (s == t) return std::string(t);
  }
  return "";
}

// OpenSSL protocol version for "TLS12" etc., 0 if unknown.
int TlsVersionNumber(std::string_view name) {
  for (const TlsVersion& v : kTlsVersions) {
    if (name == v.name) return v.version;
  }
  return 0;
}

bool IsBcryptChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '/';
}

// "$2a$", "$2b$" or "$2y$", a cost 04-31, "$", 22 chars salt + 31 chars hash.
bool IsBcryptHash(std::string_view h) {
  if (h.size() != 60 || h.substr(0, 2) != "$2" || h[3] != '$' || h[6] != '$')
    return false;
  if (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') return false;
  if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9') return false;
  int cost = (h[4] - '0') * 10 + (h[5] - '0');
  if (cost < 4 || cost > 31) return false;
  for (char c : h.substr(7)) {
    if (!IsBcryptChar(c)) return false;
  }
  return true;
}

// Drains OpenSSL's error queue into "reason; reason". Sets *mismatch when a
// key/certificate mismatch is among them.
std::string OpenSslErrors(bool* mismatch = nullptr) {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    if (mismatch != nullptr && ERR_GET_LIB(e) == ERR_LIB_X509 &&
        ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH) {
      *mismatch = true;
    }
    const char* reason = ERR_reason_error_string(e);
    std::string text;
    if (reason != nullptr) {
      text = reason;
    } else {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof(buf));
      text = buf;
    }
    if (out.find(text) != std::string::npos) continue;
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// Empty if `path` is a readable regular file within the cap, else why not.
// Checked before OpenSSL opens it, so a FIFO or a device named as a
// certificate or key is refused instead of blocking or reading forever.
std::string Unreadable(const std::string& path) {
  std::string why;
  std::optional<std::string> content =
      ReadConfigFile(path, kMaxConfigFileBytes, &why);
  if (!content) return why;
  OPENSSL_cleanse(content->data(), content->size());  // may be a private key
  return "";
}

// Never prompt on the terminal for an encrypted key's passphrase.
int NoPassphrase(char*, int, int, void*) { return 0; }
// RequireAnyClientCert / RequestClientCert: take whatever certificate comes.
int AcceptAnyCert(int, X509_STORE_CTX*) { return 1; }

struct TlsFailure {
  std::string key;  // tls_server_config key the failure belongs to
  std::string message;
};

// Checks the settings that do not need files.
std::optional<TlsFailure> CheckTlsSettings(const TlsServerConfig& tls) {
  std::string auth = CanonicalClientAuth(tls.client_auth_type);
  if (auth.empty()) {
    return TlsFailure{"client_auth_type",
                      "must be one of " + JoinNames(kClientAuthTypes) +
                          "; got \"" + tls.client_auth_type + "\""};
  }
  const std::string versions = JoinNames(kTlsVersions);
  int min = tls.min_version.empty() ? TLS1_2_VERSION
                                    : TlsVersionNumber(tls.min_version);
  if (min == 0) {
    return TlsFailure{"min_version", "must be one of " + versions + "; got \"" +
                                         tls.min_version + "\""};
  }
  int max = tls.max_version.empty() ? 0 : TlsVersionNumber(tls.max_version);
  if (!tls.max_version.empty() && max == 0) {
    return TlsFailure{"max_version", "must be one of " + versions + "; got \"" +
                                         tls.max_version + "\""};
  }
  if (max != 0 && max < min) {
    return TlsFailure{"max_version", "is lower than min_version"};
  }
  if ((auth == "VerifyClientCertIfGiven" ||
       auth == "RequireAndVerifyClientCert") &&
      tls.client_ca_file.empty()) {
    return TlsFailure{"client_auth_type",
                      auth + " needs client_ca_file to verify clients against"};
  }
  if (tls.cert_file.empty()) return TlsFailure{"cert_file", "is required"};
  if (tls.key_file.empty()) return TlsFailure{"key_file", "is required"};
  return std::nullopt;
}

std::shared_ptr<boost::asio::ssl::context> BuildTlsContext(
    const TlsServerConfig& tls, TlsFailure* failure) {
  ERR_clear_error();
  auto fail =
      [&](std::string key,
          std::string message) -> std::shared_ptr<boost::asio::ssl::context> {
    *failure = {std::move(key), std::move(message)};
    ERR_clear_error();
    return nullptr;
  };
  if (auto bad = CheckTlsSettings(tls)) return fail(bad->key, bad->message);
  const std::string auth = CanonicalClientAuth(tls.client_auth_type);
  const int min = tls.min_version.empty() ? TLS1_2_VERSION
                                          : TlsVersionNumber(tls.min_version);
  const int max =
      tls.max_version.empty() ? 0 : TlsVersionNumber(tls.max_version);

  for (auto [key, file] : {std::pair{"cert_file", &tls.cert_file},
                           std::pair{"key_file", &tls.key_file},
                           std::pair{"client_ca_file", &tls.client_ca_file}}) {
    if (file->empty()) continue;
    std::string why = Unreadable(*file);
    if (!why.empty()) return fail(key, "cannot read " + *file + ": " + why);
  }

  std::shared_ptr<boost::asio::ssl::context> ctx;
  try {
    ctx = std::make_shared<boost::asio::ssl::context>(
        boost::asio::ssl::context::tls_server);
  } catch (const std::exception& e) {
    return fail("", std::string("cannot create TLS context: ") + e.what());
  }
  SSL_CTX* c = ctx->native_handle();
  SSL_CTX_set_default_passwd_cb(c, NoPassphrase);

  if (SSL_CTX_use_certificate_chain_file(c, tls.cert_file.c_str()) != 1) {
    return fail("cert_file", "cannot load certificate from " + tls.cert_file +
                                 ": " + OpenSslErrors());
  }
  if (SSL_CTX_use_PrivateKey_file(c, tls.key_file.c_str(), SSL_FILETYPE_PEM) !=
      1) {
    bool mismatch = false;
    std::string why = OpenSslErrors(&mismatch);
    if (mismatch) {
      return fail("key_file", "private key in " + tls.key_file +
                                  " does not match the certificate in " +
                                  tls.cert_file);
    }
    std::string ignored;
    std::optional<std::string> content =
        ReadConfigFile(tls.key_file, kMaxConfigFileBytes, &ignored);
    const bool encrypted =
        content && content->find("ENCRYPTED") != std::string::npos;
    if (content) OPENSSL_cleanse(content->data(), content->size());
    if (encrypted) {
      return fail("key_file", tls.key_file +
                                  " holds an encrypted private key; exporterd "
                                  "needs an unencrypted one");
    }
    return fail("key_file",
                "cannot load private key from " + tls.key_file + ": " + why);
  }
  if (SSL_CTX_check_private_key(c) != 1) {
    return fail("key_file", "private key in " + tls.key_file +
                                " does not match the certificate in " +
                                tls.cert_file + ": " + OpenSslErrors());
  }

  if (SSL_CTX_set_min_proto_version(c, min) != 1) {
    return fail("min_version", "refused by OpenSSL: " + OpenSslErrors());
  }
  if (max != 0 && SSL_CTX_set_max_proto_version(c, max) != 1) {
    return fail("max_version", "refused by OpenSSL: " + OpenSslErrors());
  }
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                             SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Needed for session resumption once clients are verified.
  static constexpr unsigned char kSessionContext[] = "exporterd";
  SSL_CTX_set_session_id_context(c, kSessionContext,
                                 sizeof(kSessionContext) - 1);

  if (!tls.client_ca_file.empty()) {
    const char* ca = tls.client_ca_file.c_str();
    if (SSL_CTX_load_verify_locations(c, ca, nullptr) != 1) {
      return fail("client_ca_file", "cannot load CA certificates from " +
                                        tls.client_ca_file + ": " +
                                        OpenSslErrors());
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca);
    if (names == nullptr || sk_X509_NAME_num(names) == 0) {
      if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
      return fail("client_ca_file",
                  "no certificates found in " + tls.client_ca_file);
    }
    SSL_CTX_set_client_CA_list(c, names);  // takes ownership
  }

  if (auth == "NoClientCert") {
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
  } else if (auth == "RequestClientCert") {
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, AcceptAnyCert);
  } else if (auth == "RequireAnyClientCert") {
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       AcceptAnyCert);
  } else if (auth == "VerifyClientCertIfGiven") {
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
  } else {  // RequireAndVerifyClientCert
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       nullptr);
  }
  ERR_clear_error();
  return ctx;
}

// `p` relative to the directory of the web config file `file`.
std::string Resolve(const std::string& file, const std::string& p) {
  const std::filesystem::path dir = std::filesystem::path(file).parent_path();
  if (p.empty() || dir.empty() || std::filesystem::path(p).is_absolute()) {
    return p;
  }
  return (dir / p).lexically_normal().string();
}

// The mapping under the top-level section `key`, when it is present and is
// a mapping with settings. A section present without settings is refused
// with `if_empty`: `tls_server_config:` alone used to mean "no TLS", and a
// truncated write must not turn TLS or auth off. A value that is not a
// mapping is reported by the reader.
std::optional<ConfigReader> SectionReader(ConfigReader& top,
                                          const std::string& key,
                                          const std::string& if_empty) {
  const YAML::Node n = top.Raw(key);
  if (!n.IsDefined()) return std::nullopt;
  if (n.IsNull() || (n.IsMap() && n.size() == 0)) {
    top.Error(key, if_empty);
    return std::nullopt;
  }
  ConfigReader r = top.Child(key);
  if (!n.IsMap()) return std::nullopt;
  return r;
}

std::string MustBeOneOf(const std::string& names, const std::string& got) {
  return "must be one of " + names + "; got \"" + got + "\"";
}

std::string ClientAuthProblem(const std::string& v) {
  if (!CanonicalClientAuth(v).empty()) return "";
  return MustBeOneOf(JoinNames(kClientAuthTypes), v);
}

std::string TlsVersionProblem(const std::string& v) {
  if (v.empty() || TlsVersionNumber(v) != 0) return "";
  return MustBeOneOf(JoinNames(kTlsVersions), v);
}

// tls_server_config's checks across keys; the old client_auth_type spelling
// becomes the current one.
void CheckTls(ConfigReader& r, TlsServerConfig* tls) {
  const std::string auth = CanonicalClientAuth(tls->client_auth_type);
  if (!auth.empty()) tls->client_auth_type = auth;
  if (tls->min_version.empty()) tls->min_version = "TLS12";
  const int min = TlsVersionNumber(tls->min_version);
  const int max = TlsVersionNumber(tls->max_version);
  if (min != 0 && max != 0 && max < min) {
    r.Error("max_version",
            "is lower than min_version (" + tls->min_version + ")");
  }
  if ((auth == "VerifyClientCertIfGiven" ||
       auth == "RequireAndVerifyClientCert") &&
      tls->client_ca_file.empty()) {
    r.Error("client_auth_type",
            auth + " needs client_ca_file to verify clients against");
  }
  if (auth == "NoClientCert" && !tls->client_ca_file.empty()) {
    r.Error("client_ca_file",
            "is set but client_auth_type is NoClientCert; set client_auth_type "
            "too");
  }
  for (auto [key, value] : {std::pair{"cert_file", &tls->cert_file},
                            std::pair{"key_file", &tls->key_file}}) {
    if (value->empty()) {
      r.Missing(key, "is required when tls_server_config is set");
    }
  }
}

const ConfigMap<TlsServerConfig>& TlsMap() {
  using T = TlsServerConfig;
  static const ConfigMap<T> m(
      {
          Key("cert_file", &T::cert_file, std::string(),
              "Server certificate chain (PEM); relative to the web config "
              "file's directory."),
          Key("key_file", &T::key_file, std::string(),
              "Its private key (PEM, unencrypted)."),
          Key("client_ca_file", &T::client_ca_file, std::string(),
              "CA certificates (PEM) that client certificates are verified "
              "against."),
          Key("client_auth_type", &T::client_auth_type,
              std::string("NoClientCert"),
              "One of " + JoinNames(kClientAuthTypes) +
                  " (RequireClientCert: the old RequireAnyClientCert).")
              .Check(ClientAuthProblem),
          Key("min_version", &T::min_version, std::string("TLS12"),
              "Lowest TLS version: one of " + JoinNames(kTlsVersions) + ".")
              .Check(TlsVersionProblem),
          Key("max_version", &T::max_version, std::string(),
              "Highest TLS version; none by default.")
              .Check(TlsVersionProblem),
          Unsupported<T>("cert",
                         "put the certificate in a file and use cert_file"),
          Unsupported<T>("key", "put the key in a file and use key_file"),
          Unsupported<T>(
              "client_ca",
              "put the CA certificates in a file and use client_ca_file"),
          Unsupported<T>("cipher_suites",
                         "OpenSSL's default cipher suites are used"),
          Unsupported<T>("curve_preferences",
                         "OpenSSL's default groups are used"),
          Unsupported<T>("prefer_server_cipher_suites",
                         "the server's cipher preference is always used"),
          Unsupported<T>("client_allowed_sans", ""),
      },
      CheckTls);
  return m;
}

// The keys read, then the files loaded: a context that loads is the check
// that the certificate, key and CA files are usable.
void ReadTls(ConfigReader& top, WebConfig* cfg) {
  const size_t errors_before = top.error_count();
  std::optional<ConfigReader> r =
      SectionReader(top, "tls_server_config",
                    "has no settings; leave tls_server_config out to serve "
                    "plain HTTP");
  if (!r) return;
  TlsServerConfig tls = TlsMap().Read(*r);
  if (r->error_count() != errors_before) return;

  for (std::string* file :
       {&tls.cert_file, &tls.key_file, &tls.client_ca_file}) {
    *file = Resolve(top.file(), *file);
  }
  TlsFailure failure;
  auto ctx = BuildTlsContext(tls, &failure);
  if (ctx == nullptr) {
    if (failure.key.empty()) {
      top.Error("tls_server_config", failure.message);
    } else {  // at the key, or at the section for a default (min_version)
      r->Missing(failure.key, failure.message);
    }
    return;
  }
  cfg->tls = std::move(tls);
  cfg->tls_context = std::move(ctx);
}

struct HttpKeys {
  bool http2 = false;
  std::vector<std::pair<std::string, std::string>> headers;
};

// http_server_config.headers: only kAllowedHeaders, each once (names are
// case-insensitive), with one of its values when it has a list.
void ReadHeaders(ConfigReader& http, HttpKeys* out) {
  const YAML::Node n = http.Raw("headers");
  if (!n.IsDefined() || n.IsNull()) return;
  ConfigReader r = http.Child("headers");  // reports a non-mapping
  if (!n.IsMap()) return;
  std::set<std::string> names;  // as written: the reader reports repeats
  std::set<std::string> seen;   // lower-cased
  for (const auto& kv : n) {
    const std::string name = kv.first.Scalar();
    if (!names.insert(name).second) continue;
    r.Ignore(name);
    const AllowedHeader* allowed = nullptr;
    for (const AllowedHeader& a : kAllowedHeaders) {
      if (EqualsIgnoreCase(name, a.name)) allowed = &a;
    }
    if (allowed == nullptr) {
      r.Error(name, "this header can not be configured; allowed headers: " +
                        JoinNames(kAllowedHeaders));
      continue;
    }
    std::string lower(allowed->name);
    for (char& c : lower) c = Lower(c);
    if (!seen.insert(lower).second) {
      r.Error(name, "duplicate header");
      continue;
    }
    if (kv.second.IsNull()) {
      r.Error(name, "has no value");
      continue;
    }
    const size_t errors_before = r.error_count();
    const std::string value = r.String(name, "");
    if (r.error_count() != errors_before) continue;  // not a string
    bool bad_char = false;
    for (unsigned char c : value) {
      if ((c < 0x20 && c != '\t') || c == 0x7f) bad_char = true;
    }
    if (bad_char) {
      r.Error(name, "must not contain control characters");
      continue;
    }
    if (!allowed->values[0].empty()) {
      bool ok = false;
      for (std::string_view v : allowed->values) {
        if (!v.empty() && EqualsIgnoreCase(value, v)) ok = true;
      }
      if (!ok) {
        r.Error(name, MustBeOneOf(JoinNames(allowed->values), value));
        continue;
      }
    }
    out->headers.emplace_back(std::string(allowed->name), value);
  }
  r.Finish();
}

const ConfigMap<HttpKeys>& HttpMap() {
  static const ConfigMap<HttpKeys> m{
      Key("http2", &HttpKeys::http2, false,
          "Accepted and ignored: exporterd serves HTTP/1.1."),
      Custom<HttpKeys>(
          "headers", "mapping", "",
          "Headers added to every reply: " + JoinNames(kAllowedHeaders) + ".",
          ReadHeaders),
  };
  return m;
}

void ReadHttp(ConfigReader& top, WebConfig* cfg) {
  std::optional<ConfigReader> r =
      SectionReader(top, "http_server_config",
                    "has no settings; leave http_server_config out");
  if (r) cfg->headers = HttpMap().Read(*r).headers;
}

int BcryptCost(std::string_view hash) {
  return (hash[4] - '0') * 10 + (hash[5] - '0');
}

void ReadUsers(ConfigReader& top, WebConfig* cfg) {
  std::optional<ConfigReader> r =
      SectionReader(top, "basic_auth_users",
                    "has no users; leave basic_auth_users out to serve "
                    "without basic auth");
  if (!r) return;
  // The first user's cost is the one all must have: with mixed costs, the
  // refusal of an unknown user takes the time of one cost and a known user's
  // another, and response times tell user names.
  std::optional<std::pair<std::string, int>> first;  // user, cost
  std::set<std::string> users;  // as written: the reader reports repeats
  for (const auto& kv : top.Raw("basic_auth_users")) {
    const std::string user = kv.first.Scalar();
    if (!users.insert(user).second) continue;
    const YAML::Node value = r->Raw(user);
    if (!value.IsScalar()) {
      r->Error(user, "must be a bcrypt hash string");
      continue;
    }
    const std::string& hash = value.Scalar();
    if (!IsBcryptHash(hash)) {
      r->Error(user,
               "is not a bcrypt hash (want $2a$, $2b$ or $2y$, a two-digit "
               "cost, $ and 53 characters; make one with htpasswd -nBC 10 " +
                   user + ")");
      continue;
    }
    const int cost = BcryptCost(hash);
    if (!first) {
      first.emplace(user, cost);
    } else if (cost != first->second) {
      const std::string want = std::to_string(first->second);
      r->Error(user,
               "all basic_auth_users hashes must use the same bcrypt cost; "
               "found " +
                   want + " (" + first->first + ") and " +
                   std::to_string(cost) + " (" + user +
                   "); rehash with htpasswd -nBC " + want + " " + user);
      continue;
    }
    cfg->basic_auth_users[user] = hash;
  }
  r->Finish();
}

const ConfigMap<WebConfig>& WebConfigMap() {
  static const ConfigMap<WebConfig> m{
      Custom<WebConfig>("tls_server_config", "mapping", "",
                        "Serve HTTPS with these settings; absent: plain HTTP.",
                        ReadTls),
      Custom<WebConfig>("http_server_config", "mapping", "",
                        "Headers added to replies (http2 is ignored).",
                        ReadHttp),
      Custom<WebConfig>("basic_auth_users", "mapping", "",
                        "User names and their bcrypt hashes, all of one "
                        "cost; absent: no basic auth.",
                        ReadUsers),
      Unsupported<WebConfig>("rate_limit", ""),
  };
  return m;
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// "Basic base64(user:password)"; the scheme is case-insensitive.
bool ParseBasic(std::string_view header, std::string* user,
                std::string* password) {
  header = TrimSpace(header);
  constexpr std::string_view kScheme = "basic";
  if (header.size() <= kScheme.size() ||
      !EqualsIgnoreCase(header.substr(0, kScheme.size()), kScheme) ||
      (header[kScheme.size()] != ' ' && header[kScheme.size()] != '\t')) {
    return false;
  }
  std::string decoded;
  if (!GoBase64Decode(TrimSpace(header.substr(kScheme.size())), &decoded)) {
    return false;
  }
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  *user = decoded.substr(0, colon);
  *password = decoded.substr(colon + 1);
  OPENSSL_cleanse(decoded.data(), decoded.size());
  return true;
}

// crypt_r(password, hash) == hash, compared in constant time.
bool VerifyBcrypt(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();  // zeroed; ~32 KiB
  const char* out = crypt_r(password.c_str(), hash.c_str(), data.get());
  bool ok = out != nullptr && out[0] != '*' &&
            std::strlen(out) == hash.size() &&
            CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return ok;
}

// A well-formed hash matching no password anyone sends, at the highest cost
// in `users` so an unknown user costs at least as much as a known one.
std::string DecoyHash(const std::map<std::string, std::string>& users) {
  int cost = 10;
  bool any = false;
  for (const auto& entry : users) {
    const std::string& hash = entry.second;
    if (!IsBcryptHash(hash)) continue;
    int c = (hash[4] - '0') * 10 + (hash[5] - '0');
    cost = any ? std::max(cost, c) : c;
    any = true;
  }
  char prefix[8];
  std::snprintf(prefix, sizeof(prefix), "$2b$%02d$", cost);
  return std::string(prefix) +
         "exporterdDecoySaltAbCuJ7tGmJ2a8kQ4vW1zXyP0dL5rNhQe6Fo";
}

// SHA-256 of user \0 password \0 hash; empty on failure.
std::string CacheKey(const std::string& user, const std::string& password,
                     const std::string& hash) {
  std::string in;
  in.reserve(user.size() + password.size() + hash.size() + 2);
  in.append(user).push_back('\0');
  in.append(password).push_back('\0');
  in.append(hash);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  bool ok =
      EVP_Digest(in.data(), in.size(), md, &len, EVP_sha256(), nullptr) == 1;
  OPENSSL_cleanse(in.data(), in.size());
  if (!ok) return "";
  return std::string(reinterpret_cast<const char*>(md), len);
}

}  // namespace

std::optional<WebConfig> LoadWebConfig(const std::string& path,
                                       ConfigErrors* errors) {
  const size_t errors_before = errors->list.size();
  std::string why;
  std::optional<std::string> text =
      ReadConfigFile(path, kMaxConfigFileBytes, &why);
  if (!text) {
    errors->Add(path, 0, "", "cannot read web config file: " + why);
    return std::nullopt;
  }
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    errors->Add(path, e.mark.is_null() ? 0 : e.mark.line + 1, "",
                "invalid YAML: " + e.msg);
    return std::nullopt;
  } catch (const std::exception& e) {
    errors->Add(path, 0, "", std::string("invalid YAML: ") + e.what());
    return std::nullopt;
  }

  // Nothing at all (0 bytes, blanks, comments; a truncated write) must not
  // read as "no TLS, no auth".
  if (!root.IsDefined() || root.IsNull()) {
    errors->Add(path, 0, "",
                "empty web config file; to serve without TLS and basic auth, "
                "leave out --web.config.file");
    return std::nullopt;
  }

  WebConfig cfg;
  try {
    ConfigReader top(root, path, "", errors);
    WebConfigMap().ReadInto(top, &cfg);
  } catch (const std::exception& e) {  // yaml-cpp should not throw here
    errors->Add(path, 0, "",
                std::string("cannot read web config: ") + e.what());
  }
  if (errors->list.size() == errors_before) return cfg;
  std::stable_sort(errors->list.begin() + std::ptrdiff_t(errors_before),
                   errors->list.end(),
                   [](const ConfigError& a, const ConfigError& b) {
                     return a.line < b.line;
                   });
  return std::nullopt;
}

std::shared_ptr<boost::asio::ssl::context> MakeServerTlsContext(
    const TlsServerConfig& tls, std::string* error) {
  TlsFailure failure;
  std::shared_ptr<boost::asio::ssl::context> ctx;
  try {
    ctx = BuildTlsContext(tls, &failure);
  } catch (const std::exception& e) {
    failure = {"", e.what()};
  } catch (...) {
    failure = {"", "unexpected error building the TLS context"};
  }
  if (ctx == nullptr && error != nullptr) {
    *error = failure.key.empty() ? failure.message
                                 : failure.key + ": " + failure.message;
  }
  return ctx;
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users)
    : users_(std::move(users)), decoy_(DecoyHash(users_)) {}

AuthResult BasicAuth::Lookup(std::string_view authorization) const {
  if (users_.empty()) return AuthResult::kDenied;
  std::string user, password;
  if (!ParseBasic(authorization, &user, &password)) return AuthResult::kDenied;
  // The same work for known and unknown users: a digest and a cache probe
  // (a decoy key is never cached).
  auto it = users_.find(user);
  const bool known = it != users_.end();
  std::string key = CacheKey(user, password, known ? it->second : decoy_);
  bool cached = false;
  if (!key.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    cached = cache_.count(key) != 0;
  }
  cached = cached && known && password.find('\0') == std::string::npos;
  OPENSSL_cleanse(password.data(), password.size());
  return cached ? AuthResult::kOk : AuthResult::kNeedsVerify;
}

bool BasicAuth::Verify(std::string_view authorization) const {
  if (users_.empty()) return false;
  std::string user, password;
  if (!ParseBasic(authorization, &user, &password)) return false;
  bool ok = false;
  auto it = users_.find(user);
  if (password.find('\0') != std::string::npos) {
    // crypt_r would stop at the NUL; never accept such a password.
    VerifyBcrypt("", decoy_);
  } else if (it == users_.end()) {
    VerifyBcrypt(password, decoy_);  // same cost, always false
  } else if (VerifyBcrypt(password, it->second)) {
    ok = true;
    std::string key = CacheKey(user, password, it->second);
    if (!key.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      if (cache_.size() >= kMaxCacheEntries) cache_.clear();
      cache_.insert(std::move(key));
    }
  }
  OPENSSL_cleanse(password.data(), password.size());
  return ok;
}

bool BasicAuth::Check(std::string_view authorization) const {
  switch (Lookup(authorization)) {
    case AuthResult::kOk:
      return true;
    case AuthResult::kDenied:
      return false;
    case AuthResult::kNeedsVerify:
      break;
  }
  return Verify(authorization);
}

}  // namespace exporterd
