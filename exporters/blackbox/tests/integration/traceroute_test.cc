// The traceroute prober through the real daemon, on a real routed path:
// four network namespaces built by netpath.sh (A client, B and C routers,
// D target; v4 and v6), the daemon started inside A. The hops it reports
// are compared with what `traceroute -n` and `mtr --report -n` show for
// the same path; then a route change, a silent router, an unreachable
// target, and loss in router C: which hops show it (B never; C only when
// its own answers meet the drops; D always), within a binomial band, and
// the same loss seen by a 100-packet ping.
//
// Needs root (network namespaces, nftables): skipped otherwise, and when
// netpath.sh (NETPATH_SH, default ../shared/real/netpath.sh beside the
// checkout) or the tools are missing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "blackbox_pair.h"
#include "exporterd/runner.h"
#include "test_kit.h"

namespace exporterd::blackbox {
namespace {

using exporterd::testing::Sample;

const char kPrefix[] = "trt";  // namespaces trtA..trtD

std::string NetpathScript() {
  const char* e = getenv("NETPATH_SH");
  // ../shared beside the checkout, as CI lays it out.
  return e && *e ? e : BLACKBOX_DIR "/../../../shared/real/netpath.sh";
}

// Runs `cmd` with /bin/sh; its stdout, and whether it exited 0.
bool Shell(const std::string& cmd, std::string* out = nullptr) {
  RunOptions o;
  o.timeout = std::chrono::seconds(120);
  RunResult r = Run({"/bin/sh", "-c", cmd}, o);
  if (out) *out = r.out + r.err;
  return r.Success();
}

std::string Ns(const char* n) { return std::string(kPrefix) + n; }
std::string InNs(const char* n, const std::string& cmd) {
  return "ip netns exec " + Ns(n) + " " + cmd;
}

// This thread in namespace A while it lives (the daemon and curl started
// from it run there too).
class InNamespaceA {
 public:
  InNamespaceA() {
    self_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int fd = open(("/run/netns/" + Ns("A")).c_str(), O_RDONLY | O_CLOEXEC);
    ok_ = self_ >= 0 && fd >= 0 && setns(fd, CLONE_NEWNET) == 0;
    if (fd >= 0) close(fd);
  }
  ~InNamespaceA() {
    if (self_ >= 0) {
      if (ok_) setns(self_, CLONE_NEWNET);
      close(self_);
    }
  }
  bool ok() const { return ok_; }

 private:
  int self_ = -1;
  bool ok_ = false;
};

const char kYml[] = R"(modules:
  tr_icmp:
    prober: traceroute
    timeout: 10s
    traceroute: {method: icmp, max_hops: 8, probes_per_hop: 3, probe_timeout: 1s, interval: 50ms}
  tr_udp:
    prober: traceroute
    timeout: 10s
    traceroute: {method: udp, max_hops: 8, probes_per_hop: 3, probe_timeout: 1s, interval: 50ms}
  tr_tcp:
    prober: traceroute
    timeout: 10s
    traceroute: {method: tcp, port: 8080, max_hops: 8, probes_per_hop: 3, probe_timeout: 1s, interval: 50ms}
  tr_short:
    prober: traceroute
    timeout: 5s
    traceroute: {method: icmp, max_hops: 5, probes_per_hop: 2, probe_timeout: 700ms, interval: 50ms}
  tr_loss:
    prober: traceroute
    timeout: 10s
    traceroute: {method: icmp, max_hops: 3, probes_per_hop: 100, probe_timeout: 1s, interval: 10ms}
  ping_loss:
    prober: icmp
    timeout: 5s
    icmp: {preferred_ip_protocol: ip4, packets: 100, interval: 10ms}
)";

struct Trace {
  std::string text;
  std::map<int, std::string> hops;  // hop -> address, from hop_info
  double success = NAN, reached = NAN, hop_count = NAN, path_id = NAN;
  std::vector<std::string> Addresses() const {
    std::vector<std::string> v;
    for (const auto& [h, a] : hops) v.push_back(a);
    return v;
  }
};

Trace Parse(const std::string& text) {
  Trace t;
  t.text = text;
  t.success = Sample(text, "probe_success");
  t.reached = Sample(text, "probe_traceroute_destination_reached");
  t.hop_count = Sample(text, "probe_traceroute_hops");
  t.path_id = Sample(text, "probe_traceroute_path_id");
  std::istringstream in(text);
  const std::string pfx = "probe_traceroute_hop_info{address=\"";
  for (std::string l; std::getline(in, l);) {
    if (l.rfind(pfx, 0) != 0) continue;
    size_t q = l.find('"', pfx.size());
    std::string addr = l.substr(pfx.size(), q - pfx.size());
    size_t h = l.find("hop=\"", q);
    int hop = std::stoi(l.substr(h + 5));
    t.hops[hop] = addr;
  }
  return t;
}

// The second column of a tool's report run in namespace A: one entry per
// line whose first column `is_hop` accepts, `silent` (the tool's mark for a
// hop that did not answer) as "*".
std::vector<std::string> HopColumn(const std::string& cmd,
                                   bool (*is_hop)(const std::string&),
                                   const std::string& silent) {
  std::string out;
  EXPECT_TRUE(Shell(InNs("A", cmd), &out)) << out;
  std::vector<std::string> hops;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) {
    std::istringstream f(l);
    std::string n, a;
    if (!(f >> n >> a) || !is_hop(n)) continue;
    hops.push_back(a == silent ? "*" : a);
  }
  return hops;
}

