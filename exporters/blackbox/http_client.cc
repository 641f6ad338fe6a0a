#include "http_client.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "curl_loop.h"

namespace exporterd::blackbox {

std::string Lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

std::string TrimSpace(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

const char* ReasonFor(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return reason::kDns;
    case CURLE_COULDNT_CONNECT:
      return reason::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return reason::kTimeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
      return reason::kTls;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return reason::kTarget;
    default:
      return reason::kIo;
  }
}

bool ParseUrl(const std::string& url, UrlParts* p, std::string* err) {
  CURLU* u = curl_url();
  CURLUcode rc = curl_url_set(u, CURLUPART_URL, url.c_str(), 0);
  if (rc != CURLUE_OK) {
    *err = curl_url_strerror(rc);
    curl_url_cleanup(u);
    return false;
  }
  auto get = [&](CURLUPart part, std::string* out) {
    char* v = nullptr;
    if (curl_url_get(u, part, &v, 0) == CURLUE_OK && v) {
      *out = v;
      curl_free(v);
    }
  };
  get(CURLUPART_SCHEME, &p->scheme);
  get(CURLUPART_HOST, &p->host);
  get(CURLUPART_PORT, &p->port);
  curl_url_cleanup(u);
  if (p->host.size() >= 2 && p->host.front() == '[') {
    p->host = p->host.substr(1, p->host.size() - 2);
    size_t pct = p->host.find('%');  // zone id
    if (pct != std::string::npos) p->host.resize(pct);
  }
  return true;
}

curl_slist* ResolveTo(const std::string& host, const std::string& port,
                      const boost::asio::ip::address& ip) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (!ec) return nullptr;  // an IP literal: nothing to resolve
  std::string a = ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string();
  return curl_slist_append(nullptr, (host + ":" + port + ":" + a).c_str());
}

TlsFacts CurlTlsFacts(CURL* e, bool verified) {
  curl_tlssessioninfo* info = nullptr;
  if (curl_easy_getinfo(e, CURLINFO_TLS_SSL_PTR, &info) == CURLE_OK && info &&
      info->backend == CURLSSLBACKEND_OPENSSL && info->internals)
    return ReadTlsFacts(static_cast<SSL*>(info->internals), verified);
  return {};
}

void ApplyProxy(CURL* e, const ProxyConfig& p, curl_slist** headers) {
  // Only what the module says (curl would read *_proxy otherwise).
  if (!p.proxy_url.empty()) {
    curl_easy_setopt(e, CURLOPT_PROXY, p.proxy_url.c_str());
    if (!p.no_proxy.empty())
      curl_easy_setopt(e, CURLOPT_NOPROXY, p.no_proxy.c_str());
    for (const auto& [name, values] : p.proxy_connect_header)
      for (const auto& v : values)
        *headers = curl_slist_append(*headers, (name + ": " + v.value).c_str());
    if (*headers) {
      curl_easy_setopt(e, CURLOPT_PROXYHEADER, *headers);
      curl_easy_setopt(e, CURLOPT_HEADEROPT, CURLHEADER_SEPARATE);
    }
  } else if (!p.proxy_from_environment) {
    curl_easy_setopt(e, CURLOPT_PROXY, "");
  }
}

void ApplyTls(CURL* e, const TlsConfig& t) {
  if (!t.ca_file.empty())
    curl_easy_setopt(e, CURLOPT_CAINFO, t.ca_file.c_str());
  curl_blob ca_blob{const_cast<char*>(t.ca.data()), t.ca.size(),
                    CURL_BLOB_COPY};
  if (t.ca_file.empty() && !t.ca.empty())
    curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &ca_blob);
  if (!t.cert_file.empty())
    curl_easy_setopt(e, CURLOPT_SSLCERT, t.cert_file.c_str());
  curl_blob cert_blob{const_cast<char*>(t.cert.data()), t.cert.size(),
                      CURL_BLOB_COPY};
  if (t.cert_file.empty() && !t.cert.empty())
    curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cert_blob);
  if (!t.key_file.empty())
    curl_easy_setopt(e, CURLOPT_SSLKEY, t.key_file.c_str());
  curl_blob key_blob{const_cast<char*>(t.key.value.data()), t.key.value.size(),
                     CURL_BLOB_COPY};
  if (t.key_file.empty() && !t.key.value.empty())
    curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &key_blob);
  if (t.insecure_skip_verify) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  long ver = CURL_SSLVERSION_TLSv1_2;  // Go's client default minimum
  switch (t.min_version) {
    case TlsVersion::kTls10:
      ver = CURL_SSLVERSION_TLSv1_0;
      break;
    case TlsVersion::kTls11:
      ver = CURL_SSLVERSION_TLSv1_1;
      break;
    case TlsVersion::kTls13:
      ver = CURL_SSLVERSION_TLSv1_3;
      break;
    default:
      break;
  }
  switch (t.max_version) {
    case TlsVersion::kTls10:
      ver |= CURL_SSLVERSION_MAX_TLSv1_0;
      break;
    case TlsVersion::kTls11:
      ver |= CURL_SSLVERSION_MAX_TLSv1_1;
      break;
    case TlsVersion::kTls12:
      ver |= CURL_SSLVERSION_MAX_TLSv1_2;
      break;
    case TlsVersion::kTls13:
      ver |= CURL_SSLVERSION_MAX_TLSv1_3;
      break;
    default:
      break;
  }
  curl_easy_setopt(e, CURLOPT_SSLVERSION, ver);
}

