// The http prober: upstream's prober/http.go behaviour on libcurl's multi
// interface (curl_loop.h). Names are resolved on the loop (probe.h) and
// handed to curl with CURLOPT_RESOLVE, so curl starts no resolver thread;
// redirects are followed here, hop by hop, for the same reason (and to
// count them and sum their phases as upstream does). Every probe uses a
// fresh connection (upstream disables keep-alives), so TLS facts exist for
// every probe; they are read in CURLOPT_PREREQFUNCTION, right after the
// handshake.
#include <brotli/decode.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "curl_loop.h"
#include "http_client.h"
#include "probe.h"

namespace exporterd::blackbox {
namespace {

constexpr const char* kUserAgent = "Blackbox-Exporter/0.28.0";

// Blind decoding of the whole body, as upstream does when `compression` is
// set. false on a decoding error.
bool Decompress(Compression kind, const std::string& in, std::string* out) {
  out->clear();
  if (kind == Compression::kBr) {
    BrotliDecoderState* s =
        BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
    size_t avail_in = in.size();
    const uint8_t* next_in = reinterpret_cast<const uint8_t*>(in.data());
    BrotliDecoderResult r;
    do {
      uint8_t buf[16384];
      size_t avail_out = sizeof buf;
      uint8_t* next_out = buf;
      r = BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out,
                                        &next_out, nullptr);
      out->append(reinterpret_cast<char*>(buf), sizeof buf - avail_out);
    } while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT);
    BrotliDecoderDestroyInstance(s);
    return r == BROTLI_DECODER_RESULT_SUCCESS;
  }
  z_stream z{};
  // gzip: gzip header; deflate: raw DEFLATE (Go's compress/flate).
  int wbits = kind == Compression::kGzip ? 16 + MAX_WBITS : -MAX_WBITS;
  if (inflateInit2(&z, wbits) != Z_OK) return false;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    char buf[16384];
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out->append(buf, sizeof buf - z.avail_out);
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END;
}

std::string UrlWithHost(const std::string& url, const std::string& host) {
  CURLU* u = curl_url();
  curl_url_set(u, CURLUPART_URL, url.c_str(), 0);
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(host, ec);
  std::string h = !ec && ip.is_v6() ? "[" + host + "]" : host;
  curl_url_set(u, CURLUPART_HOST, h.c_str(), 0);
  char* out = nullptr;
  curl_url_get(u, CURLUPART_URL, &out, 0);
  std::string s = out ? out : url;
  if (out) curl_free(out);
  curl_url_cleanup(u);
  return s;
}

std::string DefaultPort(const std::string& scheme) {
  return Lower(scheme) == "https" ? "443" : "80";
}

bool IsRedirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 ||
         status == 308;
}

class HttpRun : public std::enable_shared_from_this<HttpRun> {
 public:
  explicit HttpRun(std::shared_ptr<ProbeRun> run)
      : run_(std::move(run)), cfg_(run_->module().http), x_(run_->io()) {}

  void Start();

 private:
  void Request(const std::optional<boost::asio::ip::address>& ip);
  bool Setup();
  void SetResolve(const std::string& url_host, const std::string& port,
                  const std::optional<boost::asio::ip::address>& ip);
  void Go();
  void OnDone(CURLcode rc);
  void AddHopTimes(bool final_hop);
  void Conclude(CURLcode rc, bool have_response, bool request_errored);
  void EmitAndFinish(bool success);

  static size_t OnHeader(char* p, size_t size, size_t n, void* self);
  static size_t OnBody(char* p, size_t size, size_t n, void* self);
  static int OnPrereq(void* self, char*, char*, int, int);

  std::shared_ptr<ProbeRun> run_;
  const HttpProbe& cfg_;
  CurlTransfer x_;
  char errbuf_[CURL_ERROR_SIZE] = {};

  std::string url_;          // as curl is asked (host maybe rewritten)
  UrlParts target_;          // of the probe's target
  std::string host_header_;  // Host: sent ("" = curl's)
  std::string method_ = "GET";
  std::string request_body_;
  bool has_body_ = false;
  bool resolve_locally_ = true;
  bool transparent_gzip_ = false;
  std::string authorization_;           // from the OAuth2 token
  std::function<void()> cancel_token_;  // while a token is being fetched

