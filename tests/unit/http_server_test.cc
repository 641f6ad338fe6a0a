// The HTTP server's limits, and TLS + basic auth through the daemon with
// material made by `openssl req` and `htpasswd -B`.
#include "http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_kit.h"

namespace exporterd {
namespace {

using testing::Curl;
using testing::HttpResult;
using testing::Sh;
using testing::TempDir;
using testing::TestDaemon;

TEST(ListenAddressTest, Forms) {
  std::string host, err;
  uint16_t port = 0;
  ASSERT_TRUE(ParseListenAddress(":19400", &host, &port, &err));
  EXPECT_EQ(host, "");
  EXPECT_EQ(port, 19400);
  ASSERT_TRUE(ParseListenAddress("127.0.0.1:80", &host, &port, &err));
  EXPECT_EQ(host, "127.0.0.1");
  ASSERT_TRUE(ParseListenAddress("[::1]:0", &host, &port, &err));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  EXPECT_FALSE(ParseListenAddress("localhost", &host, &port, &err));
  EXPECT_FALSE(ParseListenAddress("::1:80", &host, &port, &err));
  EXPECT_FALSE(ParseListenAddress(":99999", &host, &port, &err));
  EXPECT_EQ(err, "bad listen address \":99999\": bad port \"99999\"");
}

TEST(UrlDecodeTest, Decodes) {
  EXPECT_EQ(UrlDecode("a%20b+c%3A%zz", true), "a b c:%zz");
  EXPECT_EQ(UrlDecode("a+b", false), "a+b");
  EXPECT_EQ(UrlDecode("%4", true), "%4");
}

class NullLogger : public Logger {
  void Log(LogLevel, std::string_view, const LogFields&) noexcept override {}
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions o;
    o.listen_addresses = {"127.0.0.1:0"};
    o.request_timeout = std::chrono::milliseconds(1000);
    o.idle_timeout = std::chrono::milliseconds(1000);
    o.header_limit = 4096;
    o.body_limit = 1024;
    server_ = std::make_unique<HttpServer>(
        o, InlineHandler([](const HttpRequest& r) {
          HttpResponse resp;
          resp.body = r.method + " " + r.path + " q=" + r.Query("q") + "\n";
          return resp;
        }),
        &logger_);
    std::string err;
    ASSERT_TRUE(server_->Start(std::make_shared<HttpSecurity>(), &err)) << err;
    port_ = server_->Ports().at(0);
  }
  std::string Url(const std::string& p) {
    return "http://127.0.0.1:" + std::to_string(port_) + p;
  }
  NullLogger logger_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(ServerTest, ServesRequestsWithDecodedQuery) {
  HttpResult r = Curl(Url("/a%20b?q=x%26y+z"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /a b q=x&y z\n");
}

TEST_F(ServerTest, HeaderTooLarge) {
  HttpResult r = Curl(Url("/"), {"-H", "X-Big: " + std::string(8000, 'a')});
  EXPECT_EQ(r.status, 431);
}

TEST_F(ServerTest, BodyTooLarge) {
  HttpResult r = Curl(Url("/"), {"--data-binary", std::string(4000, 'a')});
  EXPECT_EQ(r.status, 413);
}

// A client that sends half a request neither blocks others nor keeps its
// connection past the read timeout.
TEST_F(ServerTest, SlowClientIsCutOff) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port_);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  const char partial[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
  ASSERT_GT(write(fd, partial, sizeof partial - 1), 0);
  // Others are served meanwhile.
  EXPECT_EQ(Curl(Url("/")).status, 200);
  // The server closes the slow connection (EOF) within a few seconds.
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 10000), 1);
  char buf[64];
  EXPECT_EQ(read(fd, buf, sizeof buf), 0);
  close(fd);
}

TEST_F(ServerTest, HeadHasHeadersButNoBody) {
  HttpResult r = Curl(Url("/x"), {"-I"});  // curl -I prints headers only
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.HasHeader("Content-Length: 11"));  // "HEAD /x q=\n"
  EXPECT_EQ(r.body.find("HEAD /x"), std::string::npos);
  EXPECT_EQ(r.body, r.headers);
}

TEST_F(ServerTest, KeepAliveServesSeveralRequests) {
  HttpResult r = Curl(Url("/one"), {"--next", Url("/two")});
  // curl's -o/-w apply to the last URL; both were served on one connection.
  EXPECT_EQ(r.status, 200);
}

// Stopping with a connection still open frees the server's state: pending
// handlers hold references to it, so without care they would keep it (and
// the handler with everything it captured) alive forever.
TEST(ServerLifetimeTest, StopFreesEverythingWithConnectionsOpen) {
  auto token = std::make_shared<int>(0);
  NullLogger logger;
  HttpServerOptions o;
  o.listen_addresses = {"127.0.0.1:0"};
  auto server = std::make_unique<HttpServer>(
      o, InlineHandler([token](const HttpRequest&) { return HttpResponse{}; }),
      &logger);
  std::string err;
  ASSERT_TRUE(server->Start(std::make_shared<HttpSecurity>(), &err)) << err;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(server->Ports().at(0));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  const char partial[] = "GET / HTTP/1.1\r\n";
  ASSERT_GT(write(fd, partial, sizeof partial - 1), 0);
  // Served meanwhile: the connection is accepted and its read is pending.
  EXPECT_EQ(
      Curl("http://127.0.0.1:" + std::to_string(server->Ports().at(0)) + "/")
          .status,
      200);
  server->Stop();
  server.reset();
  EXPECT_EQ(token.use_count(), 1);
  close(fd);
}