// ---------------------------------------------------------------------------
// OAuth2 client credentials

namespace {

// Go's url.QueryEscape.
std::string QueryEscape(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string QueryUnescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(
          std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Go's Token.Type().
std::string TokenType(const std::string& t) {
  std::string l = Lower(t);
  if (l == "bearer" || t.empty()) return "Bearer";
  if (l == "mac") return "MAC";
  if (l == "basic") return "Basic";
  return t;
}

constexpr size_t kMaxTokenBody = 1 << 20;  // x/oauth2 reads at most 1 MiB

class TokenFetch : public std::enable_shared_from_this<TokenFetch> {
 public:
  TokenFetch(std::shared_ptr<ProbeRun> run, const OAuth2& o, TokenDone done)
      : run_(std::move(run)), o_(o), done_(std::move(done)), x_(run_->io()) {}
  ~TokenFetch() { Stop(); }

  void Start(IpProtocol preferred, bool fallback) {
    if (!o_.client_secret_file.empty()) {
      if (!ReadWholeFile(o_.client_secret_file, &secret_))
        return Fail(
            "unable to read oauth2 client secret file " + o_.client_secret_file,
            reason::kConfig);
      secret_ = TrimSpace(secret_);
    } else {
      secret_ = o_.client_secret.value;
    }
    // x/oauth2 lets endpoint_params replace grant_type, nothing else.
    for (const auto& [k, v] : o_.endpoint_params)
      if (k == "scope" && !o_.scopes.empty())
        return Fail("oauth2: cannot overwrite parameter \"" + k + "\"",
                    reason::kConfig);
    std::string err;
    if (!ParseUrl(o_.token_url, &url_, &err))
      return Fail("oauth2: token_url: " + err, reason::kConfig);
    boost::system::error_code ec;
    boost::asio::ip::make_address(url_.host, ec);
    if (!ec) return Send(false, std::nullopt);
    auto self = shared_from_this();
    ResolveQuietly(run_, url_.host, preferred, fallback,
                   [self](std::optional<boost::asio::ip::address> ip, double) {
                     if (!ip)
                       return self->Fail(
                           "oauth2: lookup " + self->url_.host + " failed",
                           reason::kDns);
                     self->Send(false, ip);
                   });
  }

  void Stop() { x_.Reset(); }
  // Stops and drops `done` (and what it holds).
  void Cancel() {
    Stop();
    done_ = nullptr;
  }

 private:
  void Fail(const std::string& err, const char* why) {
    Stop();
    if (run_->finished() || !done_) return Cancel();
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::nullopt, err, why);
  }

  void Send(bool secret_in_body,
            const std::optional<boost::asio::ip::address>& ip) {
    Stop();
    ip_ = ip;
    in_body_ = secret_in_body;
    x_.easy = curl_easy_init();
    if (!x_.easy) return Fail("oauth2: curl_easy_init failed", reason::kOther);
    CURL* e = x_.easy;
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_URL, o_.token_url.c_str());
    if (ip) {
      std::string port = !url_.port.empty()              ? url_.port
                         : Lower(url_.scheme) == "https" ? "443"
                                                         : "80";
      x_.resolve = ResolveTo(url_.host, port, *ip);
      curl_easy_setopt(e, CURLOPT_RESOLVE, x_.resolve);
    }
    body_ = TokenRequestBody(o_, secret_, secret_in_body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body_.size()));
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body_.c_str());
    x_.headers = curl_slist_append(
        x_.headers, "Content-Type: application/x-www-form-urlencoded");
    x_.headers = curl_slist_append(x_.headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x_.headers);
    if (!secret_in_body) {
      curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      std::string user = QueryEscape(o_.client_id);
      std::string pass = QueryEscape(secret_);
      curl_easy_setopt(e, CURLOPT_USERNAME, user.c_str());
      curl_easy_setopt(e, CURLOPT_PASSWORD, pass.c_str());
    }
    ApplyProxy(e, o_.proxy, &x_.proxy_headers);
    ApplyTls(e, o_.tls_config);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    run_->deadline() - ProbeClock::now())
                    .count();
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::max<int64_t>(left, 1) + 1000));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &TokenFetch::OnBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
    response_.clear();
    auto self = shared_from_this();
    x_.added = true;
    CurlLoop::For(run_->io()).Add(e, [self](CURLcode rc) {
      self->x_.added = false;
      if (self->run_->finished()) return self->Cancel();
      self->OnDone(rc);
    });
  }

  static size_t OnBody(char* p, size_t size, size_t n, void* ud) {
    auto* self = static_cast<TokenFetch*>(ud);
    size_t room =
        kMaxTokenBody - std::min(kMaxTokenBody, self->response_.size());
    self->response_.append(p, std::min(room, size * n));
    return size * n;
  }

  void OnDone(CURLcode rc) {
    std::string err;
    const char* why = reason::kAuth;
    if (rc != CURLE_OK) {
      err = std::string("oauth2: ") + curl_easy_strerror(rc);
      why = ReasonFor(rc);
    } else {
      long status = 0;
      curl_easy_getinfo(x_.easy, CURLINFO_RESPONSE_CODE, &status);
      char* ct = nullptr;
      curl_easy_getinfo(x_.easy, CURLINFO_CONTENT_TYPE, &ct);
      if (status < 200 || status > 299) {
        err = "oauth2: cannot fetch token: " + std::to_string(status) +
              "\nResponse: " + response_;
      } else if (auto token =
                     ParseTokenResponse(ct ? ct : "", response_, &err)) {
        Stop();
        if (!done_) return;
        auto done = std::move(done_);
        done_ = nullptr;
        return done(token->type + " " + token->access_token, "", nullptr);
      }
    }
    // x/oauth2's auto-detected style: the credentials in the body next.
    if (!in_body_) return Send(true, ip_);
    Fail(err, why);
  }

  std::shared_ptr<ProbeRun> run_;
  const OAuth2& o_;
  TokenDone done_;
  std::string secret_;
  UrlParts url_;
  std::optional<boost::asio::ip::address> ip_;
  bool in_body_ = false;
  CurlTransfer x_;
  std::string body_, response_;
};

}  // namespace