  // Per hop.
  std::string proto_;
  std::vector<std::pair<std::string, std::string>> resp_headers_;
  std::string body_;
  int64_t body_bytes_ = 0;
  bool body_too_big_ = false;
  bool keep_body_ = false;
  TlsFacts tls_;

  int redirects_ = 0;
  double resolve_time_ = 0, connect_ = 0, tls_time_ = 0, processing_ = 0,
         transfer_ = 0;
  // Final values.
  long status_ = 0;
  double content_length_ = 0;
  int64_t uncompressed_ = 0;
  double http_version_ = 0;
  bool failed_due_to_regex_ = false;
  std::optional<double> last_modified_;
};

void HttpRun::Start() {
  auto& log = run_->log();
  std::string target = run_->target();
  std::string lower = Lower(target);
  if (lower.rfind("http://", 0) != 0 && lower.rfind("https://", 0) != 0)
    target = "http://" + target;
  if (cfg_.enable_http3 && Lower(target).rfind("http://", 0) == 0) {
    std::string converted = "https://" + target.substr(7);
    log.Info("Converting HTTP to HTTPS for HTTP/3 compatibility",
             {{"original_target", target}, {"converted_target", converted}});
    target = converted;
  }
  std::string err;
  if (!ParseUrl(target, &target_, &err)) {
    log.Error("Could not parse target URL", {{"err", err}});
    run_->Fail(reason::kTarget);
    return EmitAndFinish(false);
  }
  url_ = target;
  const auto& hc = cfg_.http_client_config;
  const bool proxy_set =
      !hc.proxy.proxy_url.empty() || hc.proxy.proxy_from_environment;
  resolve_locally_ = !cfg_.skip_resolve_phase_with_proxy || !proxy_set;
  if (!resolve_locally_) return Request(std::nullopt);
  auto self = shared_from_this();
  ChooseProtocol(
      run_, target_.host, cfg_.preferred_ip_protocol, cfg_.ip_protocol_fallback,
      [self](std::optional<boost::asio::ip::address> ip, double lookup) {
        self->resolve_time_ += lookup;
        if (!ip) return self->EmitAndFinish(false);
        self->Request(ip);
      });
}

void HttpRun::SetResolve(const std::string& url_host, const std::string& port,
                         const std::optional<boost::asio::ip::address>& ip) {
  curl_slist_free_all(x_.resolve);
  x_.resolve = ip ? ResolveTo(url_host, port, *ip) : nullptr;
}

