// What the http prober and the pieces around it share about libcurl:
// prometheus/common's HTTPClientConfig parts as curl options (TLS, proxy),
// URL parts, the failure reason of a curl error, and the OAuth2 client
// credentials flow (a token fetched on the probe's loop before the probe's
// request, as upstream's oauth2 round tripper does on a fresh client).
#ifndef EXPORTERD_BLACKBOX_HTTP_CLIENT_H_
#define EXPORTERD_BLACKBOX_HTTP_CLIENT_H_

#include <curl/curl.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "probe.h"

namespace exporterd::blackbox {

std::string Lower(std::string s);
// Go's strings.TrimSpace (ASCII white space).
std::string TrimSpace(std::string s);
bool ReadWholeFile(const std::string& path, std::string* out);

// probe_failure_info's reason for a curl error.
const char* ReasonFor(CURLcode rc);

struct UrlParts {
  std::string scheme, host, port;  // host without brackets; port may be ""
};
bool ParseUrl(const std::string& url, UrlParts* p, std::string* err);

// A CURLOPT_RESOLVE list pinning host:port to `ip`, the address chosen on
// the loop (curl then starts no resolver thread); nullptr when `host` is an
// IP literal. The caller frees it with curl_slist_free_all.
curl_slist* ResolveTo(const std::string& host, const std::string& port,
                      const boost::asio::ip::address& ip);
// The TLS facts of `e`'s connection, read in CURLOPT_PREREQFUNCTION (right
// after the handshake); empty when there is no OpenSSL session.
TlsFacts CurlTlsFacts(CURL* e, bool verified);

// tls_config as curl options (CA, client certificate, verification,
// versions; Go's client minimum TLS 1.2 when unset).
void ApplyTls(CURL* e, const TlsConfig& t);
// proxy_url, no_proxy, proxy_connect_header; curl's own *_proxy variables
// only with proxy_from_environment. `*headers` (owned by the caller, freed
// with curl_slist_free_all) receives the CONNECT headers.
void ApplyProxy(CURL* e, const ProxyConfig& p, curl_slist** headers);

// An OAuth2 token endpoint's answer: JSON, or form-encoded when the
// Content-Type says application/x-www-form-urlencoded or text/plain (as
// golang.org/x/oauth2). nullopt and *error when it carries no
// access_token.
struct OAuth2Token {
  std::string type;  // Go's Token.Type(): "Bearer" when empty or "bearer"
  std::string access_token;
};
std::optional<OAuth2Token> ParseTokenResponse(std::string_view content_type,
                                              std::string_view body,
                                              std::string* error);
// The token request's form body: grant_type, scope (space-joined) and
// endpoint_params, plus client_id/client_secret when `secret_in_body`;
// keys sorted, as Go's url.Values.Encode.
std::string TokenRequestBody(const OAuth2& o, const std::string& secret,
                             bool secret_in_body);

// Fetches a token for `o` on the run's loop: first with the client
// credentials in a Basic header, then (when the endpoint refuses that) in
// the body, as x/oauth2's auto-detected auth style does. `done` gets the
// Authorization header value ("Bearer abc"), or nullopt with the error and
// a failure reason; it is not called once the run has finished. The
// returned function stops the fetch (the run's abort calls it).
using TokenDone =
    std::function<void(std::optional<std::string> authorization,
                       const std::string& error, const char* reason)>;
std::function<void()> FetchOAuth2Token(const std::shared_ptr<ProbeRun>& run,
                                       const OAuth2& o, IpProtocol preferred,
                                       bool fallback, TokenDone done);

}  // namespace exporterd::blackbox

#endif  // EXPORTERD_BLACKBOX_HTTP_CLIENT_H_
