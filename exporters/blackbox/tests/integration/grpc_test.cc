// The grpc prober against a real gRPC health server (Debian's grpcio:
// grpc_health_server.py, plain and TLS with a certificate made now),
// beside Debian's blackbox_exporter 0.23 on the same blackbox.yml; and
// against a server whose grpc-status is malformed (grpc_raw_server.py).
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

// A SERVING answer whose grpc-status trailer is not a number must not pass:
// grpc-go ends the call with Internal (13) and no serving status, and so do
// we. (Each port of grpc_raw_server.py answers with its own grpc-status.)
TEST(GrpcHostileServer, MalformedStatusIsInternal) {
  const std::vector<std::string> statuses = {"0",  "abc", "",          "1.0",
                                             " 5", "-1",  "4294967296"};
  std::vector<std::string> argv = {
      "/usr/bin/python3", BLACKBOX_DIR "/tests/integration/grpc_raw_server.py"};
  std::vector<std::string> targets;
  for (const auto& status : statuses) {
    const uint16_t port = FreePort();
    argv.push_back(std::to_string(port) + "=" + status);
    targets.push_back("127.0.0.1:" + std::to_string(port));
  }
  BlackboxPair pair;
  ChildProcess server;
  server.Start(argv, pair.dir().path() + "/raw_server.log");
  const std::string yml =
      "modules:\n  grpc_plain:\n    prober: grpc\n    grpc:\n"
      "      preferred_ip_protocol: ip4\n";
  ASSERT_TRUE(pair.Start(yml, yml)) << pair.Log();
  for (int i = 0; i < 100; ++i) {
    if (Sample(pair.Ours("grpc_plain", targets[0]).body, "probe_success") == 1)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto drop_zero_expiry = [](auto* theirs) {
    auto it = theirs->find("probe_ssl_earliest_cert_expiry");
    if (it != theirs->end() && it->second == 0) theirs->erase(it);
  };
  // Beside 0.23, whose grpc-go read grpc-status with strconv.Atoi: the same
  // for every value but one past int32, which 0.28's grpc-go
  // (strconv.ParseInt(v, 10, 32)) refuses and 0.23's took as 0.
  for (size_t i = 0; i + 1 < statuses.size(); ++i) {
    SCOPED_TRACE("grpc-status \"" + statuses[i] + "\"");
    pair.ExpectSame("grpc_plain", targets[i], {"probe_grpc_duration_seconds"},
                    drop_zero_expiry);
  }
  HttpResult ok = pair.Ours("grpc_plain", targets[0]);
  EXPECT_EQ(Sample(ok.body, "probe_success"), 1) << ok.body;
  for (size_t i = 1; i < statuses.size(); ++i) {
    SCOPED_TRACE("grpc-status \"" + statuses[i] + "\"");
    HttpResult bad = pair.Ours("grpc_plain", targets[i]);
    EXPECT_EQ(Sample(bad.body, "probe_success"), 0) << bad.body;
    EXPECT_EQ(Sample(bad.body, "probe_failure_info{reason=\"grpc_status\"}"), 1)
        << bad.body;
    EXPECT_EQ(Sample(bad.body,
                     "probe_grpc_healthcheck_response{serving_status="
                     "\"SERVING\"}"),
              0)
        << bad.body;
  }
  EXPECT_EQ(Sample(pair.Ours("grpc_plain", targets[1]).body,
                   "probe_grpc_status_code"),
            13);  // Internal
  EXPECT_EQ(Sample(pair.Ours("grpc_plain", targets[5]).body,
                   "probe_grpc_status_code"),
            4294967295.0);  // codes.Code(uint32(-1))
  EXPECT_EQ(Sample(pair.Ours("grpc_plain", targets[6]).body,
                   "probe_grpc_status_code"),
            13);
}

}  // namespace
}  // namespace exporterd::blackbox