// `traceroute -n -q 1`'s hops ("*" for a silent hop).
std::vector<std::string> TracerouteHops(const std::string& flags,
                                        const std::string& target) {
  return HopColumn(
      "traceroute -n -q 1 -w 1 -m 8 " + flags + " " + target,
      [](const std::string& n) { return n != "traceroute"; }, "*");
}

// The HOST column of `mtr --report -n` ("???" for a silent hop).
std::vector<std::string> MtrHops(const std::string& flags,
                                 const std::string& target) {
  return HopColumn(
      "mtr --report -n -c 2 -i 0.2 " + flags + " " + target,
      [](const std::string& n) { return n.find(".|--") != std::string::npos; },
      "???");
}

// Every hop 1..hops answered: its five round-trip gauges (one family per
// statistic, labelled by hop alone) are there and consistent: 0 < min <=
// last, avg <= max < probe_timeout (1 s), stddev >= 0.
void ExpectHopRtts(const Trace& t, int hops) {
  for (int hop = 1; hop <= hops; ++hop) {
    SCOPED_TRACE("hop " + std::to_string(hop));
    auto rtt = [&](const char* stat) {
      return Sample(t.text, std::string("probe_traceroute_hop_rtt_") + stat +
                                "_seconds{hop=\"" + std::to_string(hop) +
                                "\"}");
    };
    const double mn = rtt("min"), avg = rtt("avg"), mx = rtt("max"),
                 last = rtt("last"), sd = rtt("stddev");
    EXPECT_GT(mn, 0) << t.text;
    EXPECT_LE(mn, avg) << t.text;
    EXPECT_LE(avg, mx) << t.text;
    EXPECT_LE(mn, last) << t.text;
    EXPECT_LE(last, mx) << t.text;
    EXPECT_LT(mx, 1.0) << t.text;
    EXPECT_GE(sd, 0) << t.text;
    EXPECT_LE(sd, mx - mn) << t.text;
  }
  EXPECT_EQ(t.text.find("stat=\""), std::string::npos) << t.text;
}

class TracerouteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) {
      skip_ = "needs root (network namespaces, nftables)";
      return;
    }
    if (access(NetpathScript().c_str(), R_OK) != 0) {
      skip_ =
          "netpath.sh not found at " + NetpathScript() + " (set NETPATH_SH)";
      return;
    }
    std::string out;
    if (!Shell(
            "ip netns add " + Ns("probe") + " && ip netns del " + Ns("probe"),
            &out)) {
      skip_ = "network namespaces not permitted here: " + out;
      return;
    }
    state_ = new exporterd::testing::TempDir();
    env_ = "NETPATH_PREFIX=" + std::string(kPrefix) +
           " STATE=" + state_->path() + " bash " + NetpathScript();
    if (!Shell(env_ + " install && " + env_ + " start", &out)) {
      skip_ = "netpath.sh could not build the path: " + out;
      return;
    }
    started_ = true;
    // Repeated traces in quick succession: the test routers do not
    // rate-limit their ICMP errors (Linux: a burst of 6, then 1/s).
    for (const char* n : {"B", "C", "D"})
      Shell(InNs(n,
                 "sysctl -qw net.ipv4.icmp_ratelimit=0 "
                 "net.ipv6.icmp.ratelimit=0"));
    InNamespaceA ns;
    pair_ = new BlackboxPair();
    if (!ns.ok() || !pair_->Start(kYml, "", "    timeout: 30s\n"))
      skip_ = "";  // a real failure, reported by the test
  }
  static void TearDownTestSuite() {
    if (pair_) {
      InNamespaceA ns;
      delete pair_;
      pair_ = nullptr;
    }
    if (started_) Shell(env_ + " stop");
    started_ = false;
    delete state_;
    state_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_TRUE(started_);
    ns_ = std::make_unique<InNamespaceA>();
    ASSERT_TRUE(ns_->ok());
    ASSERT_TRUE(pair_ && pair_->daemon().pid() > 0)
        << (pair_ ? pair_->Log() : "");
  }
  void TearDown() override { ns_.reset(); }

  Trace Probe(const std::string& module, const std::string& target,
              bool debug = false) {
    auto r =
        pair_->Ours(module, target,
                    debug ? std::vector<std::string>{"-G", "-d", "debug=true"}
                          : std::vector<std::string>{});
    EXPECT_EQ(r.status, 200) << r.body << pair_->Log();
    return Parse(r.body);
  }

  static inline std::string skip_;
  static inline std::string env_;
  static inline bool started_ = false;
  static inline exporterd::testing::TempDir* state_ = nullptr;
  static inline BlackboxPair* pair_ = nullptr;
  std::unique_ptr<InNamespaceA> ns_;
};

TEST_F(TracerouteTest, HopsAsTracerouteAndMtrSeeThem) {
  struct Case {
    const char* module;
    const char* traceroute_flags;
    const char* mtr_flags;
  };
  const Case cases[] = {{"tr_icmp", "-I", ""},
                        {"tr_udp", "-U -p 33434", "--udp -P 33434"},
                        {"tr_tcp", "-T -p 8080", "--tcp -P 8080"}};
  for (const char* target : {"10.201.3.2", "fd20:3::2"}) {
    const std::string family = strchr(target, ':') ? "-6" : "-4";
    for (const auto& c : cases) {
      SCOPED_TRACE(std::string(c.module) + " " + target);
      Trace t = Probe(c.module, target);
      EXPECT_EQ(t.success, 1) << t.text;
      EXPECT_EQ(t.reached, 1) << t.text;
      EXPECT_EQ(t.hop_count, 3) << t.text;
      EXPECT_EQ(Sample(t.text, "probe_traceroute_hop_loss_ratio{hop=\"3\"}"), 0)
          << t.text;
      ExpectHopRtts(t, 3);
      auto theirs = TracerouteHops(family + " " + c.traceroute_flags, target);
      EXPECT_EQ(t.Addresses(), theirs) << t.text;
      EXPECT_EQ(t.Addresses(), MtrHops(family + " " + c.mtr_flags, target))
          << t.text;
      ASSERT_EQ(t.hops.size(), 3u) << t.text;
      EXPECT_EQ(t.hops[3], target);
      // The same path again: the same id.
      Trace again = Probe(c.module, target);
      EXPECT_EQ(again.path_id, t.path_id);
      EXPECT_EQ(again.Addresses(), t.Addresses());
    }
  }
}

