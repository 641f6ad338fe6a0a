// The grpc prober: upstream's prober/grpc.go, the gRPC health-checking
// protocol (grpc.health.v1.Health/Check) as one unary call over libcurl's
// HTTP/2 on the loop (curl_loop.h): TLS with ALPN h2 when `tls`, else h2c
// with prior knowledge, as grpc-go dials. Why libcurl rather than Debian's
// gRPC C++ library: one unary call needs a 5-byte frame and a two-field
// protobuf, while grpc++ brings its own threads and completion queues
// beside the core's loops (no thread per probe here) and another TLS stack
// configuration; curl already carries our TLS settings and facts.
//
// Series as upstream: probe_grpc_duration_seconds{phase="resolve"|"check"},
// probe_grpc_ssl, probe_grpc_status_code,
// probe_grpc_healthcheck_response{serving_status} (the four names, and the
// number of a status the enum does not name, "7"), and with TLS
// probe_ssl_earliest_cert_expiry, probe_ssl_last_chain_info,
// probe_tls_version_info. Unlike upstream, the call ends at the probe's
// deadline (upstream's Check runs on context.Background()).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "curl_loop.h"
#include "grpc_message.h"
#include "http_client.h"
#include "probe.h"

namespace exporterd::blackbox {
namespace {

// grpc.health.v1.HealthCheckResponse.ServingStatus, by number.
constexpr const char* kServingStatus[] = {"UNKNOWN", "SERVING", "NOT_SERVING",
                                          "SERVICE_UNKNOWN"};
constexpr int kUnavailable = 14;  // codes.Unavailable
constexpr size_t kMaxResponse = 64 * 1024;

// gRPC's mapping of an HTTP status without grpc-status.
int GrpcCodeForHttp(long http) {
  switch (http) {
    case 400:
      return 13;  // Internal
    case 401:
      return 16;  // Unauthenticated
    case 403:
      return 7;  // PermissionDenied
    case 404:
      return 12;  // Unimplemented
    case 429:
    case 502:
    case 503:
    case 504:
      return kUnavailable;
    default:
      return 2;  // Unknown
  }
}

class GrpcRun : public std::enable_shared_from_this<GrpcRun> {
 public:
  explicit GrpcRun(std::shared_ptr<ProbeRun> run)
      : run_(std::move(run)), cfg_(run_->module().grpc), x_(run_->io()) {}
  ~GrpcRun() { Cleanup(); }

  void Start() {
    std::string target = run_->target();
    std::string lower = Lower(target);
    if (lower.rfind("http://", 0) != 0 && lower.rfind("https://", 0) != 0)
      target = "http://" + target;
    std::string err;
    if (!ParseUrl(target, &url_, &err)) {
      run_->log().Error("Could not parse target URL", {{"err", err}});
      run_->Fail(reason::kTarget);
      return Emit(false);
    }
    auto self = shared_from_this();
    run_->OnAbort([self] {
      self->Cleanup();
      self->Emit(false);
    });
    ChooseProtocol(
        run_, url_.host, cfg_.preferred_ip_protocol, cfg_.ip_protocol_fallback,
        [self](std::optional<boost::asio::ip::address> ip, double lookup) {
          if (ip) self->resolve_ = lookup;
          if (!ip) {
            self->run_->log().Error(
                "Error resolving address",
                {{"err", "unable to resolve " + self->url_.host}});
            return self->Emit(false);
          }
          self->Call(*ip);
        });
  }

