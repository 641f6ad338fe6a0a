// The websocket prober end to end: the real exporterd with
// exporterd_blackbox.so probing a real WebSocket server (Boost.Beast's,
// websocket_echo_server.cc, built as blackbox_websocket_echo_server) over
// ws:// and wss:// (a CA and certificate made now), the same server
// answering plain HTTP without an upgrade (/status/NNN) and a closed port.
//
// No parity run: Debian's blackbox_exporter is 0.23, which has no websocket
// prober, and neither has the 0.28.0 release itself: the prober is
// upstream's prober/websocket.go as of the commit the 0.28 fixtures come
// from (e39d7d4, VERSION 0.28.0, gorilla/websocket's client). The expected
// series are that code's.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "blackbox_pair.h"
#include "test_kit.h"

namespace exporterd::blackbox {
namespace {

using exporterd::testing::ChildProcess;
using exporterd::testing::FreePort;
using exporterd::testing::HttpResult;
using exporterd::testing::Sample;
using exporterd::testing::Sh;
using exporterd::testing::SilentSocket;
using exporterd::testing::TempDir;
using exporterd::testing::WaitFor;

struct Env {
  TempDir dir;
  SilentSocket silent{SilentSocket::kTcp};
  std::vector<std::unique_ptr<ChildProcess>> servers;
  uint16_t ws = 0, wss = 0;
  BlackboxPair pair;
  std::string Yml() const {
    const std::string common =
        "    prober: websocket\n    websocket:\n"
        "      preferred_ip_protocol: ip4\n"
        "      headers:\n        X-Probe: prober\n";
    return "modules:\n"
           "  ws_connect:\n" +
           common + "  ws_echo:\n" + common +
           "      http_config:\n"
           "        basic_auth: {username: user, password: password}\n"
           "      query_response:\n"
           "        - expect: '^Hello, (\\w+) auth=Basic "
           "dXNlcjpwYXNzd29yZA==$'\n"
           "          send: 'i am ${1}'\n"
           "        - expect: '^Welcome i am prober$'\n"
           "  ws_bearer:\n" +
           common +
           "      http_config:\n"
           "        authorization: {credentials: secret_token}\n"
           "      query_response:\n"
           "        - expect: 'auth=Bearer secret_token$'\n"
           "  ws_fragmented:\n" +
           common +
           "      query_response:\n"
           "        - expect: '^Hello, prober \\(fragmented\\)$'\n"
           "          send: 'ping answered?'\n"
           "        - expect: '^Welcome ping answered\\? \\(pong: are you "
           "there\\)$'\n"
           "  ws_binary:\n" +
           common +
           "      query_response:\n"
           "        - expect: '^Hello, prober$'\n"
           "  ws_regex_fail:\n" +
           common +
           "      query_response:\n"
           "        - expect: '^Goodbye'\n"
           "  wss_ca:\n" +
           common +
           "      http_config:\n"
           "        tls_config: {ca_file: " +
           dir.path() +
           "/ca.crt}\n"
           "      query_response:\n"
           "        - expect: '^Hello, prober'\n"
           "          send: 'over tls'\n"
           "        - expect: '^Welcome over tls$'\n"
           "  wss_no_ca:\n" +
           common + "  ws_silent:\n    timeout: 1s\n" + common;
  }
};

Env* g_env = nullptr;

// Starts `cmd` (in the test directory, its output in server.log) and waits
// until 127.0.0.1:port accepts connections.
void Background(Env& e, const std::string& cmd, uint16_t port) {
  e.servers.push_back(std::make_unique<ChildProcess>(
      std::vector<std::string>{"sh", "-c",
                               "cd " + e.dir.path() + " && exec " + cmd},
      e.dir.path() + "/server.log"));
  WaitFor([&] {
    int fd = exporterd::testing::Connect(port);
    if (fd >= 0) close(fd);
    return fd >= 0;
  });
}

class WebsocketIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_env = new Env;
    Env& e = *g_env;
    e.ws = FreePort();
    e.wss = FreePort();
    Sh("cd " + e.dir.path() +
       " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key"
       " -out ca.crt -days 60 -subj '/CN=exporterd ws test CA' 2>/dev/null"
       " && openssl req -newkey rsa:2048 -nodes -keyout server.key"
       " -out server.csr -subj '/CN=localhost' 2>/dev/null"
       " && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext"
       " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key"
       " -CAcreateserial -out server.crt -days 30 -extfile san.ext"
       " 2>/dev/null");
    const std::string server = WEBSOCKET_ECHO_SERVER " ";
    Background(e, server + std::to_string(e.ws), e.ws);
    Background(e, server + std::to_string(e.wss) + " server.crt server.key",
               e.wss);
    ASSERT_TRUE(e.pair.Start(e.Yml(), "")) << e.pair.Log();
  }
  static void TearDownTestSuite() { delete g_env; }
  Env& e() { return *g_env; }
  HttpResult Probe(const std::string& module, const std::string& target) {
    return e().pair.Ours(module, target);
  }
  std::string Ws(const std::string& path = "/") {
    return "ws://localhost:" + std::to_string(e().ws) + path;
  }
  std::string Debug(const std::string& module, const std::string& target) {
    return e()
        .pair.daemon()
        .Get("/probe?module=" + module + "&target=" + target + "&debug=true")
        .body;
  }
};

