#include "http_server.h"

#include <sys/socket.h>

#include <atomic>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cerrno>
#include <future>
#include <limits>
#include <optional>
#include <thread>

#include "exporterd/asio.h"
#include "exporterd/metrics.h"

namespace exporterd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

std::string HttpRequest::Query(std::string_view key) const {
  for (const auto& [k, v] : query)
    if (k == key) return v;
  return {};
}

std::string UrlDecode(std::string_view s, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 &&
        hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void SplitTarget(std::string_view target, std::string* path,
                 std::vector<std::pair<std::string, std::string>>* query) {
  size_t q = target.find('?');
  *path = UrlDecode(target.substr(0, q), false);
  query->clear();
  if (q == std::string_view::npos) return;
  std::string_view qs = target.substr(q + 1);
  size_t pos = 0;
  while (pos <= qs.size()) {
    size_t amp = qs.find('&', pos);
    if (amp == std::string_view::npos) amp = qs.size();
    std::string_view kv = qs.substr(pos, amp - pos);
    if (!kv.empty()) {
      size_t eq = kv.find('=');
      query->emplace_back(UrlDecode(kv.substr(0, eq), true),
                          eq == std::string_view::npos
                              ? ""
                              : UrlDecode(kv.substr(eq + 1), true));
    }
    pos = amp + 1;
  }
}

bool ParseListenAddress(const std::string& addr, std::string* host,
                        uint16_t* port, std::string* error) {
  size_t colon;
  if (!addr.empty() && addr[0] == '[') {
    size_t close = addr.find(']');
    if (close == std::string::npos || close + 1 >= addr.size() ||
        addr[close + 1] != ':') {
      *error = "bad listen address \"" + addr + "\": expected [ipv6]:port";
      return false;
    }
    *host = addr.substr(1, close - 1);
    colon = close + 1;
  } else {
    colon = addr.rfind(':');
    if (colon == std::string::npos) {
      *error = "bad listen address \"" + addr + "\": missing port";
      return false;
    }
    *host = addr.substr(0, colon);
    if (host->find(':') != std::string::npos) {
      *error = "bad listen address \"" + addr +
               "\": IPv6 addresses go in brackets, [::1]:port";
      return false;
    }
  }
  std::string p = addr.substr(colon + 1);
  if (p.empty() || p.size() > 5 ||
      p.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(p) > 65535) {
    *error = "bad listen address \"" + addr + "\": bad port \"" + p + "\"";
    return false;
  }
  *port = static_cast<uint16_t>(std::stoi(p));
  return true;
}

HttpHandler InlineHandler(std::function<HttpResponse(const HttpRequest&)> fn) {
  return [fn = std::move(fn)](std::shared_ptr<HttpExchange> ex) {
    ex->Reply(fn(ex->request()));
  };
}

// ---------------------------------------------------------------- stats

namespace {
constexpr double kBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                               0.5,   1,    2.5,   5,    10,  30};
constexpr size_t kNumBuckets = sizeof(kBuckets) / sizeof(kBuckets[0]);
}  // namespace

struct HttpStats::Route {
  int64_t in_flight = 0;
  std::map<int, uint64_t> codes;
  std::map<std::string, uint64_t> rejected;
  uint64_t buckets[kNumBuckets] = {};
  uint64_t count = 0;
  double sum = 0;
};

HttpStats::HttpStats() = default;
HttpStats::~HttpStats() = default;

HttpStats::Route& HttpStats::At(const std::string& route) {
  auto& r = routes_[route];
  if (!r) r = std::make_unique<Route>();
  return *r;
}

void HttpStats::Begin(const std::string& route) {
  std::lock_guard<std::mutex> lock(mu_);
  ++At(route).in_flight;
}

void HttpStats::End(const std::string& route, int code, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  Route& r = At(route);
  --r.in_flight;
  ++r.codes[code];
  ++r.count;
  r.sum += seconds;
  for (size_t i = 0; i < kNumBuckets; ++i)
    if (seconds <= kBuckets[i]) ++r.buckets[i];
}

void HttpStats::Rejected(const std::string& route, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  ++At(route).rejected[reason];
}