void HttpRun::Request(const std::optional<boost::asio::ip::address>& ip) {
  auto& log = run_->log();
  const auto& hc = cfg_.http_client_config;
  if (!run_->module().unsupported_reason.empty()) {
    log.Error("Probe not supported by this build",
              {{"err", run_->module().unsupported_reason}});
    run_->Fail(reason::kUnsupported);
    return EmitAndFinish(false);
  }
  if (hc.oauth2 && authorization_.empty()) {
    if (hc.oauth2->grant_type ==
        "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      log.Error("Error generating HTTP client",
                {{"err",
                  "oauth2 jwt-bearer grants are not supported by "
                  "exporterd (client_credentials only)"}});
      run_->Fail(reason::kUnsupported);
      return EmitAndFinish(false);
    }
    // One token per probe (upstream builds a new client per probe), then
    // the request with it.
    auto self = shared_from_this();
    run_->OnAbort([self] {
      if (auto cancel = std::move(self->cancel_token_)) cancel();
      self->EmitAndFinish(false);
    });
    cancel_token_ = FetchOAuth2Token(
        run_, *hc.oauth2, cfg_.preferred_ip_protocol, true,
        [self, ip](std::optional<std::string> authorization,
                   const std::string& err, const char* why) {
          self->cancel_token_ = nullptr;
          if (!authorization) {
            self->run_->log().Error(
                "Error for HTTP request",
                {{"err", "Get \"" + self->url_ + "\": " + err}});
            self->run_->Fail(why);
            return self->EmitAndFinish(false);
          }
          self->authorization_ = *authorization;
          self->Request(ip);
        });
    return;
  }
  // TLS server name: tls_config.server_name, else a Host header, else the
  // target's host (upstream). curl takes SNI and verification from the URL
  // host, so a different name goes into the URL and is resolved to `ip`.
  std::string module_host;
  for (const auto& [k, v] : cfg_.headers)
    if (CanonicalHeaderKey(k) == "Host") module_host = v;
  std::string server_name = hc.tls_config.server_name;
  if (server_name.empty())
    server_name = !module_host.empty() ? module_host : target_.host;
  std::string port =
      target_.port.empty() ? DefaultPort(target_.scheme) : target_.port;
  std::string url_host = target_.host;
  const bool https = Lower(target_.scheme) == "https";
  if (https && server_name != target_.host) {
    url_host = server_name;
    url_ = UrlWithHost(url_, url_host);
    if (module_host.empty())
      host_header_ = target_.host.find(':') != std::string::npos
                         ? "[" + target_.host + "]"
                         : target_.host;
    if (module_host.empty() && !target_.port.empty())
      host_header_ += ":" + target_.port;
  }
  if (!module_host.empty()) host_header_ = module_host;
  SetResolve(url_host, port, ip);

  // Request body.
  if (!cfg_.body.empty()) {
    request_body_ = cfg_.body;
    has_body_ = true;
  }
  if (!cfg_.body_file.empty()) {
    if (!ReadWholeFile(cfg_.body_file, &request_body_)) {
      log.Error("Error creating request",
                {{"err", "open " + cfg_.body_file + ": cannot read"}});
      run_->Fail(reason::kConfig);
      return EmitAndFinish(false);
    }
    has_body_ = true;
  }
  method_ = cfg_.method.empty() ? "GET" : cfg_.method;
  if (!ValidHttpMethod(method_)) {
    log.Error("Error creating request",
              {{"err", "net/http: invalid method \"" + method_ + "\""}});
    run_->Fail(reason::kConfig);
    return EmitAndFinish(false);
  }
  if (cfg_.compression_kind == Compression::kUnsupported) {
    // Upstream fails after the request; the request itself is harmless.
  }
  if (!Setup()) return EmitAndFinish(false);
  Go();
}