TEST_F(WebsocketIntegration, UpgradeOnly) {
  HttpResult r = Probe("ws_connect", Ws());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Sample(r.body, "probe_success"), 1) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_websocket_status_code"), 101) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_websocket_connection_upgraded"), 1) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_websocket_failed_due_to_regex"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_ip_protocol"), 4) << r.body;
  for (const char* p : {"resolve", "connect", "processing"})
    EXPECT_GE(Sample(r.body, std::string("probe_websocket_duration_seconds{"
                                         "phase=\"") +
                                 p + "\"}"),
              0)
        << p << r.body;
  // No query_response: no transfer phase.
  EXPECT_TRUE(std::isnan(
      Sample(r.body, "probe_websocket_duration_seconds{phase=\"transfer\"}")))
      << r.body;
}

TEST_F(WebsocketIntegration, TextEchoWithBasicAuthAndHeaders) {
  HttpResult r = Probe("ws_echo", Ws());
  EXPECT_EQ(Sample(r.body, "probe_success"), 1)
      << r.body << Debug("ws_echo", Ws());
  EXPECT_EQ(Sample(r.body, "probe_websocket_failed_due_to_regex"), 0) << r.body;
  EXPECT_GE(
      Sample(r.body, "probe_websocket_duration_seconds{phase=\"transfer\"}"), 0)
      << r.body;
  HttpResult b = Probe("ws_bearer", Ws());
  EXPECT_EQ(Sample(b.body, "probe_success"), 1)
      << b.body << Debug("ws_bearer", Ws());
}

TEST_F(WebsocketIntegration, FragmentsPingsAndBinaryMessages) {
  HttpResult f = Probe("ws_fragmented", Ws("/fragmented"));
  EXPECT_EQ(Sample(f.body, "probe_success"), 1)
      << f.body << Debug("ws_fragmented", Ws("/fragmented"));
  HttpResult b = Probe("ws_binary", Ws("/binary"));
  EXPECT_EQ(Sample(b.body, "probe_success"), 1)
      << b.body << Debug("ws_binary", Ws("/binary"));
}

TEST_F(WebsocketIntegration, RegexAndCloseFailures) {
  HttpResult r = Probe("ws_regex_fail", Ws());
  EXPECT_EQ(Sample(r.body, "probe_success"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_websocket_failed_due_to_regex"), 1) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_failure_info{reason=\"regex\"}"), 1)
      << r.body;
  // The server closes: a read error, which upstream counts as a regex
  // failure too; our reason says io.
  HttpResult c = Probe("ws_regex_fail", Ws("/close"));
  EXPECT_EQ(Sample(c.body, "probe_success"), 0) << c.body;
  EXPECT_EQ(Sample(c.body, "probe_websocket_connection_upgraded"), 1) << c.body;
  EXPECT_EQ(Sample(c.body, "probe_websocket_failed_due_to_regex"), 1) << c.body;
  EXPECT_EQ(Sample(c.body, "probe_failure_info{reason=\"io\"}"), 1) << c.body;
  std::string dbg = Debug("ws_regex_fail", Ws("/close"));
  EXPECT_NE(dbg.find("websocket: close 1000 (normal): bye"), std::string::npos)
      << dbg;
}

