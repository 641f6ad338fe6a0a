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
//     prometheus: $2y$10$...                         # htpasswd -nbB
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

// Reads and validates `path`. Relative file names inside are resolved against
// the directory of `path`. On failure returns nullopt and appends every
// problem (file, line, key) to *errors. Also checks that the certificate, key
// and CA files load.
std::optional<WebConfig> LoadWebConfig(const std::string& path,
                                       ConfigErrors* errors);

// A server-side TLS context for `tls`. Returns null and sets *error when a
// file does not load or a setting is refused by OpenSSL.
std::shared_ptr<boost::asio::ssl::context> MakeServerTlsContext(
    const TlsServerConfig& tls, std::string* error);

// HTTP basic auth against bcrypt hashes (libcrypt crypt_r, "$2y$", "$2b$",
// "$2a$"). Thread-safe. Verified (user, password) pairs are cached so a
// scrape does not pay bcrypt's cost each time; an unknown user costs the same
// as a known one.
class BasicAuth {
 public:
  BasicAuth() = default;
  explicit BasicAuth(std::map<std::string, std::string> users);
  bool enabled() const { return !users_.empty(); }
  // `authorization` is the raw Authorization header value ("Basic ...").
  bool Check(std::string_view authorization) const;

 private:
  std::map<std::string, std::string> users_;
  mutable std::mutex mu_;
  mutable std::set<std::string> cache_;  // digests of accepted credentials
};

}  // namespace exporterd

#endif  // EXPORTERD_WEB_CONFIG_H_