bool HttpRun::Setup() {
  auto& log = run_->log();
  const auto& hc = cfg_.http_client_config;
  x_.easy = curl_easy_init();
  if (!x_.easy) {
    log.Error("Error generating HTTP client", {{"err", "curl_easy_init"}});
    return false;
  }
  CURL* e = x_.easy;
  curl_easy_setopt(e, CURLOPT_PRIVATE, this);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf_);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &HttpRun::OnHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &HttpRun::OnBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, &HttpRun::OnPrereq);
  curl_easy_setopt(e, CURLOPT_PREREQDATA, this);
  curl_easy_setopt(e, CURLOPT_COOKIEFILE, "");  // cookies across redirects
  curl_easy_setopt(
      e, CURLOPT_HTTP_VERSION,
      hc.enable_http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
  // The run's deadline is the real bound; this one only backs it up.
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  run_->deadline() - ProbeClock::now())
                  .count();
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(left, 1) + 1000));
  // Proxy (only what the module says) and TLS.
  ApplyProxy(e, hc.proxy, &x_.proxy_headers);
  ApplyTls(e, hc.tls_config);
  // Auth.
  if (hc.basic_auth) {
    const BasicAuth& b = *hc.basic_auth;
    std::string user = b.username, pass = b.password.value;
    if (!b.username_file.empty() && !ReadWholeFile(b.username_file, &user)) {
      log.Error("Error generating HTTP client",
                {{"err", "unable to read basic auth username file " +
                             b.username_file}});
      run_->Fail(reason::kConfig);
      return false;
    }
    if (!b.password_file.empty() && !ReadWholeFile(b.password_file, &pass)) {
      log.Error("Error generating HTTP client",
                {{"err", "unable to read basic auth password file " +
                             b.password_file}});
      run_->Fail(reason::kConfig);
      return false;
    }
    if (!b.username_file.empty()) user = TrimSpace(user);
    if (!b.password_file.empty()) pass = TrimSpace(pass);
    curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(e, CURLOPT_USERNAME, user.c_str());
    curl_easy_setopt(e, CURLOPT_PASSWORD, pass.c_str());
  }
  // Headers, in upstream's order of precedence: http_headers, then the
  // module's headers (which win), then defaults.
  bool has_ua = false, has_accept_encoding = false, has_accept = false,
       has_content_type = false;
  auto add = [&](const std::string& name, const std::string& value) {
    std::string canon = CanonicalHeaderKey(name);
    if (canon == "Host") return;
    has_ua = has_ua || canon == "User-Agent";
    has_accept_encoding = has_accept_encoding || canon == "Accept-Encoding";
    has_accept = has_accept || canon == "Accept";
    has_content_type = has_content_type || canon == "Content-Type";
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    x_.headers = curl_slist_append(x_.headers, line.c_str());
  };
  if (!authorization_.empty()) add("Authorization", authorization_);
  if (hc.authorization) {
    const Authorization& a = *hc.authorization;
    std::string cred = a.credentials.value;
    if (!a.credentials_file.empty()) {
      if (!ReadWholeFile(a.credentials_file, &cred)) {
        log.Error("Error generating HTTP client",
                  {{"err", "unable to read authorization credentials file " +
                               a.credentials_file}});
        run_->Fail(reason::kConfig);
        return false;
      }
      cred = TrimSpace(cred);
    }
    add("Authorization", (a.type.empty() ? "Bearer" : a.type) + " " + cred);
  }
  if (hc.http_headers) {
    for (const auto& [name, hv] : *hc.http_headers) {
      for (const auto& v : hv.values) add(name, v);
      for (const auto& v : hv.secrets) add(name, v.value);
      for (const auto& f : hv.files) {
        std::string content;
        if (!ReadWholeFile(f, &content)) {
          log.Error("Error generating HTTP client",
                    {{"err", "unable to read header file " + f}});
          run_->Fail(reason::kConfig);
          return false;
        }
        add(name, TrimSpace(content));
      }
    }
  }
  for (const auto& [k, v] : cfg_.headers) add(k, v);
  if (!host_header_.empty())
    x_.headers =
        curl_slist_append(x_.headers, ("Host: " + host_header_).c_str());
  if (!has_ua) add("User-Agent", kUserAgent);
  if (!has_accept) x_.headers = curl_slist_append(x_.headers, "Accept:");
  x_.headers = curl_slist_append(x_.headers, "Expect:");
  if (!cfg_.compression.empty() && !has_accept_encoding &&
      cfg_.compression_kind != Compression::kUnsupported) {
    add("Accept-Encoding", Lower(cfg_.compression));
  } else if (cfg_.compression.empty() && !has_accept_encoding &&
             method_ != "HEAD") {
    // Go's transport asks for gzip and decodes it transparently.
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
    transparent_gzip_ = true;
  }
  if (has_body_ && !has_content_type)
    x_.headers = curl_slist_append(x_.headers, "Content-Type:");
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, x_.headers);
  keep_body_ = !cfg_.fail_if_body_matches_regexp.empty() ||
               !cfg_.fail_if_body_not_matches_regexp.empty() ||
               !cfg_.compression.empty();
  return true;
}

void HttpRun::Go() {
  CURL* e = x_.easy;
  curl_easy_setopt(e, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(e, CURLOPT_RESOLVE, x_.resolve);
  if (method_ == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, nullptr);
  } else {
    curl_easy_setopt(e, CURLOPT_NOBODY, 0L);
    if (has_body_) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request_body_.size()));
      curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, request_body_.c_str());
    } else {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(
        e, CURLOPT_CUSTOMREQUEST,
        method_ == "GET" && !has_body_ ? nullptr : method_.c_str());
  }
  proto_.clear();
  resp_headers_.clear();
  body_.clear();
  body_bytes_ = 0;
  body_too_big_ = false;
  tls_ = {};
  errbuf_[0] = 0;
  auto self = shared_from_this();
  run_->OnAbort([self] {
    if (self->x_.added) {
      CurlLoop::For(self->run_->io()).Remove(self->x_.easy);
      self->x_.added = false;
    }
    // The phases of the hop cut short still count.
    self->AddHopTimes(false);
    self->EmitAndFinish(false);
  });
  x_.added = true;
  CurlLoop::For(run_->io()).Add(x_.easy, [self](CURLcode rc) {
    self->x_.added = false;
    if (self->run_->finished()) return;
    self->OnDone(rc);
  });
}

