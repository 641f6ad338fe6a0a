// --web.config.file in exporter-toolkit's format: TLS server settings and
// bcrypt basic-auth users.
//
//   tls_server_config:
//     cert_file: server.crt
//     key_file: server.key
//     client_auth_type: RequireAndVerifyClientCert   # default NoClientCert
//     client_ca_file: ca.crt
//     min_version: TLS12                             # default TLS12
//     max_version: TLS13
//   http_server_config:
//     headers: {X-Frame-Options: deny}
//   basic_auth_users:
//     prometheus: $2y$10$...                         # htpasswd -nbB -C 10
//
// Refused, so that a mistake or a truncated write never turns TLS or auth
// off on reload: an empty file (or only comments), a document that is not a
// mapping, a section present without settings (`tls_server_config:`,
// `basic_auth_users: {}`), and basic_auth_users hashes of different bcrypt
// costs (an unknown user's refusal would take the time of one cost, a known
// user's another: response times would tell user names). No TLS and no auth
// is spelled by not passing --web.config.file. The file is read with
// ReadConfigFile (regular files up to kMaxConfigFileBytes).
#ifndef EXPORTERD_WEB_CONFIG_H_
#define EXPORTERD_WEB_CONFIG_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporterd/config_reader.h"

namespace boost::asio::ssl {
class context;
}

namespace exporterd {

struct TlsServerConfig {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  std::string client_auth_type = "NoClientCert";
  std::string min_version = "TLS12";
  std::string max_version;  // empty: no upper bound
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;
  // Built from `tls` while loading (that is how its files are checked).
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
  std::vector<std::pair<std::string, std::string>> headers;  // added to replies
};

// Reads and validates `path` (see above for what is refused). Relative file
// names inside are resolved against the directory of `path`. On failure returns
// nullopt and appends every problem (file, line, key) to *errors. Also checks
// that the certificate, key and CA files load.
std::optional<WebConfig> LoadWebConfig(const std::string& path,
                                       ConfigErrors* errors);

// A server-side TLS context for `tls`. Returns null and sets *error when a
// file does not load or a setting is refused by OpenSSL.
std::shared_ptr<boost::asio::ssl::context> MakeServerTlsContext(
    const TlsServerConfig& tls, std::string* error);

// What BasicAuth::Lookup knows without running bcrypt.
enum class AuthResult { kOk, kDenied, kNeedsVerify };

// HTTP basic auth against bcrypt hashes (libcrypt crypt_r, "$2y$", "$2b$",
// "$2a$"). Thread-safe. Verified (user, password) pairs are cached so a
// scrape does not pay bcrypt's cost each time; an unknown user costs the same
// as a known one (a decoy hash at the users' cost; LoadWebConfig refuses
// mixed costs, with them here the decoy takes the highest). bcrypt reads at
// most 72 bytes of a password: bytes past the 72nd are ignored, so two
// passwords sharing their first 72 bytes are the same password. A password
// containing NUL is always refused.
//
// `authorization` is the raw Authorization header value ("Basic ...").
class BasicAuth {
 public:
  BasicAuth() = default;
  explicit BasicAuth(std::map<std::string, std::string> users);
  bool enabled() const { return !users_.empty(); }
  // Lookup, then Verify when needed: may run bcrypt on the calling thread.
  bool Check(std::string_view authorization) const;
  // Cheap (no bcrypt): kOk when these credentials were verified before,
  // kDenied when the header is malformed or absent, else kNeedsVerify.
  AuthResult Lookup(std::string_view authorization) const;
  // The bcrypt path (unknown users cost what known users cost); caches success.
  bool Verify(std::string_view authorization) const;

 private:
  std::map<std::string, std::string> users_;
  std::string decoy_;  // a hash no password matches, at the users' cost
  mutable std::mutex mu_;
  mutable std::set<std::string> cache_;  // digests of accepted credentials
};

}  // namespace exporterd

#endif  // EXPORTERD_WEB_CONFIG_H_
