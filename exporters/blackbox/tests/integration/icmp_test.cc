// The icmp prober through the real daemon: parity with Debian's
// blackbox_exporter 0.23 on loopback (v4, v6, an unresolvable name) and on
// a routed path in network namespaces (an unreachable address, answered by
// a router), exporterd's multi-packet ping (loopback; a lossy path:
// nftables drops in the router), many probes at once, and the permissions:
// as nobody with ping sockets allowed, and refused with a message naming
// both ways; the traceroute prober as nobody too (icmp on a ping socket,
// udp, tcp), and what still works when ping sockets are refused.
//
// The namespaces come from icmp_netpath.sh (prefix "ic<pid>"), removed at
// the end. Needs root (raw sockets, ip netns): skipped otherwise.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
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
using exporterd::testing::TempDir;
using SteadyClock = std::chrono::steady_clock;

const std::string kScript = BLACKBOX_DIR "/tests/integration/icmp_netpath.sh";

bool IsRoot() { return geteuid() == 0; }

// Timings and the hop limit differ in value between the two; compared
// apart (present in both, sane).
const std::set<std::string> kTimings = {"probe_icmp_duration_seconds",
                                        "probe_icmp_reply_hop_limit"};

std::string ParityYml() {
  return "modules:\n"
         "  icmp_v4:\n    prober: icmp\n    timeout: 3s\n    icmp:\n"
         "      preferred_ip_protocol: ip4\n"
         "  icmp_v6:\n    prober: icmp\n    timeout: 3s\n"
         "  icmp_v4_only:\n    prober: icmp\n    timeout: 3s\n    icmp:\n"
         "      preferred_ip_protocol: ip4\n"
         "      ip_protocol_fallback: false\n";
}

// Debug output of a probe: the log part.
std::string ProbeLogOf(const std::string& debug_body) {
  return debug_body.substr(0, debug_body.find("Metrics that would have"));
}

TEST(IcmpProber, ParityWithBlackboxExporterOnLoopback) {
  if (!IsRoot()) GTEST_SKIP() << "needs root (raw ICMP sockets, as 0.23)";
  BlackboxPair pair;
  ASSERT_TRUE(pair.Start(ParityYml(), ParityYml())) << pair.Log();
  struct Case {
    const char* module;
    const char* target;
    double success;
  };
  for (const Case& c :
       {Case{"icmp_v4", "127.0.0.1", 1}, Case{"icmp_v6", "::1", 1},
        Case{"icmp_v6", "localhost", 1}, Case{"icmp_v4_only", "::1", 0},
        Case{"icmp_v4", "nonexistent.invalid", 0}}) {
    SCOPED_TRACE(std::string(c.module) + " " + c.target);
    auto [a, b] = pair.ExpectSame(c.module, c.target, kTimings);
    EXPECT_EQ(Sample(a.body, "probe_success"), c.success) << a.body;
    for (const char* phase : {"resolve", "setup", "rtt"}) {
      std::string s =
          std::string("probe_icmp_duration_seconds{phase=\"") + phase + "\"}";
      EXPECT_FALSE(std::isnan(Sample(a.body, s))) << s << a.body;
      EXPECT_FALSE(std::isnan(Sample(b.body, s))) << s << b.body;
      // Both report 0 for the phases not reached.
      EXPECT_EQ(Sample(a.body, s) == 0, Sample(b.body, s) == 0)
          << s << "\n"
          << a.body << b.body;
    }
    const std::string hl = "probe_icmp_reply_hop_limit";
    EXPECT_EQ(std::isnan(Sample(a.body, hl)), std::isnan(Sample(b.body, hl)))
        << a.body << b.body;
    if (c.success == 1) {
      EXPECT_EQ(Sample(a.body, hl), 64) << a.body;  // loopback: no hop
      EXPECT_GT(Sample(a.body, "probe_icmp_duration_seconds{phase=\"rtt\"}"),
                0);
      // packets 1: none of exporterd's own series.
      EXPECT_TRUE(std::isnan(Sample(a.body, "probe_icmp_packets_sent")));
    } else {
      EXPECT_FALSE(
          std::isnan(Sample(a.body, "probe_failure_info{reason=\"dns\"}")))
          << a.body;
    }
  }
  EXPECT_EQ(exporterd::testing::PromtoolCheckMetrics(
                pair.Ours("icmp_v4", "127.0.0.1").body),
            "");
}

