#include "http_server.h"

#include <atomic>
#include <cctype>
#include <mutex>
#include <optional>
#include <thread>

#include "asio.h"

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

namespace {
// Pending handlers hold references to the Impl that owns this context, so
// they would never be freed: Stop() destroys them once the I/O threads are
// gone.
class IoContext : public asio::io_context {
 public:
  void DestroyPending() {
    shutdown();
    destroy();
  }
};
}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  HttpServerOptions opts;
  HttpHandler handler;
  Logger* logger;
  IoContext ioc;
  std::optional<asio::thread_pool> pool;
  std::vector<std::thread> io_threads;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<uint16_t> ports;
  std::mutex sec_mu;
  std::shared_ptr<const HttpSecurity> security;
  std::atomic<size_t> connections{0};
  std::atomic<bool> stopped{false};

  std::shared_ptr<const HttpSecurity> Security() {
    std::lock_guard<std::mutex> lock(sec_mu);
    return security;
  }
  void Accept(tcp::acceptor* acceptor);
};

namespace {

// Counts a live connection for max_connections.
struct ConnectionToken {
  explicit ConnectionToken(std::atomic<size_t>* c) : count(c) { ++*count; }
  ~ConnectionToken() { --*count; }
  std::atomic<size_t>* count;
};

HttpResponse PlainResponse(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// One connection. Derived provides stream(), Run() and Close().
template <class Derived>
class Session {
 public:
  Session(std::shared_ptr<HttpServer::Impl> server,
          std::shared_ptr<const HttpSecurity> security, std::string remote)
      : server_(std::move(server)),
        security_(std::move(security)),
        remote_(std::move(remote)),
        token_(&server_->connections) {}

 protected:
  Derived& derived() { return static_cast<Derived&>(*this); }

  void DoRead() {
    head_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_->opts.header_limit));
    parser_->body_limit(server_->opts.body_limit);
    beast::get_lowest_layer(derived().stream())
        .expires_after(server_->opts.read_timeout);
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
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    head_ = req.method() == http::verb::head;

    HttpRequest hr;
    hr.method = std::string(req.method_string());
    hr.target = std::string(req.target());
    hr.remote = remote_;
    hr.body = std::move(req.body());
    std::string_view target = hr.target;
    size_t q = target.find('?');
    hr.path = UrlDecode(target.substr(0, q), false);
    if (q != std::string_view::npos) {
      std::string_view qs = target.substr(q + 1);
      size_t pos = 0;
      while (pos <= qs.size()) {
        size_t amp = qs.find('&', pos);
        if (amp == std::string_view::npos) amp = qs.size();
        std::string_view kv = qs.substr(pos, amp - pos);
        if (!kv.empty()) {
          size_t eq = kv.find('=');
          hr.query.emplace_back(UrlDecode(kv.substr(0, eq), true),
                                eq == std::string_view::npos
                                    ? ""
                                    : UrlDecode(kv.substr(eq + 1), true));
        }
        pos = amp + 1;
      }
    }
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(c));
      hr.headers.emplace_back(std::move(name), std::string(f.value()));
    }

    if (security_->auth && security_->auth->enabled() &&
        !security_->auth->Check(hr.Header("authorization"))) {
      HttpResponse r = PlainResponse(401, "Unauthorized\n");
      r.headers.emplace_back("WWW-Authenticate", "Basic");
      return Reply(std::move(r), keep_alive, version);
    }

    // Run the handler off the I/O threads; write back on this connection's
    // strand.
    asio::post(*server_->pool, [self = derived().shared_from_this(),
                                hr = std::move(hr), keep_alive, version] {
      HttpResponse r;
      try {
        r = self->server_->handler(hr);
      } catch (const std::exception& e) {
        r = PlainResponse(500,
                          std::string("internal error: ") + e.what() + "\n");
      }
      auto ex = self->derived().stream().get_executor();
      asio::post(ex, [self, r = std::move(r), keep_alive, version]() mutable {
        self->Reply(std::move(r), keep_alive, version);
      });
    });
  }

  void Reply(HttpResponse r, bool keep_alive, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version);
    res->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : security_->headers) res->set(k, v);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive);
    if (head_) {
      // Headers as for GET, no body.
      res->content_length(r.body.size());
    } else {
      res->body() = std::move(r.body);
      res->prepare_payload();
    }
    beast::get_lowest_layer(derived().stream())
        .expires_after(server_->opts.write_timeout);
    http::async_write(derived().stream(), *res,
                      [self = derived().shared_from_this(), res](
                          beast::error_code ec, size_t) {
                        if (ec) return;
                        if (!res->keep_alive()) return self->Close();
                        self->DoRead();
                      });
  }

  std::shared_ptr<HttpServer::Impl> server_;
  std::shared_ptr<const HttpSecurity> security_;
  std::string remote_;
  ConnectionToken token_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool head_ = false;  // the request being answered is HEAD
};