void HttpStats::ConnectionRejected(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  ++connections_rejected_[reason];
}

void HttpStats::ConnectionOpened() {
  std::lock_guard<std::mutex> lock(mu_);
  ++connections_;
}

void HttpStats::ConnectionClosed() {
  std::lock_guard<std::mutex> lock(mu_);
  --connections_;
}

int64_t HttpStats::InFlight(const std::string& route) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = routes_.find(route);
  return it == routes_.end() ? 0 : it->second->in_flight;
}

std::vector<prometheus::MetricFamily> HttpStats::Families() const {
  Family in_flight =
      Family::Gauge("exporterd_http_requests_in_flight",
                    "Requests received and not yet answered, by route.");
  Family total = Family::Counter(
      "exporterd_http_requests_total",
      "Requests answered, by route and status code (499: the client went "
      "away before the answer).");
  Family duration = Family::Histogram(
      "exporterd_http_request_duration_seconds",
      "Time from a request's arrival to its answer, by route.");
  Family rejected = Family::Counter(
      "exporterd_http_requests_rejected_total",
      "Requests refused before reaching their handler, by route and reason "
      "(max_requests, auth_busy).");
  Family conns =
      Family::Gauge("exporterd_http_connections", "Open HTTP connections.");
  Family conns_rejected = Family::Counter(
      "exporterd_http_connections_rejected_total",
      "Connections closed on accept, by reason (max_connections, "
      "max_connections_per_address).");
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [route, r] : routes_) {
    in_flight.Add({{"route", route}}, static_cast<double>(r->in_flight));
    for (const auto& [code, n] : r->codes)
      total.Add({{"code", std::to_string(code)}, {"route", route}},
                static_cast<double>(n));
    std::vector<std::pair<double, uint64_t>> buckets;
    for (size_t i = 0; i < kNumBuckets; ++i)
      buckets.emplace_back(kBuckets[i], r->buckets[i]);
    duration.AddHistogram({{"route", route}}, buckets, r->sum, r->count);
    for (const auto& [reason, n] : r->rejected)
      rejected.Add({{"reason", reason}, {"route", route}},
                   static_cast<double>(n));
  }
  conns.Add({}, static_cast<double>(connections_));
  for (const char* reason :
       {"max_connections", "max_connections_per_address"}) {
    auto it = connections_rejected_.find(reason);
    conns_rejected.Add({{"reason", reason}},
                       it == connections_rejected_.end()
                           ? 0
                           : static_cast<double>(it->second));
  }
  std::vector<prometheus::MetricFamily> out;
  for (Family* f :
       {&conns, &conns_rejected, &duration, &in_flight, &total, &rejected})
    if (!f->empty()) f->MoveTo(&out);
  return out;
}

// ---------------------------------------------------------------- server

namespace {

// A body of several strings written back to back, none copied.
struct ChunksBody {
  using value_type = std::vector<std::shared_ptr<const std::string>>;
  static std::uint64_t size(const value_type& v) {
    std::uint64_t n = 0;
    for (const auto& s : v) n += s->size();
    return n;
  }
  class writer {
   public:
    using const_buffers_type = asio::const_buffer;
    template <bool isRequest, class Fields>
    writer(const http::header<isRequest, Fields>&, const value_type& v)
        : v_(v) {}
    void init(beast::error_code& ec) { ec = {}; }
    boost::optional<std::pair<const_buffers_type, bool>> get(
        beast::error_code& ec) {
      ec = {};
      while (i_ < v_.size()) {
        const std::string& s = *v_[i_++];
        if (s.empty()) continue;
        return {{asio::const_buffer(s.data(), s.size()), i_ < v_.size()}};
      }
      return boost::none;
    }

