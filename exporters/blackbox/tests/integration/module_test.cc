// The blackbox module end to end: the real exporterd loading
// exporterd_blackbox.so, probing a real nginx (HTTP, HTTPS with a
// certificate made now, client certificates) and TCP services, beside
// Debian's blackbox_exporter 0.23 on the same blackbox.yml for parity.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "blackbox_pair.h"
#include "test_kit.h"

namespace exporterd::blackbox {
namespace {

using exporterd::testing::ConcurrentGets;
using exporterd::testing::Curl;
using exporterd::testing::DaemonProcess;
using exporterd::testing::FreePort;
using exporterd::testing::HttpResult;
using exporterd::testing::ReadFile;
using exporterd::testing::Sample;
using exporterd::testing::Sh;
using exporterd::testing::SilentSocket;
using exporterd::testing::TempDir;
using SteadyClock = std::chrono::steady_clock;

struct Env {
  BlackboxPair pair;
  const TempDir& dir = pair.dir();
  uint16_t http = 0, https = 0, mtls = 0;
  std::unique_ptr<SilentSocket> silent;
  std::string Yml() const {
    const std::string ca = dir.path() + "/nginx/ca.crt";
    return "modules:\n"
           "  http_2xx:\n    prober: http\n    http:\n"
           "      preferred_ip_protocol: ip4\n"
           "  https_ca:\n    prober: http\n    http:\n"
           "      preferred_ip_protocol: ip4\n"
           "      tls_config: {ca_file: " +
           ca +
           "}\n"
           "  https_insecure:\n    prober: http\n    http:\n"
           "      preferred_ip_protocol: ip4\n"
           "      tls_config: {insecure_skip_verify: true}\n"
           "  https_mtls:\n    prober: http\n    http:\n"
           "      preferred_ip_protocol: ip4\n"
           "      tls_config:\n        ca_file: " +
           ca +
           "\n"
           "        cert_file: " +
           dir.path() +
           "/nginx/client.crt\n"
           "        key_file: " +
           dir.path() +
           "/nginx/client.key\n"
           "  https_servername:\n    prober: http\n    http:\n"
           "      preferred_ip_protocol: ip4\n"
           "      tls_config: {ca_file: " +
           ca +
           ", server_name: bb.test}\n"
           "  http_body:\n    prober: http\n    http:\n"
           "      preferred_ip_protocol: ip4\n"
           "      fail_if_body_not_matches_regexp: [hello]\n"
           "  http_body_fail:\n    prober: http\n    http:\n"
           "      preferred_ip_protocol: ip4\n"
           "      fail_if_body_matches_regexp: [hello]\n"
           "  http_header:\n    prober: http\n    http:\n"
           "      preferred_ip_protocol: ip4\n"
           "      fail_if_header_not_matches:\n"
           "      - {header: X-Test, regexp: 'value-\\d+'}\n"
           "  http_noredir:\n    prober: http\n    http:\n"
           "      preferred_ip_protocol: ip4\n"
           "      follow_redirects: false\n"
           "  http_post:\n    prober: http\n    http:\n"
           "      preferred_ip_protocol: ip4\n      method: POST\n"
           "      body: 'a=1'\n"
           "  http_not_ssl:\n    prober: http\n    http:\n"
           "      preferred_ip_protocol: ip4\n      fail_if_not_ssl: true\n"
           "  http_limit:\n    prober: http\n    http:\n"
           "      preferred_ip_protocol: ip4\n      body_size_limit: 1KB\n"
           "  http_short:\n    prober: http\n    timeout: 1s\n    http:\n"
           "      preferred_ip_protocol: ip4\n"
           "  tcp_connect:\n    prober: tcp\n    tcp:\n"
           "      preferred_ip_protocol: ip4\n"
           "  tcp_http:\n    prober: tcp\n    tcp:\n"
           "      preferred_ip_protocol: ip4\n      query_response:\n"
           "      - send: \"GET / HTTP/1.0\\n\"\n"
           "      - expect: '^HTTP/1.1 (\\d+)'\n"
           "        labels: [{name: status, value: '${1}'}]\n"
           "  tcp_http_fail:\n    prober: tcp\n    tcp:\n"
           "      preferred_ip_protocol: ip4\n      query_response:\n"
           "      - send: \"GET / HTTP/1.0\\n\"\n"
           "      - expect: '^HTTP/1.1 599'\n"
           "  tcp_tls:\n    prober: tcp\n    tcp:\n"
           "      preferred_ip_protocol: ip4\n      tls: true\n"
           "      tls_config: {ca_file: " +
           ca + "}\n";
  }
};

// 0.28-only: Debian's 0.23 refuses enable_http3, so only exporterd gets it.
constexpr const char* kHttp3Yml =
    "  http3:\n    prober: http\n    http:\n"
    "      enable_http3: true\n      enable_http2: false\n";

Env* g_env = nullptr;

class BlackboxIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_env = new Env;
    Env& e = *g_env;
    e.http = FreePort();
    e.https = FreePort();
    e.mtls = FreePort();
    Sh("bash " BLACKBOX_DIR "/tests/integration/nginx_env.sh " + e.dir.path() +
       "/nginx " + std::to_string(e.http) + " " + std::to_string(e.https) +
       " " + std::to_string(e.mtls));
    // Debian's 0.23 knows no query_response labels (0.24+).
    std::string peer_yml = e.Yml();
    const std::string labels =
        "        labels: [{name: status, value: '${1}'}]\n";
    peer_yml.erase(peer_yml.find(labels), labels.size());
    e.silent = std::make_unique<SilentSocket>(SilentSocket::kTcp);
    ASSERT_TRUE(e.pair.Start(e.Yml() + kHttp3Yml, peer_yml)) << e.pair.Log();
  }
  void SetUp() override {
    if (!e().pair.PeerUp()) ADD_FAILURE() << "peer not up: " << e().pair.Log();
  }
  static void TearDownTestSuite() {
    g_env->pair.StopPeer();
    Sh("kill $(cat " + g_env->dir.path() + "/nginx/nginx.pid) || true");
    delete g_env;
  }
  Env& e() { return *g_env; }
  HttpResult Probe(const std::string& module, const std::string& target,
                   std::vector<std::string> args = {}) {
    return e().pair.Ours(module, target, std::move(args));
  }
  std::string Http(const std::string& path = "/") {
    return "http://127.0.0.1:" + std::to_string(e().http) + path;
  }
  std::string Https(const std::string& host, const std::string& path = "/") {
    return "https://" + host + ":" + std::to_string(e().https) + path;
  }
};