class PlainSession : public Session<PlainSession>,
                     public std::enable_shared_from_this<PlainSession> {
 public:
  PlainSession(tcp::socket&& s, std::shared_ptr<HttpServer::Impl> server,
               std::shared_ptr<const HttpSecurity> sec, std::string remote)
      : Session(std::move(server), std::move(sec), std::move(remote)),
        stream_(std::move(s)) {}
  beast::tcp_stream& stream() { return stream_; }
  void Run() {
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
             std::shared_ptr<const HttpSecurity> sec, std::string remote)
      : Session(std::move(server), sec, std::move(remote)),
        stream_(std::move(s), *sec->tls) {}
  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
  void Run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      beast::get_lowest_layer(self->stream_)
          .expires_after(self->server_->opts.read_timeout);
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

void HttpServer::Impl::Accept(tcp::acceptor* acceptor) {
  acceptor->async_accept(
      asio::make_strand(ioc), [self = shared_from_this(), acceptor](
                                  beast::error_code ec, tcp::socket socket) {
        if (self->stopped) return;
        if (!ec) {
          beast::error_code ec2;
          auto ep = socket.remote_endpoint(ec2);
          std::string remote =
              ec2 ? "?"
                  : ep.address().to_string() + ":" + std::to_string(ep.port());
          if (self->connections >= self->opts.max_connections) {
            self->logger->Warn("too many connections; closing new one",
                               {{"remote", remote}});
            socket.close(ec2);
          } else {
            auto sec = self->Security();
            if (sec->tls) {
              std::make_shared<TlsSession>(std::move(socket), self, sec, remote)
                  ->Run();
            } else {
              std::make_shared<PlainSession>(std::move(socket), self, sec,
                                             remote)
                  ->Run();
            }
          }
        } else if (ec == asio::error::operation_aborted) {
          return;
        }
        self->Accept(acceptor);
      });
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler,
                       Logger* logger)
    : impl_(std::make_shared<Impl>()) {
  impl_->opts = std::move(options);
  impl_->handler = std::move(handler);
  impl_->logger = logger;
}

HttpServer::~HttpServer() { Stop(); }

bool HttpServer::Start(std::shared_ptr<const HttpSecurity> security,
                       std::string* error) {
  impl_->security = std::move(security);
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
        tcp::resolver resolver(impl_->ioc);
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
      acc = std::make_unique<tcp::acceptor>(impl_->ioc);
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
  }
  impl_->pool.emplace(static_cast<size_t>(impl_->opts.handler_threads));
  for (auto& acc : impl_->acceptors) impl_->Accept(acc.get());
  for (int i = 0; i < impl_->opts.io_threads; ++i)
    impl_->io_threads.emplace_back([impl = impl_] { impl->ioc.run(); });
  return true;
}

void HttpServer::SetSecurity(std::shared_ptr<const HttpSecurity> security) {
  std::lock_guard<std::mutex> lock(impl_->sec_mu);
  impl_->security = std::move(security);
}

std::vector<uint16_t> HttpServer::Ports() const { return impl_->ports; }

void HttpServer::Stop() {
  if (impl_->stopped.exchange(true)) return;
  asio::post(impl_->ioc, [impl = impl_] {
    for (auto& acc : impl->acceptors) {
      beast::error_code ec;
      acc->close(ec);
    }
  });
  if (impl_->pool) impl_->pool->join();
  impl_->ioc.stop();
  for (auto& t : impl_->io_threads)
    if (t.joinable()) t.join();
  // Sockets before services; then free what still waits in the context
  // (open connections), which breaks the Impl <-> handler cycle.
  impl_->acceptors.clear();
  impl_->ioc.DestroyPending();
}

}  // namespace exporterd