   private:
    const value_type& v_;
    size_t i_ = 0;
  };
};

using Response = http::response<ChunksBody>;

bool IsOutOfDescriptors(const beast::error_code& ec) {
  return ec == asio::error::no_descriptors ||
         ec == boost::system::errc::too_many_files_open_in_system ||
         ec == boost::system::errc::too_many_files_open ||
         ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  HttpServerOptions opts;
  HttpHandler handler;
  Logger* logger = nullptr;
  CoreLoops* loops = nullptr;
  HttpStats* stats = nullptr;
  std::unique_ptr<HttpStats> own_stats;
  std::optional<asio::thread_pool> auth_pool;
  std::atomic<size_t> auth_pending{0};
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<std::unique_ptr<asio::steady_timer>> backoff;
  std::vector<uint16_t> ports;
  std::mutex mu;  // security, per_address, connections, out_of_fds
  std::shared_ptr<const HttpSecurity> security;
  std::map<std::string, size_t> per_address;
  size_t connections = 0;
  bool out_of_fds = false;  // logged; cleared on the next good accept
  std::atomic<bool> stopped{false};
  std::atomic<size_t> next_loop{0};

  std::shared_ptr<const HttpSecurity> Security() {
    std::lock_guard<std::mutex> lock(mu);
    return security;
  }
  std::string RouteOf(const std::string& path) const {
    return opts.route_of ? opts.route_of(path) : path;
  }
  void Accept(size_t i);
  void OnAccepted(asio::io_context& loop, tcp::socket socket);
  // Reserves a connection slot for `addr`; empty on success, else the
  // reason it is refused.
  std::string Admit(const std::string& addr);
  void Release(const std::string& addr);
};

std::string HttpServer::Impl::Admit(const std::string& addr) {
  std::lock_guard<std::mutex> lock(mu);
  if (connections >= opts.max_connections) return "max_connections";
  size_t& n = per_address[addr];
  if (n >= opts.max_connections_per_address) {
    if (n == 0) per_address.erase(addr);
    return "max_connections_per_address";
  }
  ++n;
  ++connections;
  return {};
}

void HttpServer::Impl::Release(const std::string& addr) {
  std::lock_guard<std::mutex> lock(mu);
  --connections;
  auto it = per_address.find(addr);
  if (it != per_address.end() && --it->second == 0) per_address.erase(it);
}

namespace {

// A live connection's slot; released with the connection.
struct ConnectionToken {
  ConnectionToken(std::shared_ptr<HttpServer::Impl> s, std::string a)
      : server(std::move(s)), addr(std::move(a)) {
    server->stats->ConnectionOpened();
  }
  ~ConnectionToken() {
    server->Release(addr);
    server->stats->ConnectionClosed();
  }
  std::shared_ptr<HttpServer::Impl> server;
  std::string addr;
};

HttpResponse PlainResponse(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

template <class Derived>
class Session;

// The request a Session is answering. Holds the session weakly: a module
// that keeps a call forever keeps no socket open.
template <class Derived>
class Exchange : public HttpExchange {
 public:
  Exchange(std::weak_ptr<Derived> session, asio::io_context& loop,
           HttpRequest req, std::string route)
      : session_(std::move(session)),
        loop_(loop),
        req_(std::move(req)),
        route_(std::move(route)),
        start_(std::chrono::steady_clock::now()) {}

  const HttpRequest& request() const override { return req_; }
  asio::io_context& loop() override { return loop_; }

  void Reply(HttpResponse response) override {
    if (replied_.exchange(true)) return;
    asio::post(loop_, [s = session_, this, r = std::move(response)]() mutable {
      if (auto session = s.lock()) session->Answer(this, std::move(r));
    });
  }

  void OnClientGone(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (gone_) {
      lock.unlock();
      if (fn) fn();
      return;
    }
    on_gone_ = std::move(fn);
  }

  // The client disconnected before the answer (on the loop).
  void Gone(HttpStats* stats) {
    std::function<void()> fn;
    {
      std::lock_guard<std::mutex> lock(mu_);
      gone_ = true;
      fn = std::move(on_gone_);
    }
    End(stats, 499);
    if (fn) fn();
  }

  // Counts the request once, as answered with `code` (on the loop).
  void End(HttpStats* stats, int code) {
    if (ended_) return;
    ended_ = true;
    stats->End(
        route_, code,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
            .count());
  }

 private:
  std::weak_ptr<Derived> session_;
  asio::io_context& loop_;
  HttpRequest req_;
  std::string route_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<bool> replied_{false};
  bool ended_ = false;  // on the loop only
  std::mutex mu_;
  bool gone_ = false;
  std::function<void()> on_gone_;
};

// One connection. Derived provides stream(), Start() and Close(). Runs on
// one loop (one thread): no strand needed.
template <class Derived>
class Session {
 public:
  Session(std::shared_ptr<HttpServer::Impl> server,
          std::shared_ptr<const HttpSecurity> security, std::string remote,
          std::string addr, asio::io_context& loop)
      : server_(std::move(server)),
        security_(std::move(security)),
        remote_(std::move(remote)),
        token_(server_, std::move(addr)),
        loop_(loop),
        hold_(loop) {}

  // The handler's answer to `ex` (on the loop; `ex` may be gone).
  void Answer(Exchange<Derived>* ex, HttpResponse r) {
    if (ex != exchange_.get() || gone_) return;
    exchange_->End(server_->stats, r.status);
    StopWaiting();
    Reply(std::move(r), keep_alive_, version_);
  }

 protected:
  Derived& derived() { return static_cast<Derived&>(*this); }
  tcp::socket& socket() {
    return beast::get_lowest_layer(derived().stream()).socket();
  }

  // Waits for a request's first byte (idle phase), then reads it whole.
  void DoRead() {
    exchange_.reset();
    if (buffer_.size() > 0) return ReadRequest();
    beast::get_lowest_layer(derived().stream())
        .expires_after(server_->opts.idle_timeout);
    derived().stream().async_read_some(
        buffer_.prepare(1024),
        [self = derived().shared_from_this()](beast::error_code ec, size_t n) {
          if (ec) return;  // idle timeout, close, reset
          self->buffer_.commit(n);
          self->ReadRequest();
        });
  }

  void ReadRequest() {
    head_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_->opts.header_limit));
    parser_->body_limit(server_->opts.body_limit);
    beast::get_lowest_layer(derived().stream())
        .expires_after(server_->opts.request_timeout);
    http::async_read(derived().stream(), buffer_, *parser_,
                     [self = derived().shared_from_this()](
                         beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return derived().Close();
    if (ec == http::error::header_limit) {
      return Reply(PlainResponse(431, "request header too large\n"), false, 11);
    }
    if (ec == http::error::body_limit) {
      return Reply(PlainResponse(413, "request body too large\n"), false, 11);
    }
    if (ec) return;  // timeout, reset, bad request: drop the connection
    auto req = parser_->release();
    beast::get_lowest_layer(derived().stream()).expires_never();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    head_ = req.method() == http::verb::head;

    // Judged by the settings in force now, not those of the accept.
    auto current = server_->Security();
    if (current->tls != security_->tls) return derived().Close();
    security_ = std::move(current);

    HttpRequest hr;
    hr.method = std::string(req.method_string());
    hr.target = std::string(req.target());
    hr.remote = remote_;
    hr.body = std::move(req.body());
    SplitTarget(hr.target, &hr.path, &hr.query);
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(c));
      hr.headers.emplace_back(std::move(name), std::string(f.value()));
    }

    const auto& auth = security_->auth;
    if (!auth || !auth->enabled()) return Dispatch(std::move(hr));
    switch (auth->Lookup(hr.Header("authorization"))) {
      case AuthResult::kOk:
        return Dispatch(std::move(hr));
      case AuthResult::kDenied:
        return Unauthorized(std::move(hr));
      case AuthResult::kNeedsVerify:
        break;
    }
    // bcrypt: on the bounded pool, never on this loop.
    if (server_->auth_pending.fetch_add(1) >= server_->opts.auth_queue) {
      --server_->auth_pending;
      const std::string route = server_->RouteOf(hr.path);
      server_->stats->Rejected(route, "auth_busy");
      server_->stats->Begin(route);
      server_->stats->End(route, 429, 0);
      HttpResponse r =
          PlainResponse(429, "too many authentication attempts; retry\n");
      r.headers.emplace_back("Retry-After", "1");
      return Reply(std::move(r), keep_alive_, version_);
    }
    asio::post(
        *server_->auth_pool, [self = derived().shared_from_this(),
                              hr = std::move(hr), auth = auth]() mutable {
          bool ok = auth->Verify(hr.Header("authorization"));
          --self->server_->auth_pending;
          asio::post(self->loop_, [self, ok, hr = std::move(hr)]() mutable {
            if (ok)
              self->Dispatch(std::move(hr));
            else
              self->Unauthorized(std::move(hr));
          });
        });
  }