// TLS material made the way a sysadmin would.
struct Pki {
  TempDir dir;
  std::string ca, ca_key, cert, key, client_cert, client_key;
  Pki() {
    const std::string d = dir.path();
    Sh("cd " + d +
       " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "
       "'/CN=test-ca' -keyout ca.key -out ca.crt 2>/dev/null"
       " && openssl req -newkey rsa:2048 -nodes -subj '/CN=localhost' "
       "-addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' -keyout "
       "server.key -out server.csr 2>/dev/null"
       " && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext"
       " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key "
       "-CAcreateserial -days 2 -extfile san.ext -out server.crt 2>/dev/null"
       " && openssl req -newkey rsa:2048 -nodes -subj '/CN=prometheus' "
       "-keyout client.key -out client.csr 2>/dev/null"
       " && openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key "
       "-CAcreateserial -days 2 -out client.crt 2>/dev/null");
    ca = d + "/ca.crt";
    cert = d + "/server.crt";
    key = d + "/server.key";
    client_cert = d + "/client.crt";
    client_key = d + "/client.key";
  }
};

TEST(DaemonSecurityTest, TlsWithOpensslCertificate) {
  Pki pki;
  TestDaemon d;
  ASSERT_TRUE(d.Start("modules:\n  testmod:\n    series: 1\n",
                      "tls_server_config:\n  cert_file: " + pki.cert +
                          "\n  key_file: " + pki.key + "\n"));
  HttpResult r = d.Get("/metrics", {"--cacert", pki.ca}, /*tls=*/true);
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("exporterd_module_up{module=\"testmod\"} 1"),
            std::string::npos);
  // Plain HTTP on the TLS port gets nothing useful.
  EXPECT_NE(d.Get("/metrics").status, 200);
  // An untrusted certificate is refused by the client.
  EXPECT_EQ(d.Get("/metrics", {}, true).status, 0);
}

TEST(DaemonSecurityTest, TlsRequiresClientCertificate) {
  Pki pki;
  TestDaemon d;
  ASSERT_TRUE(d.Start("modules: {}\n",
                      "tls_server_config:\n  cert_file: " + pki.cert +
                          "\n  key_file: " + pki.key +
                          "\n  client_auth_type: RequireAndVerifyClientCert\n"
                          "  client_ca_file: " +
                          pki.ca + "\n"));
  EXPECT_EQ(d.Get("/metrics", {"--cacert", pki.ca}, true).status, 0);
  EXPECT_EQ(d.Get("/metrics",
                  {"--cacert", pki.ca, "--cert", pki.client_cert, "--key",
                   pki.client_key},
                  true)
                .status,
            200);
}

TEST(DaemonSecurityTest, BasicAuthWithHtpasswdHashes) {
  std::string line = Sh("htpasswd -nbB prometheus 's3cr:et'");
  std::string hash = line.substr(line.find(':') + 1);
  while (!hash.empty() && (hash.back() == '\n' || hash.back() == '\r'))
    hash.pop_back();
  TestDaemon d;
  ASSERT_TRUE(d.Start("modules: {}\n",
                      "basic_auth_users:\n  prometheus: '" + hash + "'\n"));
  HttpResult none = d.Get("/metrics");
  EXPECT_EQ(none.status, 401);
  EXPECT_TRUE(none.HasHeader("WWW-Authenticate: Basic"));
  EXPECT_EQ(d.Get("/metrics", {"-u", "prometheus:wrong"}).status, 401);
  EXPECT_EQ(d.Get("/metrics", {"-u", "nobody:s3cr:et"}).status, 401);
  EXPECT_EQ(d.Get("/metrics", {"-u", "prometheus:s3cr:et"}).status, 200);
  EXPECT_EQ(d.Get("/-/healthy", {"-u", "prometheus:s3cr:et"}).status, 200);
}

TEST(DaemonSecurityTest, BadWebConfigRefusedAtStartAndOnReload) {
  TestDaemon bad;
  std::string err;
  EXPECT_FALSE(bad.Start("modules: {}\n",
                         "tls_server_config:\n  cert_file: /nonexistent.crt\n"
                         "  key_file: /nonexistent.key\n",
                         &err));
  EXPECT_NE(err.find("web.yml:2: tls_server_config.cert_file"),
            std::string::npos)
      << err;

  TestDaemon d;
  ASSERT_TRUE(
      d.Start("modules: {}\n",
              "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"));
  d.dir().Write("web.yml", "basic_auth_users:\n  u: not-a-hash\n");
  HttpResult r = d.Get("/-/reload", {"-X", "POST"});
  EXPECT_EQ(r.status, 500);
  // Without auth the errors go to the log and the landing page only.
  EXPECT_EQ(r.body.find("basic_auth_users.u"), std::string::npos) << r.body;
  EXPECT_NE(d.Get("/").body.find("web.yml:2: basic_auth_users.u"),
            std::string::npos);
  EXPECT_EQ(d.Get("/metrics").status, 200);  // still open, as before
}

}  // namespace
}  // namespace exporterd