std::string MultiYml() {
  return "modules:\n"
         "  ping5:\n    prober: icmp\n    timeout: 5s\n    icmp:\n"
         "      preferred_ip_protocol: ip4\n"
         "      packets: 5\n      interval: 50ms\n"
         "  ping5_v6:\n    prober: icmp\n    timeout: 5s\n    icmp:\n"
         "      packets: 5\n      interval: 50ms\n"
         "  ping_many:\n    prober: icmp\n    timeout: 1s\n    icmp:\n"
         "      preferred_ip_protocol: ip4\n"
         "      packets: 100\n      interval: 100ms\n";
}

TEST(IcmpProber, MultiPacketOnLoopback) {
  if (!IsRoot()) GTEST_SKIP() << "needs root (raw ICMP sockets)";
  BlackboxPair pair;
  ASSERT_TRUE(pair.Start(MultiYml(), "")) << pair.Log();
  for (const char* module : {"ping5", "ping5_v6"}) {
    SCOPED_TRACE(module);
    const auto t0 = SteadyClock::now();
    HttpResult a = pair.Ours(module, module[5] ? "::1" : "127.0.0.1");
    const double took =
        std::chrono::duration<double>(SteadyClock::now() - t0).count();
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(Sample(a.body, "probe_success"), 1) << a.body;
    EXPECT_EQ(Sample(a.body, "probe_icmp_packets_sent"), 5) << a.body;
    EXPECT_EQ(Sample(a.body, "probe_icmp_packets_received"), 5) << a.body;
    EXPECT_EQ(Sample(a.body, "probe_icmp_packet_loss_ratio"), 0) << a.body;
    EXPECT_EQ(Sample(a.body, "probe_icmp_duplicate_packets"), 0) << a.body;
    const double lo = Sample(a.body, "probe_icmp_rtt_min_seconds");
    const double avg = Sample(a.body, "probe_icmp_rtt_avg_seconds");
    const double hi = Sample(a.body, "probe_icmp_rtt_max_seconds");
    const double sd = Sample(a.body, "probe_icmp_rtt_stddev_seconds");
    EXPECT_GT(lo, 0) << a.body;
    EXPECT_LE(lo, avg);
    EXPECT_LE(avg, hi);
    EXPECT_GE(sd, 0);
    EXPECT_LE(sd, hi - lo);
    // The first reply's RTT is phase="rtt".
    const double rtt =
        Sample(a.body, "probe_icmp_duration_seconds{phase=\"rtt\"}");
    EXPECT_GE(rtt, lo);
    EXPECT_LE(rtt, hi);
    // 4 intervals of 50ms, then the last reply: not the 5s timeout.
    EXPECT_GE(took, 0.2);
    EXPECT_LT(took, 2.5);
    EXPECT_EQ(exporterd::testing::PromtoolCheckMetrics(a.body), "");
  }
  // 100 packets 100ms apart do not fit in 1s: it stops sending in time
  // and answers before the deadline, with what it measured.
  HttpResult a = pair.Ours("ping_many", "127.0.0.1");
  EXPECT_EQ(Sample(a.body, "probe_success"), 1) << a.body;
  const double sent = Sample(a.body, "probe_icmp_packets_sent");
  EXPECT_GE(sent, 5) << a.body;
  EXPECT_LE(sent, 10) << a.body;
  EXPECT_EQ(Sample(a.body, "probe_icmp_packets_received"), sent) << a.body;
  EXPECT_TRUE(
      std::isnan(Sample(a.body, "probe_failure_info{reason=\"timeout\"}")))
      << a.body;
}

TEST(IcmpProber, ConcurrentProbesKeepTheirOwnReplies) {
  if (!IsRoot()) GTEST_SKIP() << "needs root (raw ICMP sockets)";
  BlackboxPair pair;
  ASSERT_TRUE(pair.Start(MultiYml(), "")) << pair.Log();
  // 40 multi-packet probes at once on raw sockets, which see every reply:
  // each must count exactly its own 5.
  std::vector<std::thread> threads;
  std::vector<std::string> bodies(40);
  for (size_t i = 0; i < bodies.size(); ++i)
    threads.emplace_back([&, i] {
      bodies[i] =
          pair.Ours(i % 2 ? "ping5" : "ping5_v6", i % 2 ? "127.0.0.1" : "::1")
              .body;
    });
  for (auto& t : threads) t.join();
  for (const auto& b : bodies) {
    EXPECT_EQ(Sample(b, "probe_success"), 1) << b;
    EXPECT_EQ(Sample(b, "probe_icmp_packets_received"), 5) << b;
    EXPECT_EQ(Sample(b, "probe_icmp_duplicate_packets"), 0) << b;
  }
}