  void Unauthorized(HttpRequest hr) {
    const std::string route = server_->RouteOf(hr.path);
    server_->stats->Begin(route);
    server_->stats->End(route, 401, 0);
    HttpResponse r = PlainResponse(401, "Unauthorized\n");
    r.headers.emplace_back("WWW-Authenticate", "Basic");
    Reply(std::move(r), keep_alive_, version_);
  }

  void Dispatch(HttpRequest hr) {
    std::string route = server_->RouteOf(hr.path);
    server_->stats->Begin(route);
    auto self = derived().shared_from_this();
    exchange_ = std::make_shared<Exchange<Derived>>(self, loop_, std::move(hr),
                                                    std::move(route));
    // Alive until answered or gone, whoever holds the exchange.
    hold_.expires_after(std::chrono::hours(24 * 365));
    hold_.async_wait([self](beast::error_code) {});
    WatchClient();
    auto ex = exchange_;
    try {
      server_->handler(ex);
    } catch (const std::exception& e) {
      ex->Reply(PlainResponse(
          500, std::string("internal error: ") + e.what() + "\n"));
    }
  }

  // Notices a client that disconnects while its request is being handled.
  void WatchClient() {
    socket().async_wait(
        tcp::socket::wait_read,
        [self = derived().shared_from_this()](beast::error_code ec) {
          if (ec || !self->exchange_ || self->gone_) return;
          char c;
          ssize_t n = ::recv(self->socket().native_handle(), &c, 1,
                             MSG_PEEK | MSG_DONTWAIT);
          if (n > 0) return;  // a pipelined request: read after the answer
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return self->WatchClient();
          self->gone_ = true;
          self->StopWaiting();
          self->exchange_->Gone(self->server_->stats);
          beast::error_code ignored;
          self->socket().close(ignored);
        });
  }