TEST_F(BlackboxIntegration, ParityWithDebianBlackboxExporter) {
  const std::string https_local = Https("localhost");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"http_2xx", Http()},
      {"http_2xx",
       "http://localhost:" + std::to_string(e().http) + "/redirect"},
      {"http_2xx", Http("/r3")},
      {"http_2xx", Http("/404")},
      {"http_2xx", "http://127.0.0.1:1/"},
      {"http_2xx", "http://nonexistent.invalid/"},
      {"http_2xx", https_local},  // unknown CA
      {"https_ca", https_local},
      {"https_ca", Https("127.0.0.1")},
      {"https_insecure", Https("localhost", "/big")},
      {"https_servername", Https("127.0.0.1")},
      {"https_mtls", "https://localhost:" + std::to_string(e().mtls) + "/"},
      {"http_body", Http()},
      {"http_body_fail", Http()},
      {"http_header", Http("/header")},
      {"http_header", Http()},
      {"http_noredir", Http("/redirect")},
      {"http_post", Http("/post")},
      {"http_not_ssl", Http()},
      {"tcp_connect", "127.0.0.1:" + std::to_string(e().http)},
      {"tcp_connect", "localhost:" + std::to_string(e().http)},
      {"tcp_http", "127.0.0.1:" + std::to_string(e().http)},
      {"tcp_http_fail", "127.0.0.1:" + std::to_string(e().http)},
      {"tcp_tls", "localhost:" + std::to_string(e().https)},
  };
  for (const auto& [module, target] : cases) {
    SCOPED_TRACE(module + " " + target);
    ProbePair p = e().pair.ExpectSame(module, target);
    EXPECT_EQ(exporterd::testing::PromtoolCheckMetrics(p.ours.body), "");
  }
  // A failed dial: 0.23 still printed probe_failed_due_to_regex, 0.28 not.
  for (const std::string target : {"127.0.0.1:1", "nohost.invalid:80"}) {
    ProbePair p = e().pair.ExpectSame("tcp_connect", target,
                                      {"probe_failed_due_to_regex"});
    EXPECT_TRUE(std::isnan(Sample(p.ours.body, "probe_failed_due_to_regex")));
  }
}

TEST_F(BlackboxIntegration, CertificateExpiryIsTheOneMadeNow) {
  double enddate =
      std::stod(ReadFile(e().dir.path() + "/nginx/server.enddate"));
  std::string body = Probe("https_ca", Https("localhost")).body;
  EXPECT_EQ(Sample(body, "probe_success"), 1) << body;
  EXPECT_EQ(Sample(body, "probe_ssl_earliest_cert_expiry"), enddate);
  EXPECT_EQ(Sample(body, "probe_ssl_last_chain_expiry_timestamp_seconds"),
            enddate);
  EXPECT_EQ(Sample(body, "probe_http_ssl"), 1);
}