TEST_F(TracerouteTest, DebugPrintsTheMtrReport) {
  auto r = pair_->Ours("tr_icmp", "10.201.3.2", {"-G", "-d", "debug=true"});
  ASSERT_EQ(r.status, 200);
  const std::string& b = r.body;
  size_t rep = b.find("Traceroute report");
  size_t metrics = b.find("Metrics that would have been returned:");
  ASSERT_NE(rep, std::string::npos) << b;
  ASSERT_NE(metrics, std::string::npos) << b;
  EXPECT_LT(b.find("Logs for the probe:"), rep);
  EXPECT_LT(rep, metrics);
  const std::string report = b.substr(rep, metrics - rep);
  EXPECT_NE(report.find("HOST: "), std::string::npos) << report;
  for (const char* col :
       {"Loss%", "Snt", "Last", "Avg", "Best", "Wrst", "StDev"})
    EXPECT_NE(report.find(col), std::string::npos) << report;
  EXPECT_NE(report.find("  1.|-- 10.201.1.1"), std::string::npos) << report;
  EXPECT_NE(report.find("  2.|-- 10.201.2.2"), std::string::npos) << report;
  EXPECT_NE(report.find("  3.|-- 10.201.3.2"), std::string::npos) << report;
  EXPECT_EQ(report.find("  4.|--"), std::string::npos) << report;
}

TEST_F(TracerouteTest, PathIdFollowsARouteChange) {
  Trace before = Probe("tr_icmp", "10.201.3.2");
  ASSERT_EQ(before.reached, 1) << before.text;
  // A second link between B and C (10.201.4.0/24), and both routers use it.
  const std::string add =
      "ip link add b2 netns " + Ns("B") + " type veth peer name c2 netns " +
      Ns("C") + " && ip -n " + Ns("B") +
      " addr add 10.201.4.1/24 dev b2 && ip -n " + Ns("C") +
      " addr add 10.201.4.2/24 dev c2 && ip -n " + Ns("B") +
      " link set b2 up && ip -n " + Ns("C") + " link set c2 up && ip -n " +
      Ns("B") + " route replace 10.201.3.0/24 via 10.201.4.2 && ip -n " +
      Ns("C") + " route replace 10.201.1.0/24 via 10.201.4.1";
  const std::string undo = "ip -n " + Ns("B") +
                           " route replace 10.201.3.0/24 via 10.201.2.2; ip "
                           "-n " +
                           Ns("C") +
                           " route replace 10.201.1.0/24 via 10.201.2.1; ip "
                           "-n " +
                           Ns("B") + " link del b2";
  std::string out;
  ASSERT_TRUE(Shell(add, &out)) << out;
  // Let neighbour discovery on the new link settle (ping through it).
  Shell(InNs("A", "ping -c 2 -i 0.2 -W 1 10.201.3.2"));
  Trace changed = Probe("tr_icmp", "10.201.3.2");
  auto theirs = TracerouteHops("-I", "10.201.3.2");
  Shell(undo);
  EXPECT_EQ(changed.reached, 1) << changed.text;
  EXPECT_EQ(changed.hops[2], "10.201.4.2") << changed.text;
  EXPECT_EQ(changed.Addresses(), theirs);
  EXPECT_NE(changed.path_id, before.path_id);
  Trace back = Probe("tr_icmp", "10.201.3.2");
  EXPECT_EQ(back.path_id, before.path_id) << back.text;
}

TEST_F(TracerouteTest, SilentHop) {
  // Router C sends no time-exceeded.
  const std::string nft =
      "nft -f - <<'EOF'\n"
      "table inet trsilent {\n"
      "  chain out { type filter hook output priority 0; policy accept;\n"
      "    icmp type time-exceeded drop\n"
      "    icmpv6 type time-exceeded drop\n"
      "  }\n"
      "}\n"
      "EOF";
  std::string out;
  ASSERT_TRUE(Shell(
      "ip netns exec " + Ns("C") + " sh <<'OUTER'\n" + nft + "\nOUTER", &out))
      << out;
  for (const char* target : {"10.201.3.2", "fd20:3::2"}) {
    SCOPED_TRACE(target);
    Trace t = Probe("tr_short", target);
    EXPECT_EQ(t.reached, 1) << t.text;
    EXPECT_EQ(t.hops[2], "*") << t.text;
    EXPECT_EQ(Sample(t.text, "probe_traceroute_hop_loss_ratio{hop=\"2\"}"), 1);
    const std::string family = strchr(target, ':') ? "-6" : "-4";
    EXPECT_EQ(t.Addresses(), TracerouteHops(family + " -I", target));
  }
  Shell(InNs("C", "nft delete table inet trsilent"));
}

