// The grpc prober against a real gRPC health server (Debian's grpcio:
// grpc_health_server.py, plain and TLS with a certificate made now),
// beside Debian's blackbox_exporter 0.23 on the same blackbox.yml; and
// against a server written by hand (grpc_raw_server.py) whose grpc-status
// is malformed or whose answer is odd.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

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
using exporterd::testing::WaitFor;

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

// grpc_raw_server.py with one port per answer (its grpc-status trailer and
// its body's bytes in hex; no body: SERVING), beside a BlackboxPair whose
// grpc_plain module probes it; Start returns once every port listens.
class RawGrpc {
 public:
  struct Answer {
    std::string status;
    std::optional<std::string> body_hex;
  };
  bool Start(const std::vector<Answer>& answers) {
    std::vector<std::string> argv = {"/usr/bin/python3", BLACKBOX_DIR
                                     "/tests/integration/grpc_raw_server.py"};
    for (const auto& a : answers) {
      const uint16_t port = FreePort();
      argv.push_back(std::to_string(port) + "=" + a.status +
                     (a.body_hex ? "=" + *a.body_hex : ""));
      targets_.push_back("127.0.0.1:" + std::to_string(port));
    }
    const std::string log = pair_.dir().path() + "/raw_server.log";
    server_.Start(argv, log);
    const std::string yml =
        "modules:\n  grpc_plain:\n    prober: grpc\n    grpc:\n"
        "      preferred_ip_protocol: ip4\n";
    return WaitFor([&] {
             return access(log.c_str(), R_OK) == 0 &&
                    ReadFile(log).find("ready") != std::string::npos;
           }) &&
           pair_.Start(yml, yml);
  }
  HttpResult Ours(size_t i) const {
    return pair_.Ours("grpc_plain", targets_[i]);
  }
  // Both exporters on answer i: the same series and values, timings aside.
  // `code_0_28`: where 0.28's newer grpc-go gives another status code than
  // 0.23's, that one stands in for 0.23's.
  void ExpectSame(size_t i, std::optional<double> code_0_28 = {}) const {
    pair_.ExpectSame("grpc_plain", targets_[i], {"probe_grpc_duration_seconds"},
                     [&](auto* theirs) {
                       auto it = theirs->find("probe_ssl_earliest_cert_expiry");
                       if (it != theirs->end() && it->second == 0)
                         theirs->erase(it);
                       if (code_0_28)
                         (*theirs)["probe_grpc_status_code"] = *code_0_28;
                     });
  }
  std::string Log() const { return pair_.Log(); }

 private:
  BlackboxPair pair_;
  ChildProcess server_;
  std::vector<std::string> targets_;
};

// A SERVING answer whose grpc-status trailer is not a number must not pass:
// grpc-go ends the call with Internal (13) and no serving status, and so do
// we.
TEST(GrpcHostileServer, MalformedStatusIsInternal) {
  const std::vector<std::string> statuses = {"0",  "abc", "",          "1.0",
                                             " 5", "-1",  "4294967296"};
  RawGrpc raw;
  std::vector<RawGrpc::Answer> answers;
  for (const auto& s : statuses) answers.push_back({s, std::nullopt});
  ASSERT_TRUE(raw.Start(answers)) << raw.Log();
  // Beside 0.23, whose grpc-go read grpc-status with strconv.Atoi: the same
  // for every value but one past int32, which 0.28's grpc-go
  // (strconv.ParseInt(v, 10, 32)) refuses and 0.23's took as 0.
  for (size_t i = 0; i + 1 < statuses.size(); ++i) {
    SCOPED_TRACE("grpc-status \"" + statuses[i] + "\"");
    raw.ExpectSame(i);
  }
  HttpResult ok = raw.Ours(0);
  EXPECT_EQ(Sample(ok.body, "probe_success"), 1) << ok.body;
  for (size_t i = 1; i < statuses.size(); ++i) {
    SCOPED_TRACE("grpc-status \"" + statuses[i] + "\"");
    HttpResult bad = raw.Ours(i);
    EXPECT_EQ(Sample(bad.body, "probe_success"), 0) << bad.body;
    EXPECT_EQ(Sample(bad.body, "probe_failure_info{reason=\"grpc_status\"}"), 1)
        << bad.body;
    EXPECT_EQ(Sample(bad.body,
                     "probe_grpc_healthcheck_response{serving_status="
                     "\"SERVING\"}"),
              0)
        << bad.body;
  }
  EXPECT_EQ(Sample(raw.Ours(1).body, "probe_grpc_status_code"),
            13);  // Internal
  EXPECT_EQ(Sample(raw.Ours(5).body, "probe_grpc_status_code"),
            4294967295.0);  // codes.Code(uint32(-1))
  EXPECT_EQ(Sample(raw.Ours(6).body, "probe_grpc_status_code"), 13);
}