TEST_F(BlackboxIntegration, FailuresSayWhy) {
  struct Case {
    std::string module, target, reason;
  };
  const std::vector<Case> cases = {
      {"http_2xx", "http://127.0.0.1:1/", "connect"},
      {"http_2xx", "http://nonexistent.invalid/", "dns"},
      {"http_2xx", Https("localhost"), "tls"},
      {"http_2xx", Http("/404"), "http_status"},
      {"http_body_fail", Http(), "regex"},
      {"http_not_ssl", Http(), "ssl"},
      {"http_limit", Http("/big"), "body_size"},
      {"https_ca", "https://localhost:" + std::to_string(e().mtls) + "/",
       "http_status"},  // nginx answers 400 without a client cert
      {"tcp_connect", "127.0.0.1:1", "connect"},
      {"tcp_connect", "127.0.0.1", "target"},
      {"tcp_http_fail", "127.0.0.1:" + std::to_string(e().http), "regex"},
      {"http3", Https("localhost"), "unsupported"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.module + " " + c.target);
    HttpResult r = Probe(c.module, c.target);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(Sample(r.body, "probe_success"), 0) << r.body;
    EXPECT_EQ(Sample(r.body, "probe_failure_info{reason=\"" + c.reason + "\"}"),
              1)
        << r.body;
  }
  std::string ok =
      Probe("tcp_http", "127.0.0.1:" + std::to_string(e().http)).body;
  EXPECT_EQ(Sample(ok, "probe_expect_info{status=\"200\"}"), 1) << ok;
}

TEST_F(BlackboxIntegration, TimeoutWithinTheDeadline) {
  const std::string silent =
      "http://127.0.0.1:" + std::to_string(e().silent->port()) + "/";
  auto t0 = SteadyClock::now();
  HttpResult r = Probe("http_2xx", silent,
                       {"-H", "X-Prometheus-Scrape-Timeout-Seconds: 2"});
  double took = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Sample(r.body, "probe_success"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_failure_info{reason=\"timeout\"}"), 1);
  EXPECT_LT(took, 2.0);
  // The module's own timeout (1s) when smaller than the scrape's.
  r = Probe("http_short", silent);
  EXPECT_NEAR(Sample(r.body, "probe_timeout_seconds"), 1.0, 0.01) << r.body;
}

TEST_F(BlackboxIntegration, FiveHundredProbesInFlightAllAnsweredAtTheDeadline) {
  const std::string path = "/probe?module=tcp_http&target=127.0.0.1:" +
                           std::to_string(e().silent->port());
  auto t0 = SteadyClock::now();
  std::vector<int> codes = ConcurrentGets(
      e().pair.daemon().port(), path, 500, std::chrono::seconds(10),
      "X-Prometheus-Scrape-Timeout-Seconds: 2.5\r\n");
  double took = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  int ok = 0;
  for (int c : codes) ok += c == 200;
  EXPECT_EQ(ok, 500);
  EXPECT_LT(took, 4.0);
}

TEST_F(BlackboxIntegration, RequestErrors) {
  HttpResult r = Probe("nope", Http());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("Unknown module \"nope\""), std::string::npos);
  r = e().pair.daemon().Get("/probe?module=http_2xx");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("Target parameter is missing"), std::string::npos);
  std::string m = e().pair.daemon().Get("/metrics").body;
  EXPECT_EQ(Sample(m, "blackbox_module_unknown_total"), 1) << m;
}

TEST_F(BlackboxIntegration, DebugLayoutAndHostname) {
  HttpResult r = e().pair.daemon().Get(
      "/probe?module=https_ca&debug=true&hostname=bb.test"
      "&target=" +
      Https("127.0.0.1"));
  EXPECT_EQ(r.status, 200);
  size_t logs = r.body.find("Logs for the probe:\n");
  size_t metrics =
      r.body.find("\n\n\nMetrics that would have been returned:\n");
  size_t config = r.body.find("\n\n\nModule configuration:\n");
  ASSERT_EQ(logs, 0u) << r.body;
  ASSERT_NE(metrics, std::string::npos);
  ASSERT_NE(config, std::string::npos);
  EXPECT_LT(metrics, config);
  EXPECT_NE(r.body.find("probe_success 1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("ca_file"), std::string::npos);
}

}  // namespace
}  // namespace exporterd::blackbox