TEST_F(TracerouteTest, UnreachableDestination) {
  // D drops everything: hops 1 and 2 answer, nothing beyond.
  std::string out;
  ASSERT_TRUE(Shell(InNs("D",
                         "nft add table inet trblack \\; add chain inet "
                         "trblack in '{ type filter hook input priority 0; "
                         "policy drop; }'"),
                    &out))
      << out;
  const auto t0 = std::chrono::steady_clock::now();
  Trace t = Probe("tr_short", "10.201.3.2");
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  Shell(InNs("D", "nft delete table inet trblack"));
  EXPECT_EQ(t.success, 0) << t.text;
  EXPECT_EQ(t.reached, 0) << t.text;
  EXPECT_EQ(t.hop_count, 5) << t.text;
  EXPECT_EQ(Sample(t.text, "probe_failure_info{reason=\"connect\"}"), 1)
      << t.text;
  EXPECT_EQ(t.hops[1], "10.201.1.1");
  EXPECT_EQ(t.hops[2], "10.201.2.2");
  EXPECT_EQ(t.hops[3], "*");
  EXPECT_EQ(t.hops[5], "*");
  // Within the module's 5 s timeout (loosely: the daemon and curl add some).
  EXPECT_LT(took, 5.0) << t.text;
  EXPECT_LT(Sample(t.text, "probe_duration_seconds"), 5.0);
}

// Loss that nftables injects in router C, and which hops show it.
//
// Each probe crossing a 30% drop rule is lost with probability 0.3, on its
// own (nft's numgen random): one crossing loses 30%, a probe and its answer
// both crossing lose 1 - 0.7^2 = 51%. The count lost of n = 100 probes is
// then Binomial(100, 0.51): it falls outside 30..72 with probability below
// 1.3e-5 (exact binomial tails: 6.6e-6 below 30, 5.9e-6 above 72). Four
// such checks below (loss ratios 0.30..0.72): a false failure is below
// 1e-4 per run. A hop whose probes and answers never meet a drop rule must
// lose none: its band is exactly 0 (nothing else drops here: the routers'
// ICMP rate limits are off, 100 answers a second per router are far below
// the kernel's global 1000/s, and probe_timeout is 1 s for sub-millisecond
// round trips).
constexpr double kLossLo = 0.30, kLossHi = 0.72;

// The hop's Snt column in the debug page's mtr-style report; -1 if absent.
int SentOfHop(const std::string& debug_page, int hop) {
  std::istringstream in(debug_page);
  const std::string pfx = std::to_string(hop) + ".|--";
  for (std::string l; std::getline(in, l);) {
    std::istringstream f(l);
    std::string n, a, loss, sent;
    if (f >> n >> a >> loss >> sent && n == pfx) return std::stoi(sent);
  }
  return -1;
}