size_t HttpRun::OnHeader(char* p, size_t size, size_t n, void* ud) {
  auto* self = static_cast<HttpRun*>(ud);
  std::string line(p, size * n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    self->resp_headers_.clear();
    size_t sp = line.find(' ');
    self->proto_ = line.substr(0, sp);
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon != std::string::npos && colon > 0)
    self->resp_headers_.emplace_back(CanonicalHeaderKey(line.substr(0, colon)),
                                     TrimSpace(line.substr(colon + 1)));
  return size * n;
}

size_t HttpRun::OnBody(char* p, size_t size, size_t n, void* ud) {
  auto* self = static_cast<HttpRun*>(ud);
  const size_t len = size * n;
  const int64_t limit = self->cfg_.body_size_limit;
  // With `compression` the limit applies after decoding (at the end).
  if (limit > 0 && self->cfg_.compression.empty() &&
      self->body_bytes_ + static_cast<int64_t>(len) > limit) {
    size_t fit = static_cast<size_t>(limit - self->body_bytes_);
    if (self->keep_body_) self->body_.append(p, fit);
    self->body_bytes_ = limit;
    self->body_too_big_ = true;
    return 0;  // stops the transfer
  }
  if (self->keep_body_) self->body_.append(p, len);
  self->body_bytes_ += static_cast<int64_t>(len);
  return len;
}

int HttpRun::OnPrereq(void* ud, char*, char*, int, int) {
  auto* self = static_cast<HttpRun*>(ud);
  self->tls_ = CurlTlsFacts(
      self->x_.easy,
      !self->cfg_.http_client_config.tls_config.insecure_skip_verify);
  return CURL_PREREQFUNC_OK;
}

