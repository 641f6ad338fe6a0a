// OAuth2 client credentials in the http prober against a real nginx
// (nginx_env.sh: /oauth/token hands out a token for Basic-authenticated
// client credentials, /oauth/protected wants it), beside Debian's
// blackbox_exporter 0.23 (prometheus/common's oauth2 round tripper) on the
// same blackbox.yml.
#include <gtest/gtest.h>

#include <string>

#include "blackbox_pair.h"
#include "test_kit.h"

namespace exporterd::blackbox {
namespace {

using exporterd::testing::FreePort;
using exporterd::testing::HttpResult;
using exporterd::testing::ReadFile;
using exporterd::testing::Sample;
using exporterd::testing::Sh;

class OAuth2Probe : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string d = pair_.dir().path();
    http_ = std::to_string(FreePort());
    Sh("bash " BLACKBOX_DIR "/tests/integration/nginx_env.sh " + d + "/nginx " +
       http_ + " " + std::to_string(FreePort()));
    const std::string token = "http://127.0.0.1:" + http_ + "/oauth/token";
    auto module = [&](const std::string& name, const std::string& secret) {
      return "  " + name +
             ":\n    prober: http\n    http:\n"
             "      preferred_ip_protocol: ip4\n"
             "      oauth2:\n        client_id: probe-client\n"
             "        client_secret: " +
             secret + "\n        token_url: " + token +
             "\n        scopes: [probe, read]\n";
    };
    const std::string yml = "modules:\n" + module("oauth2", "s3cret") +
                            module("oauth2_wrong", "nope") +
                            "  plain:\n    prober: http\n    http:\n"
                            "      preferred_ip_protocol: ip4\n";
    ASSERT_TRUE(pair_.Start(yml, yml)) << pair_.Log();
  }
  void TearDown() override {
    Sh("kill $(cat " + pair_.dir().path() + "/nginx/nginx.pid) || true");
  }
  std::string Protected() const {
    return "http://127.0.0.1:" + http_ + "/oauth/protected";
  }

  BlackboxPair pair_;
  std::string http_;
};

TEST_F(OAuth2Probe, TokenFetchedThenSentLikeBlackboxExporter) {
  for (const std::string module : {"oauth2", "oauth2_wrong", "plain"}) {
    SCOPED_TRACE(module);
    pair_.ExpectSame(module, Protected());
  }
  HttpResult ok = pair_.Ours("oauth2", Protected());
  EXPECT_EQ(Sample(ok.body, "probe_success"), 1) << ok.body;
  EXPECT_EQ(Sample(ok.body, "probe_http_status_code"), 200) << ok.body;
  // The token endpoint refuses the secret (in the header, then in the
  // body): the probe fails before any request to the target.
  HttpResult refused = pair_.Ours("oauth2_wrong", Protected());
  EXPECT_EQ(Sample(refused.body, "probe_success"), 0) << refused.body;
  EXPECT_EQ(Sample(refused.body, "probe_failure_info{reason=\"auth\"}"), 1)
      << refused.body;
  // Without the token, the page says 401.
  HttpResult plain = pair_.Ours("plain", Protected());
  EXPECT_EQ(Sample(plain.body, "probe_http_status_code"), 401) << plain.body;
  EXPECT_EQ(Sample(plain.body, "probe_failure_info{reason=\"http_status\"}"), 1)
      << plain.body;
  // debug=true says why the token was refused.
  HttpResult debug = pair_.daemon().Get(
      "/probe?debug=true&module=oauth2_wrong&target=" + Protected());
  EXPECT_NE(debug.body.find("oauth2: cannot fetch token: 401"),
            std::string::npos)
      << debug.body;
}

}  // namespace
}  // namespace exporterd::blackbox