TEST_F(TracerouteTest, ForwardedLossShowsOnlyAtTheDestination) {
  // netpath.sh loss 30: C drops 30% of what it *forwards* (nft hook
  // forward), both ways. Hop 1 (B): probe and time-exceeded never reach
  // C. Hop 2 (C): the kernel checks the TTL before the forward hook
  // (ip_forward / ip6_forward), and C's time-exceeded is its own output,
  // not forwarded: neither crosses the rule, so C shows no loss although
  // it is the router that drops. Hop 3 (D): the echo and its reply are both
  // forwarded by C: 51%. (mtr --report shows the same: 0%, 0%, ~51%.)
  std::string out;
  ASSERT_TRUE(Shell(env_ + " loss 30", &out)) << out;
  Trace t = Probe("tr_loss", "10.201.3.2", /*debug=*/true);
  auto ping = pair_->Ours("ping_loss", "10.201.3.2");
  Shell(env_ + " loss 0");
  ASSERT_EQ(t.reached, 1) << t.text;
  ASSERT_EQ(t.Addresses(), (std::vector<std::string>{"10.201.1.1", "10.201.2.2",
                                                     "10.201.3.2"}))
      << t.text;
  auto loss = [&](int hop) {
    return Sample(t.text, "probe_traceroute_hop_loss_ratio{hop=\"" +
                              std::to_string(hop) + "\"}");
  };
  for (int hop = 1; hop <= 3; ++hop)
    EXPECT_EQ(SentOfHop(t.text, hop), 100) << "hop " << hop << t.text;
  std::printf("[ loss ] forwarded 30%%: hop loss B %.2f, C %.2f, D %.2f\n",
              loss(1), loss(2), loss(3));
  EXPECT_EQ(loss(1), 0) << t.text;
  EXPECT_EQ(loss(2), 0) << t.text;
  EXPECT_GE(loss(3), kLossLo) << t.text;
  EXPECT_LE(loss(3), kLossHi) << t.text;
  // The 100-packet ping to D: the same 51%.
  const std::string& b = ping.body;
  const double sent = Sample(b, "probe_icmp_packets_sent");
  const double got = Sample(b, "probe_icmp_packets_received");
  const double ratio = Sample(b, "probe_icmp_packet_loss_ratio");
  std::printf(
      "[ loss ] forwarded 30%%: ping sent %.0f received %.0f loss %.2f\n", sent,
      got, ratio);
  EXPECT_EQ(sent, 100) << b;
  EXPECT_DOUBLE_EQ(ratio, 1 - got / sent) << b;
  EXPECT_GE(ratio, kLossLo) << b;
  EXPECT_LE(ratio, kLossHi) << b;
}

TEST_F(TracerouteTest, LossyLinkIntoCShowsAtCAndD) {
  // The B-C link loses 30% each way at C's end (c0: what C receives from
  // B, prerouting; what C sends to B, postrouting, its own time-exceeded
  // included). Hop 1 (B): never crosses c0: no loss. Hop 2 (C): the probe
  // in and C's answer out: 51%. Hop 3 (D): the echo in and the reply out
  // through c0: 51%.
  const std::string nft =
      "nft -f - <<'EOF'\n"
      "table inet trlink {\n"
      "  chain in { type filter hook prerouting priority 0; policy accept;\n"
      "    iifname \"c0\" numgen random mod 100 < 30 drop; }\n"
      "  chain out { type filter hook postrouting priority 0; policy "
      "accept;\n"
      "    oifname \"c0\" numgen random mod 100 < 30 drop; }\n"
      "}\n"
      "EOF";
  std::string out;
  ASSERT_TRUE(Shell(InNs("C", nft), &out)) << out;
  Trace t = Probe("tr_loss", "10.201.3.2", /*debug=*/true);
  Shell(InNs("C", "nft delete table inet trlink"));
  ASSERT_EQ(t.reached, 1) << t.text;
  auto loss = [&](int hop) {
    return Sample(t.text, "probe_traceroute_hop_loss_ratio{hop=\"" +
                              std::to_string(hop) + "\"}");
  };
  for (int hop = 1; hop <= 3; ++hop)
    EXPECT_EQ(SentOfHop(t.text, hop), 100) << "hop " << hop << t.text;
  std::printf("[ loss ] lossy link B-C: hop loss B %.2f, C %.2f, D %.2f\n",
              loss(1), loss(2), loss(3));
  EXPECT_EQ(loss(1), 0) << t.text;
  for (int hop : {2, 3}) {
    EXPECT_GE(loss(hop), kLossLo) << "hop " << hop << t.text;
    EXPECT_LE(loss(hop), kLossHi) << "hop " << hop << t.text;
  }
}

}  // namespace
}  // namespace exporterd::blackbox