void HttpRun::AddHopTimes(bool final_hop) {
  if (!x_.easy) return;
  curl_off_t lookup = 0, connect = 0, app = 0, pre = 0, start = 0, total = 0;
  curl_easy_getinfo(x_.easy, CURLINFO_NAMELOOKUP_TIME_T, &lookup);
  curl_easy_getinfo(x_.easy, CURLINFO_CONNECT_TIME_T, &connect);
  curl_easy_getinfo(x_.easy, CURLINFO_APPCONNECT_TIME_T, &app);
  curl_easy_getinfo(x_.easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
  curl_easy_getinfo(x_.easy, CURLINFO_STARTTRANSFER_TIME_T, &start);
  curl_easy_getinfo(x_.easy, CURLINFO_TOTAL_TIME_T, &total);
  auto s = [](curl_off_t us) { return static_cast<double>(us) / 1e6; };
  if (connect == 0 || pre == 0) return;  // never got a connection
  connect_ += s(connect - lookup);
  if (app > 0) tls_time_ += s(app - connect);
  if (start == 0) return;
  processing_ += s(start - pre);
  if (final_hop) transfer_ += s(total - start);
}

void HttpRun::OnDone(CURLcode rc) {
  auto& log = run_->log();
  long status = 0;
  curl_easy_getinfo(x_.easy, CURLINFO_RESPONSE_CODE, &status);
  std::string location;
  for (const auto& [k, v] : resp_headers_)
    if (k == "Location") location = v;
  const bool redirect =
      rc == CURLE_OK && IsRedirect(status) && !location.empty();
  if (redirect) {
    log.Info("Received redirect", {{"location", location}});
    const bool follow = cfg_.http_client_config.follow_redirects;
    if (!follow || redirects_ + 1 > 10) {
      redirects_ += 1;
      log.Info("Not following redirect");
      AddHopTimes(false);
      return Conclude(rc, true, true);
    }
    char* next = nullptr;
    curl_easy_getinfo(x_.easy, CURLINFO_REDIRECT_URL, &next);
    UrlParts np;
    std::string err;
    if (!next || !ParseUrl(next, &np, &err)) {
      AddHopTimes(false);
      log.Error("Error for HTTP request",
                {{"err", "bad redirect location " + location}});
      run_->Fail(reason::kIo);
      return EmitAndFinish(false);
    }
    AddHopTimes(false);
    redirects_ += 1;
    std::string next_url = next;
    // Go's redirect rules: 301/302 turn POST into GET, 303 anything but
    // HEAD; the body goes with the method.
    if ((status == 303 && method_ != "HEAD") ||
        ((status == 301 || status == 302) && method_ == "POST")) {
      method_ = "GET";
      has_body_ = false;
      curl_easy_setopt(x_.easy, CURLOPT_POSTFIELDS, nullptr);
      curl_easy_setopt(x_.easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t{-1});
    }
    // A custom Host only for the original host.
    if (np.host != target_.host && !host_header_.empty()) {
      host_header_.clear();
      curl_slist* kept = nullptr;
      for (curl_slist* h = x_.headers; h; h = h->next)
        if (std::string(h->data).rfind("Host:", 0) != 0)
          kept = curl_slist_append(kept, h->data);
      curl_slist_free_all(x_.headers);
      x_.headers = kept;
      curl_easy_setopt(x_.easy, CURLOPT_HTTPHEADER, x_.headers);
    }
    url_ = next_url;
    if (!resolve_locally_) {
      SetResolve(np.host, "", std::nullopt);
      return Go();
    }
    auto self = shared_from_this();
    std::string port = np.port.empty() ? DefaultPort(np.scheme) : np.port;
    ResolveQuietly(run_, np.host, cfg_.preferred_ip_protocol,
                   cfg_.ip_protocol_fallback,
                   [self, np, port](std::optional<boost::asio::ip::address> ip,
                                    double lookup) {
                     self->resolve_time_ += lookup;
                     if (!ip) {
                       self->run_->log().Error(
                           "Error for HTTP request",
                           {{"err", "lookup " + np.host + ": no address"}});
                       self->run_->Fail(reason::kDns);
                       return self->EmitAndFinish(false);
                     }
                     self->SetResolve(np.host, port, ip);
                     self->Go();
                   });
    return;
  }
  AddHopTimes(rc == CURLE_OK || body_too_big_);
  const bool have_response =
      rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && body_too_big_);
  Conclude(rc, have_response, false);
}

