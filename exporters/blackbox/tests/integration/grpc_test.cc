// The grpc prober against a real gRPC health server (Debian's grpcio:
// grpc_health_server.py, plain and TLS with a certificate made now),
// beside Debian's blackbox_exporter 0.23 on the same blackbox.yml.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "blackbox_pair.h"
#include "test_kit.h"

namespace exporterd::blackbox {
namespace {

using exporterd::testing::ChildProcess;
using exporterd::testing::FreePort;
using exporterd::testing::HttpResult;
using exporterd::testing::ReadFile;
using exporterd::testing::Sample;
using exporterd::testing::Sh;

class GrpcProbe : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/usr/bin/python3", X_OK) != 0 ||
        Sh("/usr/bin/python3 -c 'import grpc' && echo ok").find("ok") ==
            std::string::npos)
      GTEST_SKIP() << "python3-grpcio is not installed (scripts/setup.sh)";
    const std::string d = pair_.dir().path();
    Sh("cd " + d +
       " && openssl req -x509 -newkey rsa:2048 -nodes -keyout grpc.key "
       "-out grpc.crt -days 25 -subj /CN=localhost "
       "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null && "
       "date -d \"$(openssl x509 -enddate -noout -in grpc.crt | cut -d= "
       "-f2)\" +%s > grpc.enddate");
    plain_ = FreePort();
    tls_ = FreePort();
    plain_server_.Start(Server({std::to_string(plain_)}));
    tls_server_.Start(
        Server({std::to_string(tls_), d + "/grpc.crt", d + "/grpc.key"}));
    auto module = [](const std::string& name, const std::string& body) {
      return "  " + name +
             ":\n    prober: grpc\n    grpc:\n"
             "      preferred_ip_protocol: ip4\n" +
             body;
    };
    const std::string yml =
        "modules:\n" + module("grpc_plain", "") +
        module("grpc_down", "      service: down\n") +
        module("grpc_unknown", "      service: nope\n") +
        module("grpc_tls", "      tls: true\n      tls_config: {ca_file: " + d +
                               "/grpc.crt}\n") +
        module("grpc_tls_untrusted", "      tls: true\n");
    // Debian's 0.23 knows no `metadata` (0.25+): only exporterd gets it.
    const std::string metadata =
        module("grpc_metadata", "      metadata: {x-probe: [\"no\"]}\n");
    ASSERT_TRUE(pair_.Start(yml + metadata, yml)) << pair_.Log();
    for (int i = 0; i < 100; ++i) {
      if (Sample(pair_.Ours("grpc_plain", Plain()).body, "probe_success") == 1)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  // The health server's command line.
  static std::vector<std::string> Server(std::vector<std::string> args) {
    std::vector<std::string> argv = {
        "/usr/bin/python3",
        BLACKBOX_DIR "/tests/integration/grpc_health_server.py"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  std::string Plain() const { return "127.0.0.1:" + std::to_string(plain_); }
  std::string Tls() const { return "localhost:" + std::to_string(tls_); }

  BlackboxPair pair_;
  ChildProcess plain_server_, tls_server_;
  uint16_t plain_ = 0, tls_ = 0;
};

TEST_F(GrpcProbe, HealthChecksLikeBlackboxExporter) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"grpc_plain", Plain()},   {"grpc_down", Plain()},
      {"grpc_unknown", Plain()}, {"grpc_plain", "127.0.0.1:1"},
      {"grpc_tls", Tls()},       {"grpc_tls_untrusted", Tls()},
  };
  for (const auto& [module, target] : cases) {
    SCOPED_TRACE(module + " " + target);
    // 0.23 always printed probe_ssl_earliest_cert_expiry (0 without TLS);
    // 0.28, and so exporterd, only when TLS was used.
    ProbePair p = pair_.ExpectSame(
        module, target, {"probe_grpc_duration_seconds"}, [](auto* theirs) {
          auto it = theirs->find("probe_ssl_earliest_cert_expiry");
          if (it != theirs->end() && it->second == 0) theirs->erase(it);
        });
    EXPECT_EQ(exporterd::testing::PromtoolCheckMetrics(p.ours.body), "");
  }
}

TEST_F(GrpcProbe, StatusAndReasons) {
  HttpResult ok = pair_.Ours("grpc_plain", Plain());
  EXPECT_EQ(Sample(ok.body, "probe_success"), 1) << ok.body;
  EXPECT_EQ(
      Sample(ok.body,
             "probe_grpc_healthcheck_response{serving_status=\"SERVING\"}"),
      1);
  HttpResult down = pair_.Ours("grpc_down", Plain());
  EXPECT_EQ(Sample(down.body,
                   "probe_grpc_healthcheck_response{serving_status="
                   "\"NOT_SERVING\"}"),
            1)
      << down.body;
  EXPECT_EQ(Sample(down.body, "probe_failure_info{reason=\"grpc_status\"}"), 1);
  HttpResult unknown = pair_.Ours("grpc_unknown", Plain());
  EXPECT_EQ(Sample(unknown.body, "probe_grpc_status_code"), 5)  // NotFound
      << unknown.body;
  // The metadata reaches the server, which refuses x-probe: no.
  HttpResult md = pair_.Ours("grpc_metadata", Plain());
  EXPECT_EQ(Sample(md.body, "probe_grpc_status_code"), 7)  // PermissionDenied
      << md.body;
  HttpResult refused = pair_.Ours("grpc_plain", "127.0.0.1:1");
  EXPECT_EQ(Sample(refused.body, "probe_grpc_status_code"), 14);
  EXPECT_EQ(Sample(refused.body, "probe_failure_info{reason=\"connect\"}"), 1)
      << refused.body;
  HttpResult tls = pair_.Ours("grpc_tls", Tls());
  EXPECT_EQ(Sample(tls.body, "probe_success"), 1) << tls.body;
  EXPECT_EQ(Sample(tls.body, "probe_grpc_ssl"), 1);
  EXPECT_EQ(Sample(tls.body, "probe_ssl_earliest_cert_expiry"),
            std::stod(ReadFile(pair_.dir().path() + "/grpc.enddate")));
  HttpResult untrusted = pair_.Ours("grpc_tls_untrusted", Tls());
  EXPECT_EQ(Sample(untrusted.body, "probe_failure_info{reason=\"tls\"}"), 1)
      << untrusted.body;
}

}  // namespace
}  // namespace exporterd::blackbox