// argv in network namespace `ns` (as nobody when asked).
std::vector<std::string> InNamespace(const std::string& ns, bool nobody,
                                     const std::vector<std::string>& argv) {
  std::vector<std::string> full = {"ip", "netns", "exec", ns};
  if (nobody)
    full.insert(full.end(), {"setpriv", "--reuid=nobody", "--regid=nogroup",
                             "--clear-groups", "--inh-caps=-all"});
  full.insert(full.end(), argv.begin(), argv.end());
  return full;
}

// The path's namespaces for one test; removed at the end.
class IcmpPath : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!IsRoot()) GTEST_SKIP() << "needs root (ip netns, nftables)";
    prefix_ = "ic" + std::to_string(getpid() % 100000);
    const std::string probe = prefix_ + "probe";
    if (system(("ip netns add " + probe + " >/dev/null 2>&1 && ip netns del " +
                probe)
                   .c_str()) != 0)
      GTEST_SKIP() << "cannot create network namespaces here (ip netns add "
                      "failed: needs CAP_SYS_ADMIN and iproute2)";
    Sh(kScript + " " + prefix_ + " start");
    started_ = true;
    // Readable by nobody: the daemon runs as nobody in some tests.
    chmod(dir_.path().c_str(), 0755);
  }
  void TearDown() override {
    if (started_) Sh(kScript + " " + prefix_ + " stop");
  }
  std::string Ns(const char* which) const { return prefix_ + which; }

  // exporterd in namespace `ns` on `yml` (as nobody when asked); false
  // when it did not come up.
  bool StartOurs(const std::string& ns, const std::string& yml, bool nobody) {
    dir_.Write("blackbox.yml", yml, 0644);
    dir_.Write("exporterd.yml",
               "modules:\n  blackbox:\n    config_file: blackbox.yml\n"
               "    timeout: 30s\n",
               0644);
    ours_ns_ = ns;
    ours_port_ = FreePort();
    ours_.Start(InNamespace(ns, nobody,
                            {EXPORTERD_BINARY,
                             "--config.file=" + dir_.path() + "/exporterd.yml",
                             "--module.dir=" BLACKBOX_MODULE_DIR,
                             "--web.listen-address=127.0.0.1:" +
                                 std::to_string(ours_port_)}),
                dir_.path() + "/ours.log");
    return WaitUp(ns, ours_port_, "/-/ready");
  }
  bool StartPeer(const std::string& ns, const std::string& yml) {
    dir_.Write("peer.yml", yml, 0644);
    peer_port_ = FreePort();
    peer_.Start(InNamespace(ns, false,
                            {"prometheus-blackbox-exporter",
                             "--config.file=" + dir_.path() + "/peer.yml",
                             "--web.listen-address=127.0.0.1:" +
                                 std::to_string(peer_port_)}),
                dir_.path() + "/peer.log");
    return WaitUp(ns, peer_port_, "/-/healthy");
  }
  bool WaitUp(const std::string& ns, uint16_t port, const std::string& path) {
    for (int i = 0; i < 100; ++i) {
      if (system(("ip netns exec " + ns +
                  " curl -sf -o /dev/null --max-time 1 http://127.0.0.1:" +
                  std::to_string(port) + path)
                     .c_str()) == 0)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  std::string Get(uint16_t port, const std::string& query) const {
    return Sh("ip netns exec " + ours_ns_ +
              " curl -s --max-time 60 'http://127.0.0.1:" +
              std::to_string(port) + "/probe?" + query + "'");
  }
  std::string Ours(const std::string& query) const {
    return Get(ours_port_, query);
  }
  std::string Theirs(const std::string& query) const {
    return Get(peer_port_, query);
  }
  std::string Logs() const {
    return "ours:\n" + ReadFile(dir_.path() + "/ours.log") + "\npeer:\n" +
           ReadFile(dir_.path() + "/peer.log");
  }

  TempDir dir_;
  std::string prefix_;
  bool started_ = false;
  std::string ours_ns_;
  uint16_t ours_port_ = 0, peer_port_ = 0;
  ChildProcess ours_, peer_;
};

TEST_F(IcmpPath, ParityThroughARouterAndToAnUnreachableAddress) {
  const std::string yml = ParityYml();
  ASSERT_TRUE(StartOurs(Ns("A"), yml, false)) << Logs();
  ASSERT_TRUE(StartPeer(Ns("A"), yml)) << Logs();
  struct Case {
    const char* module;
    const char* target;
    double success;
    double hop_limit;  // NaN: absent
  };
  for (const Case& c : {Case{"icmp_v4", "10.202.2.2", 1, 63},
                        Case{"icmp_v6", "fd21:2::2", 1, 63},
                        Case{"icmp_v4", "10.202.9.9", 0, NAN},
                        Case{"icmp_v6", "fd21:9::9", 0, NAN}}) {
    SCOPED_TRACE(std::string(c.module) + " " + c.target);
    const std::string q =
        std::string("module=") + c.module + "&target=" + c.target;
    std::string a = Ours(q), b = Theirs(q);
    EXPECT_EQ(Sample(a, "probe_success"), c.success) << a << Logs();
    EXPECT_EQ(Comparable(a, kTimings), Comparable(b, kTimings))
        << "ours:\n"
        << a << "\ntheirs:\n"
        << b;
    const std::string hl = "probe_icmp_reply_hop_limit";
    if (std::isnan(c.hop_limit)) {
      EXPECT_TRUE(std::isnan(Sample(a, hl))) << a;
      EXPECT_TRUE(std::isnan(Sample(b, hl))) << b;
      // The router's "net unreachable" ends ours at once (reason connect);
      // 0.23 ignores it and waits for its timeout.
      EXPECT_EQ(Sample(a, "probe_failure_info{reason=\"connect\"}"), 1) << a;
      EXPECT_LT(Sample(a, "probe_duration_seconds"), 1.5) << a;
    } else {
      EXPECT_EQ(Sample(a, hl), c.hop_limit) << a;  // one router: 64 - 1
      EXPECT_EQ(Sample(b, hl), c.hop_limit) << b;
    }
  }
}

TEST_F(IcmpPath, LossOnALossyPath) {
  ASSERT_TRUE(StartOurs(Ns("A"),
                        "modules:\n"
                        "  ping40:\n    prober: icmp\n    timeout: 4s\n"
                        "    icmp:\n      preferred_ip_protocol: ip4\n"
                        "      packets: 40\n      interval: 20ms\n"
                        "  ping40_v6:\n    prober: icmp\n    timeout: 4s\n"
                        "    icmp:\n      packets: 40\n      interval: 20ms\n",
                        false))
      << Logs();
  // Without loss first: all 40.
  std::string a = Ours("module=ping40&target=10.202.2.2");
  EXPECT_EQ(Sample(a, "probe_icmp_packets_received"), 40) << a;
  // The router drops 50% of the echo requests (not the replies).
  Sh(kScript + " " + prefix_ + " loss 50");
  for (const char* q : {"module=ping40&target=10.202.2.2",
                        "module=ping40_v6&target=fd21:2::2"}) {
    SCOPED_TRACE(q);
    a = Ours(q);
    EXPECT_EQ(Sample(a, "probe_icmp_packets_sent"), 40) << a;
    const double loss = Sample(a, "probe_icmp_packet_loss_ratio");
    const double got = Sample(a, "probe_icmp_packets_received");
    std::printf(
        "[ icmp ] %s, 50%% dropped: sent 40, received %.0f, loss %.3f\n", q,
        got, loss);
    EXPECT_DOUBLE_EQ(loss, 1 - got / 40) << a;
    // Binomial(40, 0.5): 0.25..0.75 is more than 3 standard deviations.
    EXPECT_GE(loss, 0.25) << a;
    EXPECT_LE(loss, 0.75) << a;
    EXPECT_EQ(Sample(a, "probe_success"), 1) << a;
    // Lost echoes are waited for until the deadline (4s), not beyond
    // (loosely: the machine is shared).
    EXPECT_LT(Sample(a, "probe_duration_seconds"), 4.5) << a;
  }
  // Everything dropped: no reply, probe_success 0, reason timeout.
  Sh(kScript + " " + prefix_ + " loss 100");
  a = Ours("module=ping40&target=10.202.2.2");
  EXPECT_EQ(Sample(a, "probe_success"), 0) << a;
  EXPECT_EQ(Sample(a, "probe_icmp_packet_loss_ratio"), 1) << a;
  EXPECT_EQ(Sample(a, "probe_failure_info{reason=\"timeout\"}"), 1) << a;
  EXPECT_TRUE(std::isnan(Sample(a, "probe_icmp_rtt_avg_seconds"))) << a;
}

TEST_F(IcmpPath, UnprivilegedWithPingSockets) {
  // Namespace A opens ping_group_range: nobody, no capabilities, pings
  // through a ping socket, v4 and v6.
  ASSERT_TRUE(StartOurs(Ns("A"), ParityYml(), true)) << Logs();
  // ip netns exec and setpriv exec the daemon: same process, now nobody.
  EXPECT_NE(ReadFile("/proc/" + std::to_string(ours_.pid()) + "/status")
                .find("Uid:\t65534\t65534"),
            std::string::npos);
  for (const char* q : {"module=icmp_v4&target=10.202.2.2",
                        "module=icmp_v6&target=fd21:2::2"}) {
    SCOPED_TRACE(q);
    std::string a = Ours(q);
    EXPECT_EQ(Sample(a, "probe_success"), 1) << a << Logs();
    EXPECT_EQ(Sample(a, "probe_icmp_reply_hop_limit"), 63) << a;
    std::string d = Ours(std::string(q) + "&debug=true");
    EXPECT_NE(ProbeLogOf(d).find("method=\"ping socket\""), std::string::npos)
        << d;
  }
}

TEST_F(IcmpPath, UnprivilegedRefusedNamesBothWays) {
  // Namespace U keeps a new namespace's ping_group_range ("1 0"): nobody
  // may open neither a ping socket nor a raw one.
  ASSERT_TRUE(StartOurs(Ns("U"), ParityYml(), true)) << Logs();
  std::string a = Ours("module=icmp_v4&target=127.0.0.1");
  EXPECT_EQ(Sample(a, "probe_success"), 0) << a << Logs();
  EXPECT_EQ(Sample(a, "probe_failure_info{reason=\"other\"}"), 1) << a;
  std::string d =
      ProbeLogOf(Ours("module=icmp_v4&target=127.0.0.1&debug=true"));
  EXPECT_NE(d.find("ping_group_range"), std::string::npos) << d;
  EXPECT_NE(d.find("1 0"), std::string::npos) << d;
  EXPECT_NE(d.find("CAP_NET_RAW"), std::string::npos) << d;
}

TEST_F(IcmpPath, SendRefusedByTheKernel) {
  // Namespace U has only lo: the kernel refuses to send to 10.9.9.9
  // (ENETUNREACH) before anything leaves.
  const std::string yml = ParityYml() +
                          "  ping5_v4:\n    prober: icmp\n    timeout: 3s\n"
                          "    icmp:\n      preferred_ip_protocol: ip4\n"
                          "      packets: 5\n      interval: 20ms\n";
  ASSERT_TRUE(StartOurs(Ns("U"), yml, false)) << Logs();
  ASSERT_TRUE(StartPeer(Ns("U"), ParityYml())) << Logs();
  const std::string q = "module=icmp_v4&target=10.9.9.9";
  std::string a = Ours(q), b = Theirs(q);
  EXPECT_EQ(Sample(a, "probe_success"), 0) << a;
  EXPECT_EQ(Sample(a, "probe_failure_info{reason=\"connect\"}"), 1) << a;
  EXPECT_EQ(Comparable(a, kTimings), Comparable(b, kTimings))
      << "ours:\n"
      << a << "\ntheirs:\n"
      << b;
  // packets 5: every send refused, none counted as sent; over at once.
  a = Ours("module=ping5_v4&target=10.9.9.9");
  EXPECT_EQ(Sample(a, "probe_success"), 0) << a;
  EXPECT_EQ(Sample(a, "probe_failure_info{reason=\"connect\"}"), 1) << a;
  EXPECT_TRUE(std::isnan(Sample(a, "probe_icmp_packets_sent"))) << a;
  EXPECT_LT(Sample(a, "probe_duration_seconds"), 1.5) << a;
}

// Traceroute without privileges: the modules of the three methods, v4 and
// v6 by the target's address.
std::string TraceYml() {
  std::string y = "modules:\n";
  for (std::string m : {"icmp", "udp", "tcp"})
    y += "  tr_" + m + ":\n    prober: traceroute\n    timeout: 5s\n" +
         "    traceroute: {method: " + m +
         ", max_hops: 5, probes_per_hop: 2, probe_timeout: 1s, interval: "
         "50ms}\n";
  return y;
}

// "hop=address" for each probe_traceroute_hop_info series, in hop order.
std::vector<std::string> TraceHops(const std::string& body) {
  std::map<int, std::string> hops;
  std::istringstream in(body);
  const std::string pfx = "probe_traceroute_hop_info{address=\"";
  for (std::string l; std::getline(in, l);) {
    if (l.rfind(pfx, 0) != 0) continue;
    const size_t q = l.find('"', pfx.size());
    const size_t h = l.find("hop=\"", q);
    if (q == std::string::npos || h == std::string::npos) continue;
    hops[std::stoi(l.substr(h + 5))] = l.substr(pfx.size(), q - pfx.size());
  }
  std::vector<std::string> out;
  for (const auto& [hop, addr] : hops)
    out.push_back(std::to_string(hop) + "=" + addr);
  return out;
}

TEST_F(IcmpPath, TracerouteUnprivileged) {
  // The router and the target answer every probe (no ICMP rate limit): the
  // same probes run twice here.
  for (const char* n : {"R", "D"})
    Sh("ip netns exec " + Ns(n) +
       " sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0");
  const std::map<std::string, std::vector<std::string>> want = {
      {"10.202.2.2", {"1=10.202.1.1", "2=10.202.2.2"}},
      {"fd21:2::2", {"1=fd21:1::1", "2=fd21:2::2"}}};
  auto trace_all = [&](const char* who) {
    std::map<std::string, std::vector<std::string>> got;
    for (const char* m : {"icmp", "udp", "tcp"})
      for (const auto& [target, hops] : want) {
        const std::string q =
            std::string("module=tr_") + m + "&target=" + target;
        SCOPED_TRACE(std::string(who) + " " + q);
        std::string a = Ours(q);
        EXPECT_EQ(Sample(a, "probe_success"), 1) << a << Logs();
        EXPECT_EQ(TraceHops(a), hops) << a;
        got[q] = TraceHops(a);
      }
    return got;
  };
  // As root first (ping socket: A's ping_group_range is open to all).
  ASSERT_TRUE(StartOurs(Ns("A"), TraceYml(), false)) << Logs();
  const auto privileged = trace_all("root");
  ours_.Stop();
  // Then as nobody, no capabilities.
  ASSERT_TRUE(StartOurs(Ns("A"), TraceYml(), true)) << Logs();
  EXPECT_NE(ReadFile("/proc/" + std::to_string(ours_.pid()) + "/status")
                .find("Uid:\t65534\t65534"),
            std::string::npos);
  EXPECT_NE(ReadFile("/proc/" + std::to_string(ours_.pid()) + "/status")
                .find("CapEff:\t0000000000000000"),
            std::string::npos);
  EXPECT_EQ(trace_all("nobody"), privileged);
  // The icmp method on a ping socket (IP_RECVERR gives the routers'
  // time-exceeded), v4 and v6.
  for (const auto& [target, hops] : want) {
    std::string d =
        ProbeLogOf(Ours("module=tr_icmp&target=" + target + "&debug=true"));
    EXPECT_NE(d.find("socket=\"ping socket\""), std::string::npos) << d;
  }
  // ping_group_range closed in A: nobody can open no ICMP socket; the icmp
  // method fails (reason config) saying why, udp and tcp still trace.
  Sh("ip netns exec " + Ns("A") +
     " sysctl -qw net.ipv4.ping_group_range='1 0'");
  for (const auto& [target, hops] : want) {
    SCOPED_TRACE(target);
    std::string a = Ours("module=tr_icmp&target=" + target);
    EXPECT_EQ(Sample(a, "probe_success"), 0) << a;
    EXPECT_EQ(Sample(a, "probe_failure_info{reason=\"config\"}"), 1) << a;
    std::string d =
        ProbeLogOf(Ours("module=tr_icmp&target=" + target + "&debug=true"));
    EXPECT_NE(d.find("ping_group_range"), std::string::npos) << d;
    EXPECT_NE(d.find("1 0"), std::string::npos) << d;
    EXPECT_NE(d.find("CAP_NET_RAW"), std::string::npos) << d;
    for (const char* m : {"udp", "tcp"}) {
      std::string b = Ours(std::string("module=tr_") + m + "&target=" + target);
      EXPECT_EQ(Sample(b, "probe_success"), 1) << m << b;
      EXPECT_EQ(TraceHops(b), hops) << m << b;
    }
  }
}

}  // namespace
}  // namespace exporterd::blackbox
