// libFuzzer target: the HTTP request path as the server sees it. The input is
// the byte stream a client sends on one connection. It is fed to Beast's
// request parser with HttpServerOptions' limits the way http::async_read does
// (eager parser, put() on the buffer, more bytes on need_more, put_eof at the
// end), one request after another as on a kept-alive connection. Each parsed
// request then goes through what Session::OnRead does with it (decoded path
// and query, lower-cased header names, BasicAuth::Lookup and, for a few
// inputs, Verify) and what the routes read from it (AcceptsGzip on
// Accept-Encoding, the scrape timeout header), plus ParseListenAddress on the
// Host header.
#include <algorithm>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exposition.h"
#include "http_server.h"
#include "web_config.h"

namespace {

namespace http = boost::beast::http;

// htpasswd -nbB -C 4 u p
constexpr char kUserHash[] =
    "$2y$04$waFCAugpSpdcovM9Kl4CKeW5.pltLEn2qAqMIcKR14C8h5Mc28ORm";

const exporterd::BasicAuth& Auth() {
  static const exporterd::BasicAuth* auth = [] {
    auto* a = new exporterd::BasicAuth(
        std::map<std::string, std::string>{{"u", kUserHash}});
    a->Verify("Basic dTpw");  // u:p cached, so Lookup's kOk path is reachable
    return a;
  }();
  return *auth;
}

// bcrypt costs ~1 ms even at cost 4: Verify runs for 1 header in 256.
bool VerifyThisOne(std::string_view header) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : header) h = (h ^ c) * 16777619u;
  return (h & 0xff) == 0;
}

// Session::OnRead from the parsed message on.
void Handle(http::request<http::string_body>&& req) {
  exporterd::HttpRequest hr;
  hr.method = std::string(req.method_string());
  hr.target = std::string(req.target());
  hr.body = std::move(req.body());
  exporterd::SplitTarget(hr.target, &hr.path, &hr.query);
  for (const auto& f : req) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(c));
    hr.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  (void)hr.Query("target");
  (void)hr.Query("module");

  const std::string authorization = hr.Header("authorization");
  if (Auth().Lookup(authorization) == exporterd::AuthResult::kNeedsVerify &&
      VerifyThisOne(authorization)) {
    (void)Auth().Verify(authorization);
  }

  (void)exporterd::AcceptsGzip(hr.Header("accept-encoding"));

  // App::Deadline's reading of the scrape timeout.
  const std::string timeout = hr.Header("x-prometheus-scrape-timeout-seconds");
  if (!timeout.empty()) {
    try {
      (void)std::stod(timeout);
    } catch (...) {
    }
  }

  std::string host, error;
  uint16_t port = 0;
  (void)exporterd::ParseListenAddress(hr.Header("host"), &host, &port, &error);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const exporterd::HttpServerOptions opts;
  (void)Auth();
  const char* in = reinterpret_cast<const char*>(data);
  size_t received = 0;
  boost::beast::flat_buffer buffer;
  // One read from the socket (http::async_read reads up to 64 KiB at a time).
  auto receive = [&](size_t max) {
    const size_t n = std::min(max, size - received);
    if (n == 0) return n;
    auto b = buffer.prepare(n);
    std::memcpy(b.data(), in + received, n);
    buffer.commit(n);
    received += n;
    return n;
  };
  for (;;) {  // the requests of one kept-alive connection
    // Between requests the server waits for a first byte with
    // async_read_some(1024) unless bytes are already buffered.
    if (buffer.size() == 0 && receive(1024) == 0) return 0;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(opts.header_limit));
    parser.body_limit(opts.body_limit);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!parser.is_done()) {
      if (buffer.size() == 0 || ec == http::error::need_more) {
        ec = {};
        if (receive(65536) == 0) {  // the client closed its side
          if (parser.got_some()) {
            parser.put_eof(ec);
          } else {
            ec = http::error::end_of_stream;
          }
          break;
        }
      }
      buffer.consume(parser.put(buffer.data(), ec));
      if (ec && ec != http::error::need_more) break;
    }
    // 431, 413, a bad request or the end: the connection is closed.
    if (ec || !parser.is_done()) return 0;
    const bool keep_alive = parser.get().keep_alive();
    Handle(parser.release());
    if (!keep_alive) return 0;
  }
}