TEST_F(WebsocketIntegration, Wss) {
  const std::string target = "wss://localhost:" + std::to_string(e().wss) + "/";
  HttpResult r = Probe("wss_ca", target);
  EXPECT_EQ(Sample(r.body, "probe_success"), 1)
      << r.body << Debug("wss_ca", target);
  EXPECT_EQ(Sample(r.body, "probe_websocket_status_code"), 101) << r.body;
  // As upstream: no TLS series for websocket.
  EXPECT_EQ(r.body.find("probe_ssl_earliest_cert_expiry"), std::string::npos)
      << r.body;
  HttpResult bad = Probe("wss_no_ca", target);
  EXPECT_EQ(Sample(bad.body, "probe_success"), 0) << bad.body;
  EXPECT_EQ(Sample(bad.body, "probe_failure_info{reason=\"tls\"}"), 1)
      << bad.body;
  EXPECT_EQ(Sample(bad.body, "probe_websocket_status_code"), 0) << bad.body;
}

// The server answers the upgrade request with a plain HTTP status: the
// status is reported, the probe fails with http_status.
TEST_F(WebsocketIntegration, PlainHttpIsNotUpgraded) {
  for (int status : {200, 403}) {
    const std::string target = Ws("/status/" + std::to_string(status));
    HttpResult r = Probe("ws_connect", target);
    EXPECT_EQ(Sample(r.body, "probe_success"), 0) << r.body;
    EXPECT_EQ(Sample(r.body, "probe_websocket_status_code"), status) << r.body;
    EXPECT_EQ(Sample(r.body, "probe_websocket_connection_upgraded"), 0)
        << r.body;
    EXPECT_EQ(Sample(r.body, "probe_failure_info{reason=\"http_status\"}"), 1)
        << r.body;
    std::string dbg = Debug("ws_connect", target);
    EXPECT_NE(dbg.find("websocket: bad handshake"), std::string::npos) << dbg;
  }
}

TEST_F(WebsocketIntegration, ConnectionRefusedAndBadTargets) {
  HttpResult r = Probe("ws_connect", "ws://127.0.0.1:1/");
  EXPECT_EQ(Sample(r.body, "probe_success"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_failure_info{reason=\"connect\"}"), 1)
      << r.body;
  EXPECT_EQ(Sample(r.body, "probe_websocket_status_code"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_websocket_connection_upgraded"), 0) << r.body;
  EXPECT_TRUE(std::isnan(
      Sample(r.body, "probe_websocket_duration_seconds{phase=\"connect\"}")))
      << r.body;
  EXPECT_GE(
      Sample(r.body, "probe_websocket_duration_seconds{phase=\"processing\"}"),
      0)
      << r.body;
  HttpResult h = Probe("ws_connect", "http://127.0.0.1:1/");
  EXPECT_EQ(Sample(h.body, "probe_failure_info{reason=\"target\"}"), 1)
      << h.body;
  HttpResult d = Probe("ws_connect", "ws://nonexistent.invalid/");
  EXPECT_EQ(Sample(d.body, "probe_failure_info{reason=\"dns\"}"), 1) << d.body;
}

TEST_F(WebsocketIntegration, SilentServerEndsAtTheDeadline) {
  const std::string target =
      "ws://127.0.0.1:" + std::to_string(e().silent.port()) + "/";
  const auto t0 = std::chrono::steady_clock::now();
  HttpResult r = Probe("ws_silent", target);
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_EQ(Sample(r.body, "probe_success"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_failure_info{reason=\"timeout\"}"), 1)
      << r.body;
  EXPECT_EQ(Sample(r.body, "probe_websocket_connection_upgraded"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_websocket_status_code"), 0) << r.body;
  EXPECT_LT(took, 5.0);  // the module's 1s, not the daemon's 30s
}

}  // namespace
}  // namespace exporterd::blackbox