  void StopWaiting() {
    hold_.cancel();
    beast::error_code ignored;
    socket().cancel(ignored);
  }

  void Reply(HttpResponse r, bool keep_alive, unsigned version) {
    auto res = std::make_shared<Response>(static_cast<http::status>(r.status),
                                          version);
    res->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : security_->headers) res->set(k, v);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive);
    auto& body = res->body();
    body.reserve(1 + r.shared_body.size());
    body.push_back(std::make_shared<const std::string>(std::move(r.body)));
    for (auto& s : r.shared_body)
      if (s) body.push_back(std::move(s));
    res->content_length(ChunksBody::size(body));
    if (head_) body.clear();  // headers as for GET, no body
    beast::get_lowest_layer(derived().stream())
        .expires_after(server_->opts.write_timeout);
    if (head_) {
      auto sr = std::make_shared<http::response_serializer<ChunksBody>>(*res);
      http::async_write_header(derived().stream(), *sr,
                               [self = derived().shared_from_this(), res, sr](
                                   beast::error_code ec, size_t) {
                                 self->AfterWrite(ec, res->keep_alive());
                               });
      return;
    }
    http::async_write(derived().stream(), *res,
                      [self = derived().shared_from_this(), res](
                          beast::error_code ec, size_t) {
                        self->AfterWrite(ec, res->keep_alive());
                      });
  }

  void AfterWrite(beast::error_code ec, bool keep_alive) {
    if (ec) return;
    if (!keep_alive) return derived().Close();
    DoRead();
  }

  std::shared_ptr<HttpServer::Impl> server_;
  std::shared_ptr<const HttpSecurity> security_;
  std::string remote_;
  ConnectionToken token_;
  asio::io_context& loop_;
  asio::steady_timer hold_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Exchange<Derived>> exchange_;
  bool head_ = false;  // the request being answered is HEAD
  bool keep_alive_ = false;
  unsigned version_ = 11;
  bool gone_ = false;

  template <class>
  friend class Exchange;
};

