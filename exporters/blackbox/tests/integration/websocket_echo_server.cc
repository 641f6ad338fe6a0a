// The WebSocket server the websocket prober is tested against, on
// Boost.Beast's websocket server (a test binary, not part of the daemon):
//   blackbox_websocket_echo_server PORT [CERT KEY]
// listens on 127.0.0.1:PORT, over TLS with CERT and KEY (PEM) when given.
//
// Every upgraded connection is greeted with one message, then each text
// message it receives is answered with "Welcome <message>", followed by
// " (pong: <payload>)" when a pong came in before it (binary ones are
// echoed). By path:
//   /            "Hello, <X-Probe header> auth=<Authorization header>" (text;
//                "anon" and "none" when the headers are absent)
//   /fragmented  a ping, then "Hello, <X-Probe> (fragmented)" in 3 fragments
//   /binary      "Hello, <X-Probe>" as a binary message
//   /close       no greeting: a close frame, code 1000 "bye"
//   /status/NNN  no upgrade: a plain HTTP answer with status NNN
// One thread per connection, blocking calls: this is a test server.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>  // before Boost (Boost 1.74 with C++20)
// clang-format off
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
// clang-format on

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace bws = beast::websocket;
using asio::ip::tcp;

std::string HeaderOr(const http::request<http::string_body>& req,
                     beast::string_view name, const char* fallback) {
  auto it = req.find(name);
  return it == req.end() ? fallback : std::string(it->value());
}

// Greets and echoes on an upgraded connection until the client leaves.
template <class Stream>
void Talk(bws::stream<Stream>& ws,
          const http::request<http::string_body>& req) {
  const std::string path(req.target());
  const std::string who = HeaderOr(req, "X-Probe", "anon");
  if (path == "/close") {
    ws.close(bws::close_reason(bws::close_code::normal, "bye"));
    return;
  }
  if (path == "/fragmented") {
    ws.ping("are you there");
    ws.text(true);
    ws.write_some(false, asio::buffer(std::string("Hello, ")));
    ws.write_some(false, asio::buffer(who));
    ws.write_some(true, asio::buffer(std::string(" (fragmented)")));
  } else if (path == "/binary") {
    ws.binary(true);
    ws.write(asio::buffer("Hello, " + who));
  } else {
    ws.text(true);
    ws.write(asio::buffer("Hello, " + who +
                          " auth=" + HeaderOr(req, "Authorization", "none")));
  }
  // A pong read since (the answer to /fragmented's ping) is named in the
  // next text answer.
  std::string pong;
  ws.control_callback([&pong](bws::frame_type kind, beast::string_view data) {
    if (kind == bws::frame_type::pong) pong = std::string(data);
  });
  for (;;) {
    beast::flat_buffer in;
    ws.read(in);  // throws when the client closes or goes away
    const bool text = ws.got_text();
    std::string msg = beast::buffers_to_string(in.data());
    if (text) {
      msg = "Welcome " + msg;
      if (!pong.empty()) msg += " (pong: " + pong + ")";
      pong.clear();
    }
    ws.text(text);
    ws.write(asio::buffer(msg));
  }
}

// One connection: the HTTP request, then a plain answer or the upgrade.
template <class Stream>
void Serve(Stream stream) {
  beast::flat_buffer buf;
  http::request<http::string_body> req;
  http::read(stream, buf, req);
  const std::string path(req.target());
  if (path.rfind("/status/", 0) == 0) {
    const unsigned status =
        static_cast<unsigned>(std::stoul(path.substr(8, 3)));
    http::response<http::string_body> res{static_cast<http::status>(status),
                                          11};
    res.set(http::field::content_type, "text/plain");
    res.body() = "no websocket here\n";
    res.keep_alive(false);
    res.prepare_payload();
    http::write(stream, res);
    return;
  }
  bws::stream<Stream> ws(std::move(stream));
  ws.accept(req);
  Talk(ws, req);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4) {
    std::fprintf(stderr, "usage: %s PORT [CERT KEY]\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  const bool tls = argc == 4;
  asio::ssl::context ctx(asio::ssl::context::tls_server);
  if (tls) {
    ctx.use_certificate_chain_file(argv[2]);
    ctx.use_private_key_file(argv[3], asio::ssl::context::pem);
  }
  asio::io_context io;
  tcp::acceptor acceptor(
      io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  for (;;) {
    tcp::socket sock(io);
    acceptor.accept(sock);
    std::thread([tls, &ctx, sock = std::move(sock)]() mutable {
      try {
        if (!tls) return Serve(std::move(sock));
        beast::ssl_stream<tcp::socket> s(std::move(sock), ctx);
        s.handshake(asio::ssl::stream_base::server);
        Serve(std::move(s));
      } catch (const std::exception& e) {
        // The client left (the prober closes without a close frame), a TLS
        // handshake was refused, ...: this connection ends.
        std::fprintf(stderr, "connection: %s\n", e.what());
      }
    }).detach();
  }
}