std::optional<OAuth2Token> ParseTokenResponse(std::string_view content_type,
                                              std::string_view body,
                                              std::string* error) {
  std::string ct = Lower(std::string(content_type.substr(
      0, std::min(content_type.find(';'), content_type.size()))));
  ct = TrimSpace(ct);
  OAuth2Token t;
  if (ct == "application/x-www-form-urlencoded" || ct == "text/plain") {
    size_t i = 0;
    while (i <= body.size()) {
      size_t amp = std::min(body.find('&', i), body.size());
      std::string_view kv = body.substr(i, amp - i);
      size_t eq = kv.find('=');
      std::string k = QueryUnescape(kv.substr(0, eq));
      std::string v =
          eq == std::string_view::npos ? "" : QueryUnescape(kv.substr(eq + 1));
      if (k == "access_token" && t.access_token.empty()) t.access_token = v;
      if (k == "token_type" && t.type.empty()) t.type = v;
      i = amp + 1;
    }
  } else {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      *error = "oauth2: cannot parse json";
      return std::nullopt;
    }
    auto str = [&](const char* key) {
      auto it = j.find(key);
      return it != j.end() && it->is_string() ? it->get<std::string>() : "";
    };
    t.access_token = str("access_token");
    t.type = str("token_type");
  }
  if (t.access_token.empty()) {
    *error = "oauth2: server response missing access_token";
    return std::nullopt;
  }
  t.type = TokenType(t.type);
  return t;
}

std::string TokenRequestBody(const OAuth2& o, const std::string& secret,
                             bool secret_in_body) {
  std::map<std::string, std::string> v;
  v["grant_type"] = "client_credentials";
  if (!o.scopes.empty()) {
    std::string s;
    for (const auto& x : o.scopes) s += (s.empty() ? "" : " ") + x;
    v["scope"] = s;
  }
  for (const auto& [k, val] : o.endpoint_params) v[k] = val;
  if (secret_in_body) {
    v["client_id"] = o.client_id;
    if (!secret.empty()) v["client_secret"] = secret;
  }
  std::string out;
  for (const auto& [k, val] : v)
    out += (out.empty() ? "" : "&") + QueryEscape(k) + "=" + QueryEscape(val);
  return out;
}

std::function<void()> FetchOAuth2Token(const std::shared_ptr<ProbeRun>& run,
                                       const OAuth2& o, IpProtocol preferred,
                                       bool fallback, TokenDone done) {
  auto f = std::make_shared<TokenFetch>(run, o, std::move(done));
  f->Start(preferred, fallback);
  return [f] { f->Cancel(); };
}

}  // namespace exporterd::blackbox
