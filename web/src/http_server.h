// The HTTP(S) server: Boost.Beast over Boost.Asio, linked to OpenSSL 3.
// Connections live on the core's event loops (CoreLoops); a handler is
// called on its connection's loop and answers through HttpExchange::Reply()
// whenever it likes, from any thread, so no thread waits for a slow answer.
// Every request is judged by the security settings in force when it arrives;
// bcrypt runs on a small bounded pool, never on a loop.
#ifndef EXPORTERD_HTTP_SERVER_H_
#define EXPORTERD_HTTP_SERVER_H_

#include <prometheus/metric_family.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "event_loops.h"
#include "exporterd/log.h"
#include "web_config.h"

namespace exporterd {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // "GET"
  std::string target;  // raw request target
  std::string path;    // decoded path, no query
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  HeaderList headers;                                      // names lower-cased
  std::string body;
  std::string remote;  // peer address

  // First header value with this lower-case name, or empty.
  std::string Header(std::string_view name) const;
  // First query value, or empty.
  std::string Query(std::string_view key) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;  // sent first
  // Then these, in order, without copying: one serialized exposition can be
  // shared by every scrape (and every slow reader) that asked for it.
  std::vector<std::shared_ptr<const std::string>> shared_body;
  HeaderList headers;
};

// One request being answered.
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  virtual const HttpRequest& request() const = 0;
  // Sends the response. The first call counts; later ones, and one after the
  // client went away, are dropped. Any thread; never blocks.
  virtual void Reply(HttpResponse response) = 0;
  // `fn` runs once, on the connection's loop, if the client disconnects
  // before the reply (at once if it already has).
  virtual void OnClientGone(std::function<void()> fn) = 0;
  // The loop the connection lives on.
  virtual boost::asio::io_context& loop() = 0;
};

// Called on the connection's loop; must not block.
using HttpHandler = std::function<void(std::shared_ptr<HttpExchange>)>;
// Adapts a function that answers at once (tests, trivial routes).
HttpHandler InlineHandler(std::function<HttpResponse(const HttpRequest&)> fn);

// What requests are judged by; replaced as a whole on reload.
struct HttpSecurity {
  std::shared_ptr<boost::asio::ssl::context> tls;  // null: plain HTTP
  std::shared_ptr<const BasicAuth> auth;           // null: no auth
  HeaderList headers;                              // added to every reply
};

// Per-route request counts and latencies, for exporterd's self metrics.
class HttpStats {
 public:
  HttpStats();
  ~HttpStats();
  void Begin(const std::string& route);
  // A request answered with `code` (499: the client went away first).
  void End(const std::string& route, int code, double seconds);
  void Rejected(const std::string& route, const std::string& reason);
  void ConnectionRejected(const std::string& reason);
  void ConnectionOpened();
  void ConnectionClosed();
  int64_t InFlight(const std::string& route) const;
  std::vector<prometheus::MetricFamily> Families() const;

 private:
  struct Route;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Route>> routes_;
  std::map<std::string, uint64_t> connections_rejected_;
  int64_t connections_ = 0;
  Route& At(const std::string& route);  // mu_ held
};

struct HttpServerOptions {
  std::vector<std::string> listen_addresses;  // "host:port", ":port"
  size_t header_limit = 16 * 1024;
  size_t body_limit = 64 * 1024;
  // A kept-alive (or new) connection may wait this long for a request's
  // first byte; the TLS handshake counts as part of that wait.
  std::chrono::milliseconds idle_timeout{60000};
  // From a request's first byte to its last.
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds write_timeout{60000};
  size_t max_connections = 16384;
  size_t max_connections_per_address = 4096;
  // bcrypt verifications: threads, and how many may wait; past that a
  // request whose credentials are not cached gets 429.
  size_t auth_threads = 1;
  size_t auth_queue = 32;
  // Maps a path to the route it is counted under (bounded label values).
  std::function<std::string(const std::string& path)> route_of;
};

// Splits "host:port", "[v6]:port" or ":port". Returns false with *error.
bool ParseListenAddress(const std::string& addr, std::string* host,
                        uint16_t* port, std::string* error);
// Percent-decoding; '+' becomes a space when `plus_is_space`.
std::string UrlDecode(std::string_view s, bool plus_is_space);
// A request target ("/probe?target=a%20b&x") into its decoded path and
// query parameters, in order.
void SplitTarget(std::string_view target, std::string* path,
                 std::vector<std::pair<std::string, std::string>>* query);

class HttpServer {
 public:
  // `loops` must outlive the server; null: the server makes its own (one).
  HttpServer(HttpServerOptions options, HttpHandler handler, Logger* logger,
             CoreLoops* loops = nullptr, HttpStats* stats = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds every address and starts serving. False with *error if any bind
  // fails (nothing is left listening then).
  bool Start(std::shared_ptr<const HttpSecurity> security, std::string* error);
  // Every request from now on, on any connection, is judged by `security`.
  // A connection accepted under another TLS setting is closed at its next
  // request.
  void SetSecurity(std::shared_ptr<const HttpSecurity> security);
  // Actual bound ports, in listen-address order (port 0 resolved).
  std::vector<uint16_t> Ports() const;
  // Stops accepting and closes connections. Loops lent by the caller are
  // left to the caller (stop them, then CoreLoops::DestroyPending()).
  void Stop();

  struct Impl;

 private:
  std::unique_ptr<CoreLoops> own_loops_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace exporterd

#endif  // EXPORTERD_HTTP_SERVER_H_