 private:
  void Call(const boost::asio::ip::address& ip) {
    auto& log = run_->log();
    check_start_ = ProbeClock::now();
    const std::string port = !url_.port.empty() ? url_.port
                             : cfg_.tls         ? "443"
                                                : "80";
    // The TLS name: tls_config.server_name, else the target's host; curl
    // verifies against the URL's host, resolved here to `ip`.
    std::string host = cfg_.tls && !cfg_.tls_config.server_name.empty()
                           ? cfg_.tls_config.server_name
                           : url_.host;
    boost::system::error_code ec;
    auto literal = boost::asio::ip::make_address(host, ec);
    std::string url_host = !ec && literal.is_v6() ? "[" + host + "]" : host;
    const std::string url = std::string(cfg_.tls ? "https" : "http") + "://" +
                            url_host + ":" + port +
                            "/grpc.health.v1.Health/Check";
    log.Debug(cfg_.tls ? "Dialing GRPC with TLS" : "Dialing GRPC without TLS");
    x_.easy = curl_easy_init();
    if (!x_.easy) {
      run_->Fail(reason::kOther);
      return Emit(false);
    }
    CURL* e = x_.easy;
    x_.resolve = ResolveTo(host, port, ip);  // the address chosen above
    if (x_.resolve) curl_easy_setopt(e, CURLOPT_RESOLVE, x_.resolve);
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    // A new connection per probe, as upstream dials one per probe.
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     cfg_.tls ? CURL_HTTP_VERSION_2TLS
                              : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    if (cfg_.tls) {
      ApplyTls(e, cfg_.tls_config);
      curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, &GrpcRun::OnPrereq);
      curl_easy_setopt(e, CURLOPT_PREREQDATA, this);
    }
    request_ = grpc::HealthCheckRequest(cfg_.service);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request_.size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, request_.data());
    x_.headers =
        curl_slist_append(x_.headers, "Content-Type: application/grpc");
    x_.headers = curl_slist_append(x_.headers, "TE: trailers");
    x_.headers = curl_slist_append(x_.headers, "Accept:");
    x_.headers = curl_slist_append(x_.headers, "Expect:");
    x_.headers = curl_slist_append(x_.headers, "User-Agent: grpc-exporterd");
    for (const auto& [key, values] : cfg_.metadata)
      for (const auto& v : values)
        x_.headers =
            curl_slist_append(x_.headers, (Lower(key) + ": " + v).c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x_.headers);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &GrpcRun::OnHeader);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &GrpcRun::OnBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    run_->deadline() - ProbeClock::now())
                    .count();
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::max<int64_t>(left, 1) + 1000));
    auto self = shared_from_this();
    x_.added = true;
    CurlLoop::For(run_->io()).Add(e, [self](CURLcode rc) {
      self->x_.added = false;
      if (self->run_->finished()) return;
      self->Done(rc);
    });
  }

  static int OnPrereq(void* ud, char*, char*, int, int) {
    auto* self = static_cast<GrpcRun*>(ud);
    self->tls_ = CurlTlsFacts(self->x_.easy,
                              !self->cfg_.tls_config.insecure_skip_verify);
    return CURL_PREREQFUNC_OK;
  }

  // Headers and trailers alike: a Trailers-Only answer carries grpc-status
  // in its headers.
  static size_t OnHeader(char* p, size_t size, size_t n, void* ud) {
    auto* self = static_cast<GrpcRun*>(ud);
    std::string line(p, size * n);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string key = Lower(line.substr(0, colon));
      // curl writes an HTTP/2 field as "name: value\r\n": the value is
      // what the server sent, spaces included (grpc-go sees " 5", not "5").
      std::string value = line.substr(colon + 1);
      if (value.size() >= 2 && value.compare(value.size() - 2, 2, "\r\n") == 0)
        value.resize(value.size() - 2);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
      // A malformed grpc-status ends the call at once in grpc-go.
      if (self->malformed_status_) return size * n;
      if (key == "grpc-status") {
        std::string err;
        auto code = grpc::ParseStatus(value, &err);
        if (code) {
          // codes.Code(uint32(code)), as grpc-go: -1 reads 4294967295.
          self->grpc_status_ = static_cast<uint32_t>(*code);
        } else {
          self->malformed_status_ = true;
          self->grpc_status_ = 13;  // Internal
          self->grpc_message_ = "transport: malformed grpc-status: " + err;
        }
      }
      if (key == "grpc-message") self->grpc_message_ = value;
    }
    return size * n;
  }

  static size_t OnBody(char* p, size_t size, size_t n, void* ud) {
    auto* self = static_cast<GrpcRun*>(ud);
    size_t room = kMaxResponse - std::min(kMaxResponse, self->body_.size());
    self->body_.append(p, std::min(room, size * n));
    return size * n;
  }

  void Done(CURLcode rc) {
    auto& log = run_->log();
    check_ =
        std::chrono::duration<double>(ProbeClock::now() - check_start_).count();
    called_ = true;
    if (rc != CURLE_OK) {
      status_code_ = kUnavailable;
      log.Error("can't connect grpc server:",
                {{"err", std::string("rpc error: code = Unavailable desc = ") +
                             curl_easy_strerror(rc)}});
      run_->Fail(ReasonFor(rc));
      return Emit(false);
    }
    peer_ = true;
    long http = 0;
    curl_easy_getinfo(x_.easy, CURLINFO_RESPONSE_CODE, &http);
    status_code_ = grpc_status_  ? *grpc_status_
                   : http == 200 ? 2  // no status: Unknown
                                 : GrpcCodeForHttp(http);
    if (status_code_ != 0) {
      peer_ = false;  // upstream reports no peer for a failed call
      log.Error("can't connect grpc server:",
                {{"err", "rpc error: code = " + std::to_string(status_code_) +
                             " desc = " + grpc_message_}});
      run_->Fail(reason::kGrpcStatus);
      return Emit(false);
    }
    std::optional<int32_t> serving = grpc::HealthCheckStatus(body_);
    if (!serving) {
      status_code_ = 13;  // Internal: the message did not parse
      peer_ = false;
      log.Error("can't connect grpc server:",
                {{"err", "rpc error: code = Internal desc = bad response"}});
      run_->Fail(reason::kGrpcStatus);
      return Emit(false);
    }
    // protobuf-go's name of an enum number, the number itself when unknown.
    serving_ = *serving >= 0 && *serving < 4 ? kServingStatus[*serving]
                                             : std::to_string(*serving);
    if (*serving != 1) {
      log.Error("can't connect grpc server:", {{"err", "<nil>"}});
      run_->Fail(reason::kGrpcStatus);
      return Emit(false);
    }
    log.Debug("connect the grpc server successfully");
    Emit(true);
  }

  void Cleanup() { x_.Reset(); }

  void Emit(bool success) {
    if (run_->finished()) return;
    auto& out = run_->metrics();
    if (!called_ && check_start_ != ProbeClock::time_point{}) {
      // The deadline cut the call short: it still counts.
      check_ = std::chrono::duration<double>(ProbeClock::now() - check_start_)
                   .count();
      called_ = true;
      status_code_ = 4;  // DeadlineExceeded
    }
    Family durations = Family::Gauge("probe_grpc_duration_seconds",
                                     "Duration of gRPC request by phase");
    durations.Add({{"phase", "resolve"}}, resolve_);
    if (called_) durations.Add({{"phase", "check"}}, check_);
    durations.MoveTo(&out);
    Family::Gauge("probe_grpc_ssl",
                  "Indicates if SSL was used for the connection")
        .Add({}, peer_ && tls_.present ? 1 : 0)
        .MoveTo(&out);
    Family::Gauge("probe_grpc_status_code", "Response gRPC status code")
        .Add({}, status_code_)
        .MoveTo(&out);
    if (called_) {
      Family f = Family::Gauge("probe_grpc_healthcheck_response",
                               "Response HealthCheck response");
      bool named = false;
      for (const char* s : kServingStatus) {
        f.Add({{"serving_status", s}}, serving_ == s ? 1 : 0);
        named |= serving_ == s;
      }
      if (!named && !serving_.empty()) f.Add({{"serving_status", serving_}}, 1);
      f.MoveTo(&out);
    }
    if (peer_ && tls_.present) {
      std::vector<prometheus::MetricFamily> tls;
      AddTlsMetrics(tls_, false, &tls);
      for (auto& fam : tls)  // upstream's grpc prober has no chain expiry
        if (fam.name != "probe_ssl_last_chain_expiry_timestamp_seconds")
          out.push_back(std::move(fam));
    }
    Cleanup();
    run_->Finish(success);
  }

  std::shared_ptr<ProbeRun> run_;
  const GrpcProbe& cfg_;
  UrlParts url_;
  CurlTransfer x_;
  std::string request_, body_, grpc_message_, serving_;
  std::optional<uint32_t> grpc_status_;  // the last grpc-status seen
  bool malformed_status_ = false;
  int64_t status_code_ = 0;  // a codes.Code (uint32)
  bool called_ = false, peer_ = false;
  double resolve_ = 0, check_ = 0;
  ProbeClock::time_point check_start_;
  TlsFacts tls_;
};

EXPORTERD_BLACKBOX_PROBER(grpc, RunProber<GrpcRun>);

}  // namespace
}  // namespace exporterd::blackbox