void HttpRun::Conclude(CURLcode rc, bool have_response, bool request_errored) {
  auto& log = run_->log();
  bool success = false;
  if (!have_response) {
    std::string err = errbuf_[0] ? errbuf_ : curl_easy_strerror(rc);
    log.Error("Error for HTTP request", {{"err", err}});
    run_->Fail(ReasonFor(rc));
    return EmitAndFinish(false);
  }
  curl_easy_getinfo(x_.easy, CURLINFO_RESPONSE_CODE, &status_);
  log.Debug("Received HTTP response",
            {{"status_code", std::to_string(status_)}});
  if (!cfg_.valid_status_codes.empty()) {
    success =
        std::find(cfg_.valid_status_codes.begin(),
                  cfg_.valid_status_codes.end(),
                  static_cast<int>(status_)) != cfg_.valid_status_codes.end();
    if (!success) {
      std::string v = "[";
      for (size_t i = 0; i < cfg_.valid_status_codes.size(); ++i)
        v += (i ? " " : "") + std::to_string(cfg_.valid_status_codes[i]);
      log.Error("Invalid HTTP response status code",
                {{"status_code", std::to_string(status_)},
                 {"valid_status_codes", v + "]"}});
    }
  } else if (status_ >= 200 && status_ < 300) {
    success = true;
  } else {
    log.Error("Invalid HTTP response status code, wanted 2xx",
              {{"status_code", std::to_string(status_)}});
  }
  if (!success) run_->Fail(reason::kHttpStatus);

  auto header_values = [&](const std::string& name) {
    std::vector<std::string> vals;
    std::string canon = CanonicalHeaderKey(name);
    for (const auto& [k, v] : resp_headers_)
      if (k == canon) vals.push_back(v);
    return vals;
  };
  if (success && (!cfg_.fail_if_header_matches.empty() ||
                  !cfg_.fail_if_header_not_matches.empty())) {
    bool ok = true;
    for (const auto& spec : cfg_.fail_if_header_matches) {
      auto vals = header_values(spec.header);
      if (vals.empty()) {
        if (!spec.allow_missing) {
          log.Error("Missing required header", {{"header", spec.header}});
          ok = false;
          break;
        }
        continue;
      }
      bool any = spec.regexp.ok() &&
                 std::any_of(vals.begin(), vals.end(), [&](const auto& v) {
                   return RE2::PartialMatch(v, spec.regexp.re());
                 });
      if (any) {
        log.Error("Header matched regular expression",
                  {{"header", spec.header},
                   {"regexp", spec.regexp.pattern()},
                   {"value_count", std::to_string(vals.size())}});
        ok = false;
        break;
      }
    }
    for (size_t i = 0; ok && i < cfg_.fail_if_header_not_matches.size(); ++i) {
      const auto& spec = cfg_.fail_if_header_not_matches[i];
      auto vals = header_values(spec.header);
      if (vals.empty()) {
        if (!spec.allow_missing) {
          log.Error("Missing required header", {{"header", spec.header}});
          ok = false;
        }
        continue;
      }
      bool any = spec.regexp.ok() &&
                 std::any_of(vals.begin(), vals.end(), [&](const auto& v) {
                   return RE2::PartialMatch(v, spec.regexp.re());
                 });
      if (!any) {
        log.Error("Header did not match regular expression",
                  {{"header", spec.header},
                   {"regexp", spec.regexp.pattern()},
                   {"value_count", std::to_string(vals.size())}});
        ok = false;
      }
    }
    success = ok;
    failed_due_to_regex_ = !ok;
    if (!ok) run_->Fail(reason::kRegex);
  }
  // The body as the checks see it.
  std::string decoded;
  const std::string* body = &body_;
  int64_t body_len = body_bytes_;
  bool read_error = body_too_big_;
  if (!cfg_.compression.empty() && !request_errored) {
    bool ok = cfg_.compression_kind == Compression::kIdentity;
    if (cfg_.compression_kind == Compression::kUnsupported) {
      log.Error("Failed to get decompressor for HTTP response body",
                {{"err", "unsupported compression algorithm"}});
      success = false;
      run_->Fail(reason::kDecompression);
    } else if (!ok) {
      ok = Decompress(cfg_.compression_kind, body_, &decoded);
      if (!ok) {
        log.Error("Failed to read HTTP response body",
                  {{"err", "cannot decode the body as " + cfg_.compression}});
        success = false;
        run_->Fail(reason::kDecompression);
      }
      body = &decoded;
      body_len = static_cast<int64_t>(decoded.size());
    }
    const int64_t limit = cfg_.body_size_limit;
    if (limit > 0 && body_len > limit) {
      decoded = body->substr(0, static_cast<size_t>(limit));
      body = &decoded;
      body_len = limit;
      read_error = true;
    }
  }
  if (success && (!cfg_.fail_if_body_matches_regexp.empty() ||
                  !cfg_.fail_if_body_not_matches_regexp.empty())) {
    bool ok = true;
    if (read_error || request_errored) {
      log.Error("Error reading HTTP body",
                {{"err", read_error ? "http: request body too large"
                                    : "body closed"}});
      ok = false;
    }
    for (const auto& re : cfg_.fail_if_body_matches_regexp) {
      if (!ok) break;
      if (re.ok() && RE2::PartialMatch(*body, re.re())) {
        log.Error("Body matched regular expression",
                  {{"regexp", re.pattern()}});
        ok = false;
      }
    }
    for (const auto& re : cfg_.fail_if_body_not_matches_regexp) {
      if (!ok) break;
      if (!re.ok() || !RE2::PartialMatch(*body, re.re())) {
        log.Error("Body did not match regular expression",
                  {{"regexp", re.pattern()}});
        ok = false;
      }
    }
    success = ok;
    failed_due_to_regex_ = !ok;
    if (!ok) run_->Fail(read_error ? reason::kBodySize : reason::kRegex);
  }
  if (!request_errored) {
    if (read_error) {
      log.Error("Failed to read HTTP response body",
                {{"err", "http: request body too large"}});
      success = false;
      run_->Fail(reason::kBodySize);
    }
    uncompressed_ = body_len;
  }
  for (const auto& v : header_values("Last-Modified")) {
    time_t t = curl_getdate(v.c_str(), nullptr);
    if (t != -1) last_modified_ = static_cast<double>(t);
    break;
  }
  long hv = 0;
  curl_easy_getinfo(x_.easy, CURLINFO_HTTP_VERSION, &hv);
  std::string proto;
  switch (hv) {
    case CURL_HTTP_VERSION_1_0:
      proto = "HTTP/1.0", http_version_ = 1.0;
      break;
    case CURL_HTTP_VERSION_1_1:
      proto = "HTTP/1.1", http_version_ = 1.1;
      break;
    case CURL_HTTP_VERSION_2_0:
      proto = "HTTP/2.0", http_version_ = 2;
      break;
    case CURL_HTTP_VERSION_3:
      proto = "HTTP/3.0", http_version_ = 3;
      break;
    default:
      proto = proto_;
      break;
  }
  if (!cfg_.valid_http_versions.empty() &&
      std::find(cfg_.valid_http_versions.begin(),
                cfg_.valid_http_versions.end(),
                proto) == cfg_.valid_http_versions.end()) {
    log.Error("Invalid HTTP version number", {{"version", proto}});
    success = false;
    run_->Fail(reason::kHttpVersion);
  }
  curl_off_t cl = -1;
  curl_easy_getinfo(x_.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
  content_length_ = static_cast<double>(cl);
  if (transparent_gzip_)
    for (const auto& v : header_values("Content-Encoding"))
      if (Lower(v) == "gzip") content_length_ = -1;
  if (tls_.present) {
    if (cfg_.fail_if_ssl) {
      log.Error("Final request was over SSL");
      success = false;
      run_->Fail(reason::kSsl);
    }
  } else if (cfg_.fail_if_not_ssl && success) {
    log.Error("Final request was not over SSL");
    success = false;
    run_->Fail(reason::kSsl);
  }
  EmitAndFinish(success);
}

void HttpRun::EmitAndFinish(bool success) {
  if (run_->finished()) return;
  auto& m = run_->metrics();
  Family::Gauge("probe_http_duration_seconds",
                "Duration of http request by phase, summed over all redirects")
      .Add({{"phase", "connect"}}, connect_)
      .Add({{"phase", "processing"}}, processing_)
      .Add({{"phase", "resolve"}}, resolve_time_)
      .Add({{"phase", "tls"}}, tls_time_)
      .Add({{"phase", "transfer"}}, transfer_)
      .MoveTo(&m);
  AddScalar(&m, "probe_http_content_length", "Length of http content response",
            content_length_);
  AddScalar(&m, "probe_http_uncompressed_body_length",
            "Length of uncompressed response body",
            static_cast<double>(uncompressed_));
  AddScalar(&m, "probe_http_redirects", "The number of redirects", redirects_);
  AddScalar(&m, "probe_http_ssl",
            "Indicates if SSL was used for the final redirect",
            tls_.present ? 1 : 0);
  AddScalar(&m, "probe_http_status_code", "Response HTTP status code",
            static_cast<double>(status_));
  AddScalar(&m, "probe_http_version",
            "Returns the version of HTTP of the probe response", http_version_);
  AddScalar(&m, "probe_failed_due_to_regex",
            "Indicates if probe failed due to regex",
            failed_due_to_regex_ ? 1 : 0);
  if (cfg_.fail_if_body_json_matches_cel ||
      cfg_.fail_if_body_json_not_matches_cel)
    AddScalar(&m, "probe_failed_due_to_cel",
              "Indicates if probe failed due to CEL expression not matching",
              0);
  if (last_modified_)
    AddScalar(&m, "probe_http_last_modified_timestamp_seconds",
              "Returns the Last-Modified HTTP response header in unixtime",
              *last_modified_);
  if (tls_.present) AddTlsMetrics(tls_, true, &m);
  run_->Finish(success);
}

EXPORTERD_BLACKBOX_PROBER(http, RunProber<HttpRun>);

}  // namespace

}  // namespace exporterd::blackbox
