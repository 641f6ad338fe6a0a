// The dns prober end to end: the real exporterd with exporterd_blackbox.so
// against a private dnsmasq (dns_dnsmasq.sh: authoritative for bb.test, UDP
// and TCP), DNS over TLS through socat in front of it (dns_dot.sh), a UDP
// port that never answers and one that is closed, beside Debian's
// blackbox_exporter 0.23 on the same blackbox.yml for parity.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <set>
#include <sstream>
#include <thread>

#include "blackbox_pair.h"
#include "test_kit.h"

namespace exporterd::blackbox {
namespace {

using exporterd::testing::ChildProcess;
using exporterd::testing::ClosedUdpPort;
using exporterd::testing::FreePort;
using exporterd::testing::HttpResult;
using exporterd::testing::ReadFile;
using exporterd::testing::Sample;
using exporterd::testing::SilentSocket;
using exporterd::testing::TempDir;
using SteadyClock = std::chrono::steady_clock;

// True once something accepts TCP connections on 127.0.0.1:port.
bool WaitTcp(uint16_t port) {
  for (int i = 0; i < 100; ++i) {
    int fd = exporterd::testing::Connect(port);
    if (fd >= 0) {
      close(fd);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string Module(const std::string& name, const std::string& dns_keys,
                   const std::string& extra = "") {
  return "  " + name + ":\n    prober: dns\n" + extra + "    dns:\n" +
         "      preferred_ip_protocol: ip4\n" + dns_keys;
}

struct Env {
  BlackboxPair pair;
  const TempDir& dir = pair.dir();
  uint16_t dns = 0, dot = 0, closed_udp = 0;
  std::unique_ptr<SilentSocket> silent;
  ChildProcess dnsmasq, socat;

  std::string Yml() const {
    const std::string ca = dir.path() + "/dot/ca.crt";
    return "modules:\n" +
           Module("dns_a",
                  "      query_name: www.bb.test\n"
                  "      query_type: A\n") +
           Module("dns_aaaa",
                  "      query_name: www.bb.test\n"
                  "      query_type: AAAA\n") +
           Module("dns_mx",
                  "      query_name: bb.test\n"
                  "      query_type: MX\n") +
           Module("dns_soa",
                  "      query_name: bb.test\n"
                  "      query_type: SOA\n") +
           Module("dns_txt",
                  "      query_name: txt.bb.test\n"
                  "      query_type: TXT\n"
                  "      validate_answer_rrs:\n"
                  "        fail_if_not_matches_regexp: ['\\tTXT\\t\"hello "
                  "world\" \"say \\\\\"hi\\\\\"\"$']\n") +
           Module("dns_any", "      query_name: www.bb.test\n") +
           Module("dns_cname",
                  "      query_name: alias.bb.test\n"
                  "      query_type: A\n") +
           Module("dns_nx",
                  "      query_name: nope.bb.test\n"
                  "      query_type: A\n") +
           Module("dns_nx_ok",
                  "      query_name: nope.bb.test\n"
                  "      query_type: A\n"
                  "      valid_rcodes: [NXDOMAIN]\n") +
           Module("dns_no_rcode",
                  "      query_name: www.bb.test\n"
                  "      query_type: A\n"
                  "      valid_rcodes: []\n") +
           Module("dns_matches_pass",
                  "      query_name: www.bb.test\n"
                  "      query_type: A\n"
                  "      validate_answer_rrs:\n"
                  "        fail_if_matches_regexp: ['\\tA\\t10\\.']\n") +
           Module("dns_matches_fail",
                  "      query_name: www.bb.test\n"
                  "      query_type: A\n"
                  "      validate_answer_rrs:\n"
                  "        fail_if_matches_regexp: "
                  "['\\tA\\t192\\.0\\.2\\.1$']\n") +
           Module("dns_all_match",
                  "      query_name: alias.bb.test\n"
                  "      query_type: A\n"
                  "      validate_answer_rrs:\n"
                  "        fail_if_all_match_regexp: "
                  "['^\\S+bb\\.test\\.\\t300\\t']\n") +
           Module("dns_all_match_fail",
                  "      query_name: alias.bb.test\n"
                  "      query_type: A\n"
                  "      validate_answer_rrs:\n"
                  "        fail_if_all_match_regexp: ['\\tA\\t']\n") +
           Module("dns_not_matches",
                  "      query_name: alias.bb.test\n"
                  "      query_type: A\n"
                  "      validate_answer_rrs:\n"
                  "        fail_if_not_matches_regexp: ['\\tIN\\t']\n"
                  "      validate_authority_rrs:\n"
                  "        fail_if_not_matches_regexp: "
                  "['^bb\\.test\\.\\t300\\tIN\\tNS\\tns\\.bb\\.test\\.$']\n") +
           Module("dns_not_matches_fail",
                  "      query_name: alias.bb.test\n"
                  "      query_type: A\n"
                  "      validate_answer_rrs:\n"
                  "        fail_if_not_matches_regexp: ['\\tCNAME\\t']\n") +
           Module("dns_none_matches",
                  "      query_name: bb.test\n"
                  "      query_type: MX\n"
                  "      validate_answer_rrs:\n"
                  "        fail_if_none_matches_regexp: "
                  "['\\tMX\\t10 mail\\.bb\\.test\\.$', 'nothing']\n") +
           Module("dns_none_matches_fail",
                  "      query_name: bb.test\n"
                  "      query_type: MX\n"
                  "      validate_answer_rrs:\n"
                  "        fail_if_none_matches_regexp: ['\\tMX\\t20 ']\n") +
           Module("dns_additional_fail",
                  "      query_name: www.bb.test\n"
                  "      query_type: A\n"
                  "      validate_additional_rrs:\n"
                  "        fail_if_none_matches_regexp: ['.*']\n") +
           Module("dns_authority_fail",
                  "      query_name: www.bb.test\n"
                  "      query_type: A\n"
                  "      validate_authority_rrs:\n"
                  "        fail_if_matches_regexp: ['\\tNS\\t']\n") +
           Module("dns_tcp",
                  "      query_name: www.bb.test\n"
                  "      query_type: A\n"
                  "      transport_protocol: tcp\n") +
           Module("dns_big",
                  "      query_name: big.bb.test\n"
                  "      query_type: A\n") +
           Module("dns_big_tcp",
                  "      query_name: big.bb.test\n"
                  "      query_type: A\n"
                  "      transport_protocol: tcp\n") +
           Module("dns_norec",
                  "      query_name: www.bb.test\n"
                  "      query_type: A\n"
                  "      recursion_desired: false\n") +
           Module("dns_short",
                  "      query_name: www.bb.test\n"
                  "      query_type: A\n",
                  "    timeout: 1s\n") +
           Module("dns_dot",
                  "      query_name: www.bb.test\n"
                  "      query_type: A\n"
                  "      transport_protocol: tcp\n"
                  "      dns_over_tls: true\n"
                  "      tls_config: {ca_file: " +
                      ca + "}\n") +
           Module("dns_dot_wrong_name",
                  "      query_name: www.bb.test\n"
                  "      query_type: A\n"
                  "      transport_protocol: tcp\n"
                  "      dns_over_tls: true\n"
                  "      tls_config: {ca_file: " +
                      ca + ", server_name: wrong.test}\n") +
           Module("dns_dot_unknown_ca",
                  "      query_name: www.bb.test\n"
                  "      query_type: A\n"
                  "      transport_protocol: tcp\n"
                  "      dns_over_tls: true\n");
  }
  // Only ours: modules upstream accepts and fails every probe of.
  static std::string OursOnlyYml() {
    return Module("dns_bad_transport",
                  "      query_name: www.bb.test\n"
                  "      transport_protocol: quic\n") +
           Module("dns_dot_udp",
                  "      query_name: www.bb.test\n"
                  "      dns_over_tls: true\n") +
           Module("dns_bad_regexp",
                  "      query_name: www.bb.test\n"
                  "      query_type: A\n"
                  "      validate_answer_rrs:\n"
                  "        fail_if_matches_regexp: ['(?P<']\n");
  }
};

Env* g_env = nullptr;

// The series (name and labels) of an exposition.
std::set<std::string> SeriesOf(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#')
      out.insert(line.substr(0, line.rfind(' ')));
  return out;
}

class DnsIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_env = new Env;
    Env& e = *g_env;
    e.dns = FreePort();
    e.dot = FreePort();
    e.closed_udp = ClosedUdpPort();
    e.silent = std::make_unique<SilentSocket>(SilentSocket::kUdp);
    const std::string d = e.dir.path();
    ASSERT_TRUE(
        e.dnsmasq.Start({"bash", "-c",
                         "mkdir -p " + d + "/dnsmasq && exec bash " +
                             BLACKBOX_DIR "/tests/integration/dns_dnsmasq.sh " +
                             std::to_string(e.dns) + " " + d + "/dnsmasq"},
                        d + "/dnsmasq.out"));
    ASSERT_TRUE(WaitTcp(e.dns)) << ReadFile(d + "/dnsmasq.out");
    ASSERT_TRUE(e.socat.Start(
        {"bash", BLACKBOX_DIR "/tests/integration/dns_dot.sh", d + "/dot",
         std::to_string(e.dot), std::to_string(e.dns)},
        d + "/socat.out"));
    ASSERT_TRUE(WaitTcp(e.dot)) << ReadFile(d + "/socat.out");
    ASSERT_TRUE(e.pair.Start(e.Yml() + Env::OursOnlyYml(), e.Yml()))
        << e.pair.Log();
  }
  void SetUp() override {
    if (!e().pair.PeerUp()) ADD_FAILURE() << "peer not up: " << e().pair.Log();
  }
  static void TearDownTestSuite() {
    g_env->pair.StopPeer();
    g_env->socat.Stop();
    g_env->dnsmasq.Stop();
    delete g_env;
  }
  Env& e() { return *g_env; }
  std::string Dns() { return "127.0.0.1:" + std::to_string(e().dns); }
  HttpResult Probe(const std::string& module, const std::string& target,
                   std::vector<std::string> args = {}) {
    return e().pair.Ours(module, target, std::move(args));
  }
};

TEST_F(DnsIntegration, ParityWithDebianBlackboxExporter) {
  const std::string dns = Dns();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"dns_a", dns},
      {"dns_aaaa", dns},
      {"dns_mx", dns},
      {"dns_soa", dns},
      {"dns_txt", dns},
      {"dns_any", dns},
      {"dns_cname", dns},
      {"dns_nx", dns},
      {"dns_nx_ok", dns},
      {"dns_no_rcode", dns},
      {"dns_matches_pass", dns},
      {"dns_matches_fail", dns},
      {"dns_all_match", dns},
      {"dns_all_match_fail", dns},
      {"dns_not_matches", dns},
      {"dns_not_matches_fail", dns},
      {"dns_none_matches", dns},
      {"dns_none_matches_fail", dns},
      {"dns_additional_fail", dns},
      {"dns_authority_fail", dns},
      {"dns_tcp", dns},
      {"dns_big", dns},
      {"dns_big_tcp", dns},
      {"dns_norec", dns},
      {"dns_dot", "localhost:" + std::to_string(e().dot)},
      {"dns_dot_unknown_ca", "localhost:" + std::to_string(e().dot)},
      {"dns_dot_wrong_name", "localhost:" + std::to_string(e().dot)},
      {"dns_a", "127.0.0.1:" + std::to_string(e().closed_udp)},
      {"dns_tcp", "127.0.0.1:1"},
      {"dns_a", "nohost.invalid"},
      {"dns_short", e().silent->address()},
  };
  int successes = 0;
  for (const auto& [module, target] : cases) {
    SCOPED_TRACE(module + " " + target);
    // Equal values but for the timings; the same series, timings included.
    auto [ours, theirs] =
        e().pair.ExpectSame(module, target, {"probe_dns_duration_seconds"});
    std::set<std::string> ours_series = SeriesOf(ours.body),
                          theirs_series = SeriesOf(theirs.body);
    // Not in 0.23: probe_timeout_seconds (0.24+); probe_failure_info (ours).
    std::erase_if(ours_series, [](const std::string& s) {
      return s.rfind("probe_failure_info", 0) == 0 ||
             s == "probe_timeout_seconds";
    });
    EXPECT_EQ(ours_series, theirs_series) << "ours:\n"
                                          << ours.body << "\ntheirs:\n"
                                          << theirs.body;
    EXPECT_EQ(exporterd::testing::PromtoolCheckMetrics(ours.body), "");
    successes += Sample(ours.body, "probe_success") == 1;
  }
  // Both outcomes were compared (not all failures or all successes).
  EXPECT_GE(successes, 12);
  EXPECT_LE(successes, static_cast<int>(cases.size()) - 12);
}

TEST_F(DnsIntegration, WhatTheRepliesCarry) {
  std::string soa = Probe("dns_soa", Dns()).body;
  EXPECT_EQ(Sample(soa, "probe_success"), 1) << soa;
  EXPECT_EQ(Sample(soa, "probe_dns_serial"), 2024010203) << soa;
  EXPECT_EQ(Sample(soa, "probe_dns_answer_rrs"), 1);
  EXPECT_EQ(Sample(soa, "probe_dns_authority_rrs"), 1);
  EXPECT_TRUE(
      std::isnan(Sample(Probe("dns_a", Dns()).body, "probe_dns_serial")));
  // 40 records: UDP gets dnsmasq's truncated 30, TCP all.
  std::string big = Probe("dns_big", Dns()).body;
  EXPECT_EQ(Sample(big, "probe_success"), 1) << big;
  EXPECT_EQ(Sample(big, "probe_dns_answer_rrs"), 30) << big;
  std::string big_tcp = Probe("dns_big_tcp", Dns()).body;
  EXPECT_EQ(Sample(big_tcp, "probe_dns_answer_rrs"), 40) << big_tcp;
  std::string dot =
      Probe("dns_dot", "localhost:" + std::to_string(e().dot)).body;
  EXPECT_EQ(Sample(dot, "probe_success"), 1) << dot;
  EXPECT_EQ(Sample(dot, "probe_dns_answer_rrs"), 1) << dot;
  // The query's RD bit and ID as dnsmasq logged them would need its debug
  // log; the answer count shows the query was understood.
  EXPECT_EQ(Sample(Probe("dns_norec", Dns()).body, "probe_dns_answer_rrs"), 1);
}

TEST_F(DnsIntegration, FailuresSayWhy) {
  struct Case {
    std::string module, target, reason;
  };
  const std::string dns = Dns();
  const std::string dot = "localhost:" + std::to_string(e().dot);
  const std::vector<Case> cases = {
      {"dns_nx", dns, "dns_rcode"},
      {"dns_no_rcode", dns, "dns_rcode"},
      {"dns_matches_fail", dns, "regex"},
      {"dns_all_match_fail", dns, "regex"},
      {"dns_not_matches_fail", dns, "regex"},
      {"dns_none_matches_fail", dns, "regex"},
      {"dns_additional_fail", dns, "regex"},
      {"dns_authority_fail", dns, "regex"},
      {"dns_a", "nohost.invalid", "dns"},
      {"dns_a", "127.0.0.1:" + std::to_string(e().closed_udp), "connect"},
      {"dns_tcp", "127.0.0.1:1", "connect"},
      {"dns_dot_unknown_ca", dot, "tls"},
      {"dns_dot_wrong_name", dot, "tls"},
      {"dns_short", e().silent->address(), "timeout"},
      {"dns_bad_transport", dns, "config"},
      {"dns_dot_udp", dns, "config"},
      {"dns_bad_regexp", dns, "config"},
      {"dns_a", "127.0.0.1:notaport", "target"},
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
}

TEST_F(DnsIntegration, TimeoutWithinTheDeadline) {
  const std::string silent = e().silent->address();
  auto t0 = SteadyClock::now();
  HttpResult r =
      Probe("dns_a", silent, {"-H", "X-Prometheus-Scrape-Timeout-Seconds: 2"});
  double took = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Sample(r.body, "probe_success"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_failure_info{reason=\"timeout\"}"), 1);
  EXPECT_EQ(Sample(r.body, "probe_dns_query_succeeded"), 0);
  // The request phase is where the time went.
  EXPECT_GT(Sample(r.body, "probe_dns_duration_seconds{phase=\"request\"}"),
            1.0)
      << r.body;
  EXPECT_LT(took, 2.0);
}

TEST_F(DnsIntegration, DebugLogShowsTheRecords) {
  HttpResult r =
      e().pair.daemon().Get("/probe?module=dns_mx&debug=true&target=" + Dns());
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("msg=\"Validating RR\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("bb.test.\\x09300\\x09IN\\x09MX\\x0910 mail.bb.test."),
            std::string::npos)
      << r.body;
}

}  // namespace
}  // namespace exporterd::blackbox
