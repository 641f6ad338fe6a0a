// The HTTP(S) server: Boost.Beast over Boost.Asio, linked to OpenSSL 3.
// Network I/O runs on a few event-loop threads; handlers run on a separate
// pool so a slow collection never stalls reading or writing other
// connections. Every request has header, body and time limits.
#ifndef EXPORTERD_HTTP_SERVER_H_
#define EXPORTERD_HTTP_SERVER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
  std::string body;
  HeaderList headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// What a new connection is served with; replaced as a whole on reload.
struct HttpSecurity {
  std::shared_ptr<boost::asio::ssl::context> tls;  // null: plain HTTP
  std::shared_ptr<const BasicAuth> auth;           // null: no auth
  HeaderList headers;                              // added to every reply
};

struct HttpServerOptions {
  std::vector<std::string> listen_addresses;  // "host:port", ":port"
  int handler_threads = 8;
  int io_threads = 2;
  size_t header_limit = 16 * 1024;
  size_t body_limit = 64 * 1024;
  // Time to receive a whole request (and the TLS handshake), including the
  // wait for it on a kept-alive connection.
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds write_timeout{60000};
  size_t max_connections = 1024;
};

// Splits "host:port", "[v6]:port" or ":port". Returns false with *error.
bool ParseListenAddress(const std::string& addr, std::string* host,
                        uint16_t* port, std::string* error);
// Percent-decoding; '+' becomes a space when `plus_is_space`.
std::string UrlDecode(std::string_view s, bool plus_is_space);

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler, Logger* logger);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds every address and starts serving. False with *error if any bind
  // fails (nothing is left listening then).
  bool Start(std::shared_ptr<const HttpSecurity> security, std::string* error);
  // Connections accepted from now on use `security`.
  void SetSecurity(std::shared_ptr<const HttpSecurity> security);
  // Actual bound ports, in listen-address order (port 0 resolved).
  std::vector<uint16_t> Ports() const;
  void Stop();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace exporterd

#endif  // EXPORTERD_HTTP_SERVER_H_