// Health answers no real server sends, read as grpc-go and protobuf-go
// read them, beside blackbox_exporter 0.23: a status the enum does not
// name is its own serving_status series; the varint is cut to int32
// (2^32+1 is SERVING); unknown fields and groups are skipped; a second
// message, none, or a protobuf that does not parse is Internal.
TEST(GrpcHostileServer, OddHealthAnswers) {
  const std::vector<RawGrpc::Answer> answers = {
      {"0", "00000000020807"},                    // 0: status 7
      {"0", "000000000b08ffffffffffffffffff01"},  // 1: 2^64-1, i.e. -1
      {"0", "0000000006088180808010"},            // 2: 2^32+1: SERVING
      {"0", "00000000081b080223241c0801"},        // 3: a group, SERVING
      {"0", "0000000002080100000000020801"},      // 4: two messages
      {"0", ""},                                  // 5: no message
      {"0", "00000000020001"},                    // 6: field number 0
      {"0", "000000000b08ffffffffffffffffff02"},  // 7: varint overflow
  };
  RawGrpc raw;
  ASSERT_TRUE(raw.Start(answers)) << raw.Log();
  for (size_t i = 0; i < answers.size(); ++i) {
    SCOPED_TRACE("answer " + std::to_string(i) + ": " + *answers[i].body_hex);
    // Two messages or none: 0.23's grpc-go said Unknown (2, "protocol
    // violation", or io.EOF); since grpc-go 1.74 (0.28.0 has 1.77) it is
    // Internal (13), "cardinality violation".
    raw.ExpectSame(i,
                   i == 4 || i == 5 ? std::optional<double>(13) : std::nullopt);
  }
  const std::string kResponse = "probe_grpc_healthcheck_response";
  HttpResult seven = raw.Ours(0);
  EXPECT_EQ(Sample(seven.body, "probe_success"), 0) << seven.body;
  EXPECT_EQ(Sample(seven.body, "probe_grpc_status_code"), 0);
  EXPECT_EQ(Sample(seven.body, kResponse + "{serving_status=\"7\"}"), 1);
  EXPECT_EQ(Sample(seven.body, kResponse + "{serving_status=\"UNKNOWN\"}"), 0);
  EXPECT_EQ(Sample(raw.Ours(1).body, kResponse + "{serving_status=\"-1\"}"), 1);
  for (size_t i : {2, 3}) {
    HttpResult r = raw.Ours(i);
    EXPECT_EQ(Sample(r.body, "probe_success"), 1) << r.body;
    EXPECT_EQ(Sample(r.body, kResponse + "{serving_status=\"SERVING\"}"), 1);
  }
  for (size_t i = 4; i < answers.size(); ++i) {
    HttpResult r = raw.Ours(i);
    EXPECT_EQ(Sample(r.body, "probe_success"), 0) << r.body;
    EXPECT_EQ(Sample(r.body, "probe_grpc_status_code"), 13) << r.body;
  }
}

}  // namespace
}  // namespace exporterd::blackbox