class PlainSession : public Session<PlainSession>,
                     public std::enable_shared_from_this<PlainSession> {
 public:
  PlainSession(tcp::socket&& s, std::shared_ptr<HttpServer::Impl> server,
               std::shared_ptr<const HttpSecurity> sec, std::string remote,
               std::string addr, asio::io_context& loop)
      : Session(std::move(server), std::move(sec), std::move(remote),
                std::move(addr), loop),
        stream_(std::move(s)) {}
  beast::tcp_stream& stream() { return stream_; }
  void Start() {
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this()] { self->DoRead(); });
  }
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

 private:
  friend class Session<PlainSession>;
  beast::tcp_stream stream_;
};

class TlsSession : public Session<TlsSession>,
                   public std::enable_shared_from_this<TlsSession> {
 public:
  TlsSession(tcp::socket&& s, std::shared_ptr<HttpServer::Impl> server,
             std::shared_ptr<const HttpSecurity> sec, std::string remote,
             std::string addr, asio::io_context& loop)
      : Session(std::move(server), sec, std::move(remote), std::move(addr),
                loop),
        stream_(std::move(s), *sec->tls) {}
  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      beast::get_lowest_layer(self->stream_)
          .expires_after(self->server_->opts.request_timeout);
      self->stream_.async_handshake(
          asio::ssl::stream_base::server, [self](beast::error_code ec) {
            if (ec) {
              self->server_->logger->Debug(
                  "TLS handshake failed",
                  {{"remote", self->remote_}, {"err", ec.message()}});
              return;
            }
            self->DoRead();
          });
    });
  }
  void Close() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
  }

 private:
  friend class Session<TlsSession>;
  beast::ssl_stream<beast::tcp_stream> stream_;
};

}  // namespace

void HttpServer::Impl::Accept(size_t i) {
  // Connections are spread over the loops in turn.
  asio::io_context& loop = loops->Get(next_loop++);
  acceptors[i]->async_accept(
      asio::any_io_executor(loop.get_executor()),
      [self = shared_from_this(), i, &loop](beast::error_code ec,
                                            tcp::socket socket) {
        if (self->stopped || ec == asio::error::operation_aborted) return;
        if (IsOutOfDescriptors(ec)) {
          // Out of file descriptors: pause this listener instead of
          // spinning on a pending connection it cannot take.
          {
            std::lock_guard<std::mutex> lock(self->mu);
            if (!self->out_of_fds)
              self->logger->Error(
                  "cannot accept connections: out of file descriptors; "
                  "retrying every 250ms",
                  {{"err", ec.message()},
                   {"connections", std::to_string(self->connections)}});
            self->out_of_fds = true;
          }
          auto& t = *self->backoff[i];
          t.expires_after(std::chrono::milliseconds(250));
          t.async_wait([self, i](beast::error_code e) {
            if (!e && !self->stopped) self->Accept(i);
          });
          return;
        }
        if (!ec) self->OnAccepted(loop, std::move(socket));
        self->Accept(i);
      });
}

void HttpServer::Impl::OnAccepted(asio::io_context& loop, tcp::socket socket) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (out_of_fds) {
      out_of_fds = false;
      logger->Info("accepting connections again",
                   {{"connections", std::to_string(connections)}});
    }
  }
  beast::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  std::string addr = ec ? "?" : ep.address().to_string();
  std::string remote = ec ? "?" : addr + ":" + std::to_string(ep.port());
  std::string refused = Admit(addr);
  if (!refused.empty()) {
    stats->ConnectionRejected(refused);
    logger->Debug("connection refused",
                  {{"remote", remote}, {"reason", refused}});
    socket.close(ec);
    return;
  }
  auto sec = Security();
  if (sec->tls) {
    std::make_shared<TlsSession>(std::move(socket), shared_from_this(), sec,
                                 remote, addr, loop)
        ->Start();
  } else {
    std::make_shared<PlainSession>(std::move(socket), shared_from_this(), sec,
                                   remote, addr, loop)
        ->Start();
  }
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler,
                       Logger* logger, CoreLoops* loops, HttpStats* stats)
    : impl_(std::make_shared<Impl>()) {
  impl_->opts = std::move(options);
  impl_->handler = std::move(handler);
  impl_->logger = logger;
  if (!loops) {
    own_loops_ = std::make_unique<CoreLoops>(1);
    loops = own_loops_.get();
  }
  impl_->loops = loops;
  if (!stats) {
    impl_->own_stats = std::make_unique<HttpStats>();
    stats = impl_->own_stats.get();
  }
  impl_->stats = stats;
}

