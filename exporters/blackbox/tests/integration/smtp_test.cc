// SMTP STARTTLS through the tcp prober against a real Postfix (the
// postfix_qshape module's private instance, postfix_env.sh, with smtpd TLS
// switched on and a certificate made now), beside Debian's
// blackbox_exporter 0.23 on the same blackbox.yml. Needs root (Postfix).
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "blackbox_pair.h"
#include "test_kit.h"

namespace exporterd::blackbox {
namespace {

using exporterd::testing::HttpResult;
using exporterd::testing::ReadFile;
using exporterd::testing::Sample;
using exporterd::testing::Sh;

const std::string kPostfixEnv =
    BLACKBOX_DIR "/../postfix_qshape/tests/integration/postfix_env.sh";

// The whole dialogue a mail admin checks: banner, EHLO offering STARTTLS,
// the upgrade, EHLO again inside TLS.
std::string StartTlsModule(const std::string& name, const std::string& tls) {
  return "  " + name +
         ":\n    prober: tcp\n    timeout: 10s\n    tcp:\n"
         "      preferred_ip_protocol: ip4\n" +
         tls +
         "      query_response:\n"
         "      - expect: '^220 '\n"
         "      - send: 'EHLO prober.test'\n"
         "      - expect: '^250-STARTTLS'\n"
         "      - expect: '^250 '\n"
         "      - send: 'STARTTLS'\n"
         "      - expect: '^220 '\n"
         "      - starttls: true\n"
         "      - send: 'EHLO prober.test'\n"
         "      - expect: '^250 '\n"
         "      - send: 'QUIT'\n";
}

class SmtpStartTls : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "Postfix needs root";
    if (access("/usr/lib/postfix/sbin/master", X_OK) != 0)
      GTEST_SKIP() << "postfix is not installed (scripts/setup.sh)";
    const std::string d = pair_.dir().path();
    // Postfix's daemons must reach the state directory.
    Sh("chmod 755 " + d);
    Sh("cd " + d +
       " && openssl req -x509 -newkey rsa:2048 -nodes -keyout smtp.key "
       "-out smtp.crt -days 20 -subj /CN=localhost "
       "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null && "
       "chmod 644 smtp.crt smtp.key && "
       "date -d \"$(openssl x509 -enddate -noout -in smtp.crt | cut -d= -f2)\" "
       "+%s > smtp.enddate");
    state_ = d + "/postfix";
    const std::string extra =
        "smtpd_tls_security_level = may\n"
        "smtpd_tls_cert_file = " +
        d + "/smtp.crt\nsmtpd_tls_key_file = " + d + "/smtp.key\n";
    Sh("PF_STATE=" + state_ + " PF_MAIN_EXTRA='" + extra + "' bash " +
       kPostfixEnv + " start");
    port_ = ReadFile(state_ + "/smtp_port");
    while (!port_.empty() && port_.back() == '\n') port_.pop_back();
    ASSERT_FALSE(port_.empty()) << "postfix did not start";
    const std::string yml =
        "modules:\n" +
        StartTlsModule("smtp_starttls",
                       "      tls_config: {ca_file: " + d + "/smtp.crt}\n") +
        // The system CAs do not know our certificate.
        StartTlsModule("smtp_starttls_untrusted", "") +
        // The plain banner check.
        "  smtp_banner:\n    prober: tcp\n    tcp:\n"
        "      preferred_ip_protocol: ip4\n"
        "      query_response:\n      - expect: '^220 test.local ESMTP'\n";
    ASSERT_TRUE(pair_.Start(yml, yml)) << pair_.Log();
  }
  void TearDown() override {
    if (!state_.empty())
      Sh("PF_STATE=" + state_ + " bash " + kPostfixEnv + " stop || true");
  }
  std::string Target() const { return "127.0.0.1:" + port_; }

  BlackboxPair pair_;
  std::string state_, port_;
};

TEST_F(SmtpStartTls, UpgradesAndReportsTheCertificateLikeBlackboxExporter) {
  for (const std::string module :
       {"smtp_starttls", "smtp_starttls_untrusted", "smtp_banner"}) {
    SCOPED_TRACE(module);
    pair_.ExpectSame(module, Target());
  }
  HttpResult ok = pair_.Ours("smtp_starttls", Target());
  EXPECT_EQ(Sample(ok.body, "probe_success"), 1) << ok.body;
  EXPECT_EQ(Sample(ok.body, "probe_ssl_earliest_cert_expiry"),
            std::stod(ReadFile(pair_.dir().path() + "/smtp.enddate")));
  EXPECT_EQ(Sample(ok.body, "probe_tls_version_info{version=\"TLS 1.3\"}"), 1)
      << ok.body;
  HttpResult bad = pair_.Ours("smtp_starttls_untrusted", Target());
  EXPECT_EQ(Sample(bad.body, "probe_success"), 0) << bad.body;
  EXPECT_EQ(Sample(bad.body, "probe_failure_info{reason=\"tls\"}"), 1)
      << bad.body;
}

}  // namespace
}  // namespace exporterd::blackbox