HttpServer::~HttpServer() { Stop(); }

bool HttpServer::Start(std::shared_ptr<const HttpSecurity> security,
                       std::string* error) {
  impl_->security = std::move(security);
  asio::io_context& ioc = impl_->loops->Get(0);
  for (const auto& addr : impl_->opts.listen_addresses) {
    std::string host;
    uint16_t port = 0;
    if (!ParseListenAddress(addr, &host, &port, error)) return false;
    std::vector<tcp::endpoint> candidates;
    if (host.empty()) {
      // All interfaces: dual-stack where IPv6 exists, else IPv4.
      candidates = {tcp::endpoint(tcp::v6(), port),
                    tcp::endpoint(tcp::v4(), port)};
    } else {
      beast::error_code ec;
      auto ip = asio::ip::make_address(host, ec);
      if (!ec) {
        candidates = {tcp::endpoint(ip, port)};
      } else {
        tcp::resolver resolver(ioc);
        auto results = resolver.resolve(host, std::to_string(port), ec);
        if (ec || results.empty()) {
          *error = "listen address " + addr + ": cannot resolve " + host +
                   ": " + ec.message();
          impl_->acceptors.clear();
          return false;
        }
        candidates = {results.begin()->endpoint()};
      }
    }
    beast::error_code ec;
    std::unique_ptr<tcp::acceptor> acc;
    for (const auto& ep : candidates) {
      acc = std::make_unique<tcp::acceptor>(ioc);
      acc->open(ep.protocol(), ec);
      if (ec) continue;
      if (ep.address().is_v6() && host.empty())
        acc->set_option(asio::ip::v6_only(false), ec);
      acc->set_option(asio::socket_base::reuse_address(true), ec);
      acc->bind(ep, ec);
      if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
      if (!ec) break;
      // Fall back to IPv4 only if IPv6 itself is unavailable.
      if (ec != asio::error::address_family_not_supported &&
          ec != boost::system::errc::address_not_available)
        break;
    }
    if (ec) {
      *error = "listen on " + addr + ": " + ec.message();
      impl_->acceptors.clear();
      return false;
    }
    impl_->ports.push_back(acc->local_endpoint().port());
    impl_->acceptors.push_back(std::move(acc));
    impl_->backoff.push_back(std::make_unique<asio::steady_timer>(ioc));
  }
  impl_->auth_pool.emplace(std::max<size_t>(1, impl_->opts.auth_threads));
  for (size_t i = 0; i < impl_->acceptors.size(); ++i) impl_->Accept(i);
  if (own_loops_) own_loops_->Start();
  return true;
}

void HttpServer::SetSecurity(std::shared_ptr<const HttpSecurity> security) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->security = std::move(security);
}

std::vector<uint16_t> HttpServer::Ports() const { return impl_->ports; }

void HttpServer::Stop() {
  if (impl_->stopped.exchange(true)) return;
  // Listeners and their timers go now, while their loop's services exist
  // (the loops' owner may destroy those before this object).
  auto close = [impl = impl_] {
    for (auto& acc : impl->acceptors) {
      beast::error_code ec;
      acc->close(ec);
    }
    impl->acceptors.clear();
    impl->backoff.clear();
  };
  if (own_loops_) {
    own_loops_->Stop();
    close();
    // Open connections wait in the loop; freeing them breaks the
    // Impl <-> handler cycle.
    own_loops_->DestroyPending();
  } else if (!impl_->acceptors.empty()) {
    // The lent loops run: close the listeners there and wait for it.
    auto closed = std::make_shared<std::promise<void>>();
    auto done = closed->get_future();
    asio::post(impl_->loops->Get(0), [close, closed] {
      close();
      closed->set_value();
    });
    done.wait_for(std::chrono::seconds(5));
  }
  if (impl_->auth_pool) impl_->auth_pool->join();
}

}  // namespace exporterd
