// The SNMP client against a real snmpd (tests/snmpd_env.*), compared with
// net-snmp's own command-line tools where that makes sense.
#include <gtest/gtest.h>
#include <signal.h>
#include <time.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "exporterd/asio.h"
#include "exporterd/runner.h"
#include "snmp_client.h"
#include "snmpd_env.h"

namespace exporterd::snmp {
namespace {

using std::chrono::milliseconds;
using testing::kBigRows;
using testing::kBigTable;
using testing::kLoopTable;
using testing::Snmpd;

const char kSystem[] = "1.3.6.1.2.1.1";
const char kIfTable[] = "1.3.6.1.2.1.2.2";

Oid O(const char* text) {
  auto o = ParseOid(text);
  EXPECT_TRUE(o.has_value()) << text;
  return o.value_or(Oid{});
}

// A net-snmp command-line tool (snmpget, snmpbulkwalk ...): its output is
// what ours is compared with.
RunResult RunTool(const std::vector<std::string>& argv) {
  RunOptions o;
  o.timeout = std::chrono::minutes(2);  // a walk of the big table
  return exporterd::Run(argv, o);
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

double Secs(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// snmpbulkwalk/snmpwalk -On -Ot -Ox: "OID = TYPE: value" (hex strings,
// raw timeticks), whitespace removed from the value.
std::string Render(const Varbind& v) {
  std::ostringstream s;
  switch (v.type) {
    case PduType::kInteger:
      s << "INTEGER:" << v.int_value;
      break;
    case PduType::kOctetString: {
      if (v.bytes.empty()) {
        s << "\"\"";
        break;
      }
      s << "Hex-STRING:";
      char buf[4];
      for (unsigned char c : v.bytes) {
        snprintf(buf, sizeof(buf), "%02X", c);
        s << buf;
      }
      break;
    }
    case PduType::kObjectId:
      s << "OID:" << DottedOid(v.oid_value);
      break;
    case PduType::kIpAddress:
      s << "IpAddress:";
      for (size_t i = 0; i < v.bytes.size(); ++i)
        s << (i ? "." : "")
          << static_cast<int>(static_cast<unsigned char>(v.bytes[i]));
      break;
    case PduType::kCounter32:
      s << "Counter32:" << v.uint_value;
      break;
    case PduType::kGauge32:
      s << "Gauge32:" << v.uint_value;
      break;
    case PduType::kTimeTicks:
      s << v.uint_value;
      break;
    case PduType::kCounter64:
      s << "Counter64:" << v.uint_value;
      break;
    default:
      s << "type" << static_cast<int>(v.type);
  }
  return s.str();
}

// OID -> value, from the tool's output (hex strings span lines).
std::vector<std::pair<std::string, std::string>> ParseToolOutput(
    const std::string& out) {
  std::vector<std::pair<std::string, std::string>> rows;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find(" = ");
    if (!line.empty() && line[0] == '.' && eq != std::string::npos) {
      rows.emplace_back(line.substr(0, eq), "");
      line = line.substr(eq + 3);
    } else if (rows.empty()) {
      continue;
    }
    for (char c : line)
      if (!isspace(static_cast<unsigned char>(c))) rows.back().second += c;
  }
  return rows;
}

// Values that change between two walks of a live agent: counters and
// timeticks (bare numbers with -Ot).
bool Volatile(const std::string& value) {
  return value.rfind("Counter32:", 0) == 0 ||
         value.rfind("Counter64:", 0) == 0 ||
         value.find_first_not_of("0123456789") == std::string::npos;
}

std::string TypeOf(const std::string& value) {
  const size_t colon = value.find(':');
  return colon == std::string::npos ? "TimeTicks" : value.substr(0, colon);
}

class ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { signal(SIGPIPE, SIG_IGN); }

  SessionOptions V2(const std::string& target) {
    SessionOptions o;
    o.target = target;
    o.version = 2;
    o.timeout = milliseconds(1000);
    o.retries = 1;
    return o;
  }
  SessionOptions V3(const std::string& user, const std::string& auth,
                    const std::string& pass, const std::string& priv,
                    const std::string& priv_pass) {
    SessionOptions o = V2(Snmpd::Get().udp());
    o.version = 3;
    o.username = user;
    o.security_level =
        priv.empty() ? SecurityLevel::kAuthNoPriv : SecurityLevel::kAuthPriv;
    o.auth_protocol = auth;
    o.password = pass;
    o.priv_protocol = priv.empty() ? "DES" : priv;
    o.priv_password = priv_pass;
    return o;
  }

  std::shared_ptr<Session> Open(const SessionOptions& o) {
    std::string err;
    auto s = engine_->NewSession(o, &err);
    EXPECT_TRUE(s) << err;
    return s;
  }

  // Runs the loop until `n` completions arrived (bounded).
  void RunUntil(const int& done, int n,
                std::chrono::seconds limit = std::chrono::seconds(30)) {
    io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (done < n && std::chrono::steady_clock::now() < deadline)
      io_.run_one_for(milliseconds(100));
    ASSERT_EQ(done, n) << "operations did not complete in time";
  }

  OpResult Walk(const SessionOptions& o, const std::string& root) {
    auto s = Open(o);
    OpResult out;
    int done = 0;
    s->Walk(O(root.c_str()), [&](OpResult r) {
      out = std::move(r);
      ++done;
    });
    RunUntil(done, 1);
    return out;
  }

  OpResult Get(const SessionOptions& o, const std::vector<Oid>& oids) {
    auto s = Open(o);
    OpResult out;
    int done = 0;
    s->Get(oids, [&](OpResult r) {
      out = std::move(r);
      ++done;
    });
    RunUntil(done, 1);
    return out;
  }

  // Our walk equals the tool's, OID for OID and value for value (volatile
  // values: type only).
  void ExpectSameAsTool(const OpResult& r, std::vector<std::string> tool) {
    const RunResult tool_run = RunTool(tool);
    ASSERT_TRUE(tool_run.Success()) << tool_run.out << tool_run.err;
    const std::string& out = tool_run.out;
    auto rows = ParseToolOutput(out);
    ASSERT_EQ(rows.size(), r.varbinds.size()) << out;
    for (size_t i = 0; i < rows.size(); ++i) {
      const std::string ours = Render(r.varbinds[i]);
      EXPECT_EQ(rows[i].first, DottedOid(r.varbinds[i].oid)) << i;
      if (Volatile(rows[i].second))
        EXPECT_EQ(TypeOf(rows[i].second), TypeOf(ours)) << rows[i].first;
      else
        EXPECT_EQ(rows[i].second, ours) << rows[i].first;
    }
  }

  boost::asio::io_context io_;
  std::unique_ptr<Engine> engine_ = std::make_unique<Engine>(io_);
};

// --- targets and OIDs ------------------------------------------------------

TEST(TargetTest, UpstreamAndNetSnmpSyntax) {
  struct Case {
    const char* in;
    const char* transport;
    int family;
    const char* host;
    int port;
  } cases[] = {
      {"10.0.0.1", "udp", 0, "10.0.0.1", 161},
      {"10.0.0.1:1161", "udp", 0, "10.0.0.1", 1161},
      {"switch.example", "udp", 0, "switch.example", 161},
      {"tcp://switch:162", "tcp", 0, "switch", 162},
      {"udp://[::1]:16161", "udp", 0, "::1", 16161},
      {"[::1]", "udp", 0, "::1", 161},
      {"::1", "udp", 0, "::1", 161},
      {"fe80::1%eth0", "udp", 0, "fe80::1%eth0", 161},
      {"udp6:[::1]:161", "udp", 6, "::1", 161},
      {"tcp:127.0.0.1:1161", "tcp", 0, "127.0.0.1", 1161},
      {"udp:10.1.1.1", "udp", 0, "10.1.1.1", 161},
      {"tcp:161", "udp", 0, "tcp", 161},  // host "tcp", as upstream
      {"udp6://[::1]", "udp", 6, "::1", 161},
  };
  for (const auto& c : cases) {
    std::string err;
    auto t = ParseTarget(c.in, &err);
    ASSERT_TRUE(t) << c.in << ": " << err;
    EXPECT_EQ(t->transport, c.transport) << c.in;
    EXPECT_EQ(t->family, c.family) << c.in;
    EXPECT_EQ(t->host, c.host) << c.in;
    EXPECT_EQ(t->port, c.port) << c.in;
  }
  for (const char* bad : {"", ":161", "host:", "host:70000", "host:12a",
                          "sctp://host", "[::1", "[::1]x", "a b"}) {
    std::string err;
    EXPECT_FALSE(ParseTarget(bad, &err)) << bad;
    EXPECT_NE(err.find("invalid target"), std::string::npos) << err;
  }
}

TEST(TargetTest, OidsAndOptions) {
  EXPECT_EQ(ParseOid(".1.3.6.1"), (Oid{1, 3, 6, 1}));
  EXPECT_EQ(ParseOid("1.3.4294967295"), (Oid{1, 3, 4294967295u}));
  for (const char* bad : {"", ".", "1..3", "1.3.", "1.x", "1.3.4294967296"})
    EXPECT_FALSE(ParseOid(bad)) << bad;
  EXPECT_EQ(DottedOid({1, 3, 6}), ".1.3.6");

  SessionOptions o;
  o.target = "127.0.0.1";
  EXPECT_EQ(ValidateOptions(o), "");
  o.version = 3;
  EXPECT_NE(ValidateOptions(o).find("username"), std::string::npos);
  o.username = "u";
  o.security_level = SecurityLevel::kAuthPriv;
  o.auth_protocol = "SHA256";
  o.password = "short";
  EXPECT_NE(ValidateOptions(o).find("at least 8"), std::string::npos);
  o.password = "longenough";
  o.priv_protocol = "AES256C";
  o.priv_password = "longenough";
  EXPECT_EQ(ValidateOptions(o), "");
  o.priv_protocol = "3DES";
  EXPECT_NE(ValidateOptions(o).find("priv_protocol"), std::string::npos);
  o.priv_protocol = "AES";
  o.auth_protocol = "sha";  // upstream names are exact
  EXPECT_NE(ValidateOptions(o).find("auth_protocol"), std::string::npos);
}

// --- v1 / v2c --------------------------------------------------------------

TEST_F(ClientTest, V2cWalkEqualsSnmpbulkwalk) {
  const auto& a = Snmpd::Get();
  for (const char* root : {kSystem, kIfTable}) {
    OpResult r = Walk(V2(a.udp()), root);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_GT(r.varbinds.size(), 5u);
    ExpectSameAsTool(r, {"snmpbulkwalk", "-v2c", "-c", "public", "-m", "",
                         "-On", "-Ot", "-Ox", "-Cr25", a.udp(), root});
    EXPECT_GE(r.stats.packets_sent, 1u);
    EXPECT_EQ(r.stats.retries, 0u);
    EXPECT_EQ(r.stats.packet_seconds.size(), r.stats.packets_sent);
  }
}

TEST_F(ClientTest, V1WalkUsesGetNext) {
  const auto& a = Snmpd::Get();
  SessionOptions o = V2(a.udp());
  o.version = 1;
  OpResult r = Walk(o, kSystem);
  ASSERT_TRUE(r.ok()) << r.error;
  // One GETNEXT per varbind, plus the one that leaves the subtree.
  EXPECT_EQ(r.stats.packets_sent, r.varbinds.size() + 1);
  ExpectSameAsTool(r, {"snmpwalk", "-v1", "-c", "public", "-m", "", "-On",
                       "-Ot", "-Ox", a.udp(), kSystem});
}

TEST_F(ClientTest, WalkOfAnInstanceFallsBackToGet) {
  const auto& a = Snmpd::Get();
  OpResult r = Walk(V2(a.udp()), "1.3.6.1.2.1.1.5.0");
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.varbinds.size(), 1u);
  EXPECT_EQ(r.varbinds[0].bytes, "snmp-test");
  EXPECT_EQ(r.stats.packets_sent, 2u);  // GETBULK, then GET
  // A subtree the agent does not have: empty, no error.
  r = Walk(V2(a.udp()), "1.3.6.1.2.1.1.99");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.varbinds.empty());
}

TEST_F(ClientTest, GetSplitsIntoPdusAndSkipsMissing) {
  const auto& a = Snmpd::Get();
  SessionOptions o = V2(a.udp());
  o.max_repetitions = 2;
  OpResult r = Get(o, {O("1.3.6.1.2.1.1.5.0"), O("1.3.6.1.2.1.1.99.0"),
                       O("1.3.6.1.2.1.1.3.0"), O("1.3.6.1.2.1.1.2.0"),
                       O("1.3.6.1.2.1.1.6.0")});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.stats.packets_sent, 3u);  // 2 + 2 + 1
  ASSERT_EQ(r.varbinds.size(), 4u);     // the noSuchObject is dropped
  EXPECT_EQ(r.varbinds[0].type, PduType::kOctetString);
  EXPECT_EQ(r.varbinds[0].bytes, "snmp-test");
  EXPECT_EQ(r.varbinds[1].type, PduType::kTimeTicks);
  EXPECT_GT(r.varbinds[1].uint_value, 0u);
  EXPECT_EQ(r.varbinds[2].type, PduType::kObjectId);
  EXPECT_EQ(DottedOid(r.varbinds[2].oid_value), ".1.3.6.1.4.1.8072.3.2.10");
  EXPECT_EQ(r.varbinds[3].bytes, "test-lab");

  // v1: one OID per PDU; noSuchName skips that OID.
  o.version = 1;
  r = Get(o, {O("1.3.6.1.2.1.1.5.0"), O("1.3.6.1.2.1.1.99.0"),
              O("1.3.6.1.2.1.1.6.0")});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.stats.packets_sent, 3u);
  ASSERT_EQ(r.varbinds.size(), 2u);
  EXPECT_EQ(r.varbinds[1].bytes, "test-lab");
}

TEST_F(ClientTest, ValueTypes) {
  const auto& a = Snmpd::Get();
  const std::string row = std::string(kBigTable) + ".1.";
  OpResult r =
      Get(V2(a.udp()), {O((row + "1.77").c_str()), O((row + "2.77").c_str()),
                        O((row + "3.10000").c_str()), O((row + "4.77").c_str()),
                        O("1.3.6.1.2.1.4.20.1.1.127.0.0.1")});
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.varbinds.size(), 5u);
  EXPECT_EQ(r.varbinds[0].type, PduType::kInteger);
  EXPECT_EQ(r.varbinds[0].int_value, 77);
  EXPECT_EQ(r.varbinds[1].bytes, "port00077");
  EXPECT_EQ(r.varbinds[2].type, PduType::kCounter64);
  EXPECT_EQ(r.varbinds[2].uint_value, 10000ull * 1000003ull);
  EXPECT_EQ(r.varbinds[3].type, PduType::kGauge32);
  EXPECT_EQ(r.varbinds[3].uint_value, 77u);
  EXPECT_EQ(r.varbinds[4].type, PduType::kIpAddress);
  EXPECT_EQ(r.varbinds[4].bytes, std::string("\x7f\x00\x00\x01", 4));
}

TEST_F(ClientTest, OpaqueFloat) {
  // UCD-SNMP-MIB::laLoadFloat is an Opaque-wrapped float.
  OpResult r = Walk(V2(Snmpd::Get().udp()), "1.3.6.1.4.1.2021.10.1.6");
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.varbinds.size(), 3u);
  for (const auto& v : r.varbinds) {
    EXPECT_EQ(v.type, PduType::kOpaqueFloat);
    EXPECT_GE(v.float_value, 0.0);
  }
}

TEST_F(ClientTest, NonIncreasingOids) {
  const auto& a = Snmpd::Get();
  SessionOptions o = V2(a.udp());
  o.max_repetitions = 5;
  OpResult r = Walk(o, kLoopTable);
  EXPECT_EQ(r.error_kind, ErrorKind::kNonIncreasing);
  const std::string b = "." + std::string(kLoopTable);
  EXPECT_EQ(r.error, "OID not increasing: " + b + ".1.5 >= " + b +
                         ".1.3 (allow_nonincreasing_oids: true accepts this "
                         "agent)");
  EXPECT_EQ(r.varbinds.size(), 5u);  // the first response passed (gosnmp)

  // Allowed: the walk never ends (as upstream); the deadline ends it.
  o.allow_nonincreasing_oids = true;
  auto s = Open(o);
  OpResult out;
  int done = 0;
  s->Walk(O(kLoopTable), [&](OpResult res) {
    out = std::move(res);
    ++done;
  });
  boost::asio::steady_timer t(io_, milliseconds(100));
  t.async_wait([&](boost::system::error_code) { s->Cancel(); });
  RunUntil(done, 1);
  EXPECT_EQ(out.error_kind, ErrorKind::kCancelled);
  EXPECT_GT(out.varbinds.size(), 10u);
}

TEST_F(ClientTest, EmptyGetAndDroppedSession) {
  const auto& a = Snmpd::Get();
  int done = 0;
  OpResult get, walk;
  {
    auto s = Open(V2(a.udp()));
    s->Get({}, [&](OpResult r) {
      get = std::move(r);
      ++done;
    });
    s->Walk(O(kSystem), [&](OpResult r) {
      walk = std::move(r);
      ++done;
    });
  }  // the caller's reference is gone; the operations keep the session
  RunUntil(done, 2);
  EXPECT_TRUE(get.ok()) << get.error;
  EXPECT_EQ(get.stats.packets_sent, 0u);
  EXPECT_TRUE(walk.ok()) << walk.error;
  EXPECT_GT(walk.varbinds.size(), 5u);
  io_.poll();
  EXPECT_EQ(engine_->stats().sessions_open, 0u);
}

TEST_F(ClientTest, WrongCommunityTimesOutWithinTimeoutTimesAttempts) {
  const auto& a = Snmpd::Get();
  SessionOptions o = V2(a.udp());
  o.community = "wrong";
  o.timeout = milliseconds(200);
  o.retries = 2;
  const auto t0 = std::chrono::steady_clock::now();
  OpResult r = Walk(o, kSystem);
  const double took = Secs(std::chrono::steady_clock::now() - t0);
  EXPECT_EQ(r.error_kind, ErrorKind::kTimeout);
  EXPECT_EQ(r.error,
            "timeout after 2 retries (no answer from udp:" + a.udp() + ")");
  EXPECT_EQ(r.stats.packets_sent, 3u);
  EXPECT_EQ(r.stats.retries, 2u);
  EXPECT_GE(took, 0.6 - 0.01);
  EXPECT_LT(took, 0.6 + 0.25);
}

TEST_F(ClientTest, DeadPortConnectedFailsFastUnconnectedTimesOut) {
  SessionOptions o = V2("127.0.0.1:" + std::to_string(Snmpd::DeadPort()));
  o.timeout = milliseconds(300);
  o.retries = 2;
  auto t0 = std::chrono::steady_clock::now();
  OpResult r = Walk(o, kSystem);
  double took = Secs(std::chrono::steady_clock::now() - t0);
  EXPECT_EQ(r.error_kind, ErrorKind::kRefused) << r.error;
  EXPECT_NE(r.error.find("connection refused by udp:127.0.0.1:"),
            std::string::npos)
      << r.error;
  EXPECT_LT(took, 0.2);

  o.use_unconnected_udp_socket = true;
  t0 = std::chrono::steady_clock::now();
  r = Walk(o, kSystem);
  took = Secs(std::chrono::steady_clock::now() - t0);
  EXPECT_EQ(r.error_kind, ErrorKind::kTimeout) << r.error;
  EXPECT_EQ(r.stats.packets_sent, 3u);
  EXPECT_GE(took, 0.9 - 0.01);
  EXPECT_LT(took, 0.9 + 0.25);
}

TEST_F(ClientTest, Ipv6) {
  const auto& a = Snmpd::Get();
  for (const std::string& target :
       {a.udp6(), "[::1]:" + std::to_string(a.port()),
        "udp6://[::1]:" + std::to_string(a.port())}) {
    auto s = Open(V2(target));
    OpResult out;
    int done = 0;
    s->Walk(O(kSystem), [&](OpResult r) {
      out = std::move(r);
      ++done;
    });
    RunUntil(done, 1);
    ASSERT_TRUE(out.ok()) << target << ": " << out.error;
    EXPECT_GT(out.varbinds.size(), 5u);
    EXPECT_EQ(s->peer(), "udp6:[::1]:" + std::to_string(a.port()));
  }
}

TEST_F(ClientTest, Tcp) {
  const auto& a = Snmpd::Get();
  OpResult udp = Walk(V2(a.udp()), kIfTable);
  OpResult tcp = Walk(V2(a.tcp()), kIfTable);
  ASSERT_TRUE(tcp.ok()) << tcp.error;
  ASSERT_EQ(tcp.varbinds.size(), udp.varbinds.size());
  for (size_t i = 0; i < tcp.varbinds.size(); ++i)
    EXPECT_EQ(tcp.varbinds[i].oid, udp.varbinds[i].oid);
  // Nothing listens: refused at connect, no net-snmp session made.
  OpResult dead =
      Walk(V2("tcp://127.0.0.1:" + std::to_string(Snmpd::DeadPort())), kSystem);
  EXPECT_EQ(dead.error_kind, ErrorKind::kRefused) << dead.error;
}

// A TCP peer that takes the request and hangs up: net-snmp closes the fd
// itself; the walk fails at once and nothing is closed twice.
TEST_F(ClientTest, TcpPeerHangsUp) {
  using boost::asio::ip::tcp;
  tcp::acceptor acceptor(
      io_, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  std::vector<std::shared_ptr<tcp::socket>> peers;
  std::function<void()> accept = [&] {
    auto sock = std::make_shared<tcp::socket>(io_);
    acceptor.async_accept(*sock, [&, sock](boost::system::error_code ec) {
      if (ec) return;
      peers.push_back(sock);
      auto buf = std::make_shared<std::array<char, 512>>();
      sock->async_read_some(
          boost::asio::buffer(*buf),
          [sock, buf](boost::system::error_code, size_t) { sock->close(); });
      accept();
    });
  };
  accept();
  SessionOptions o =
      V2("tcp://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()));
  o.timeout = milliseconds(2000);
  const auto t0 = std::chrono::steady_clock::now();
  OpResult r = Walk(o, kSystem);
  EXPECT_EQ(r.error_kind, ErrorKind::kRefused) << r.error;
  EXPECT_NE(r.error.find("closed by the agent"), std::string::npos) << r.error;
  EXPECT_LT(Secs(std::chrono::steady_clock::now() - t0), 1.0);
  acceptor.close();
  io_.poll();
  EXPECT_EQ(engine_->stats().sessions_open, 0u);
}

TEST_F(ClientTest, HostNameIsResolved) {
  const auto& a = Snmpd::Get();
  OpResult r = Walk(V2("localhost:" + std::to_string(a.port())), kSystem);
  ASSERT_TRUE(r.ok()) << r.error;
  r = Walk(V2("no-such-host.invalid"), kSystem);
  EXPECT_EQ(r.error_kind, ErrorKind::kResolve);
  EXPECT_NE(r.error.find("cannot resolve host \"no-such-host.invalid\""),
            std::string::npos)
      << r.error;
}

// --- cancel, big walks, concurrency -----------------------------------------

TEST_F(ClientTest, CancelMidWalkCompletesPromptlyWithPartialResults) {
  const auto& a = Snmpd::Get();
  SessionOptions o = V2(a.udp());
  o.max_repetitions = 10;
  // snmpd starts the table's helper on first use: have it up first.
  ASSERT_TRUE(Get(o, {O((std::string(kBigTable) + ".1.1.1").c_str())}).ok());
  auto s = Open(o);
  OpResult out;
  int done = 0;
  std::chrono::steady_clock::time_point cancelled_at, completed_at;
  s->Walk(O(kBigTable), [&](OpResult r) {
    completed_at = std::chrono::steady_clock::now();
    out = std::move(r);
    ++done;
  });
  boost::asio::steady_timer t(io_, milliseconds(150));
  t.async_wait([&](boost::system::error_code) {
    cancelled_at = std::chrono::steady_clock::now();
    s->Cancel();
  });
  RunUntil(done, 1);
  EXPECT_EQ(out.error_kind, ErrorKind::kCancelled);
  EXPECT_NE(out.error.find("cancelled after"), std::string::npos);
  EXPECT_GT(out.varbinds.size(), 0u);
  EXPECT_LT(out.varbinds.size(), size_t{kBigRows} * 5);
  EXPECT_LT(Secs(completed_at - cancelled_at), 0.02);
  // Later operations on a cancelled session complete cancelled at once.
  s->Get({O("1.3.6.1.2.1.1.5.0")}, [&](OpResult r) {
    EXPECT_EQ(r.error_kind, ErrorKind::kCancelled);
    ++done;
  });
  RunUntil(done, 2);
  EXPECT_EQ(engine_->stats().sessions_open, 0u);
}

TEST_F(ClientTest, BigTableWalk) {
  const auto& a = Snmpd::Get();
  SessionOptions o = V2(a.udp());
  o.max_repetitions = 50;
  o.timeout = milliseconds(5000);
  const double cpu0 = ThreadCpuSeconds();
  OpResult r = Walk(o, kBigTable);
  const double cpu = ThreadCpuSeconds() - cpu0;
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.varbinds.size(), size_t{kBigRows} * 5);
  const Varbind& last_name = r.varbinds[2 * kBigRows - 1];
  EXPECT_EQ(DottedOid(last_name.oid),
            "." + std::string(kBigTable) + ".1.2." + std::to_string(kBigRows));
  EXPECT_EQ(last_name.bytes, "port10000");
  EXPECT_EQ(r.varbinds[3 * kBigRows - 1].uint_value,
            uint64_t{kBigRows} * 1000003);
  // The same walk by net-snmp's own tool, for scale (the agent's
  // pass_persist helper dominates both).
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult walk =
      RunTool({"snmpbulkwalk", "-v2c", "-c", "public", "-m", "", "-On", "-Cr50",
               "-t", "5", a.udp(), kBigTable});
  const double tool = Secs(std::chrono::steady_clock::now() - t0);
  EXPECT_TRUE(walk.Success()) << walk.err << walk.error;
  EXPECT_EQ(ParseToolOutput(walk.out).size(), r.varbinds.size());
  printf(
      "[ figures  ] big table: %zu varbinds, %u PDUs in %.3f s wall, "
      "%.3f s client CPU; snmpbulkwalk -Cr50: %.3f s wall\n",
      r.varbinds.size(), r.stats.packets_sent, Secs(r.stats.duration), cpu,
      tool);
}

TEST_F(ClientTest, ConcurrentWalksOnOneThread) {
  const auto& a = Snmpd::Get();
  for (int n : {50, 100, 200}) {
    std::vector<std::shared_ptr<Session>> sessions;
    std::vector<OpResult> results(n);
    int done = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = ThreadCpuSeconds();
    for (int i = 0; i < n; ++i) {
      sessions.push_back(Open(V2(a.udp())));
      sessions.back()->Walk(O(kIfTable), [&, i](OpResult r) {
        results[i] = std::move(r);
        ++done;
      });
    }
    RunUntil(done, n);
    const double wall = Secs(std::chrono::steady_clock::now() - t0);
    const double cpu = ThreadCpuSeconds() - cpu0;
    size_t varbinds = 0, pdus = 0, retries = 0;
    for (const auto& r : results) {
      ASSERT_TRUE(r.ok()) << r.error;
      EXPECT_EQ(r.varbinds.size(), results[0].varbinds.size());
      varbinds += r.varbinds.size();
      pdus += r.stats.packets_sent;
      retries += r.stats.retries;
    }
    EXPECT_EQ(engine_->stats().sessions_open, size_t(n));
    sessions.clear();
    EXPECT_EQ(engine_->stats().sessions_open, 0u);
    printf(
        "[ figures  ] %d concurrent ifTable walks: %zu varbinds, %zu PDUs "
        "(%zu retries) in %.3f s wall, %.3f s client CPU (%.1f us/PDU)\n",
        n, varbinds, pdus, retries, wall, cpu, cpu / pdus * 1e6);
  }
}

// --- SNMPv3 ----------------------------------------------------------------

TEST_F(ClientTest, V3AuthPrivShaAes) {
  const auto& a = Snmpd::Get();
  SessionOptions o =
      V3("benchuser", "SHA", "authpass123", "AES", "privpass123");
  OpResult r = Walk(o, kSystem);
  ASSERT_TRUE(r.ok()) << r.error;
  ExpectSameAsTool(r, {"snmpbulkwalk", "-v3",         "-l",  "authPriv",
                       "-u",           "benchuser",   "-a",  "SHA",
                       "-A",           "authpass123", "-x",  "AES",
                       "-X",           "privpass123", "-m",  "",
                       "-On",          "-Ot",         "-Ox", "-Cr25",
                       a.udp(),        kSystem});
  EXPECT_EQ(engine_->stats().discoveries, 1u);
  // A second session reuses the engine id: no discovery, no time sync.
  OpResult again = Walk(o, kSystem);
  ASSERT_TRUE(again.ok()) << again.error;
  EXPECT_EQ(engine_->stats().discoveries, 1u);
  EXPECT_EQ(again.stats.packets_sent + 1, r.stats.packets_sent)
      << "the first walk also carries the discovery probe";
  EXPECT_EQ(engine_->stats().keys_generated, 2u);
}

TEST_F(ClientTest, V3Sha256AndAuthNoPriv) {
  SessionOptions o =
      V3("bench256", "SHA256", "authpass123", "AES", "privpass123");
  OpResult r = Walk(o, kSystem);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_GT(r.varbinds.size(), 5u);
  o = V3("authonly", "SHA", "authpass123", "", "");
  r = Walk(o, kSystem);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_GT(r.varbinds.size(), 5u);
}

TEST_F(ClientTest, V3Failures) {
  struct Case {
    SessionOptions o;
    std::string error;
  } cases[] = {
      {V3("benchuser", "SHA", "wrongpass1", "AES", "privpass123"),
       "authentication failure (wrong password or auth_protocol for user "
       "benchuser)"},
      {V3("benchuser", "MD5", "authpass123", "AES", "privpass123"),
       "authentication failure (wrong password or auth_protocol for user "
       "benchuser)"},
      {V3("nosuchuser", "SHA", "authpass123", "AES", "privpass123"),
       "unknown user name nosuchuser"},
      {V3("authonly", "SHA", "authpass123", "AES", "privpass123"),
       "unsupported security level authPriv for user authonly"},
  };
  for (auto& c : cases) {
    c.o.timeout = milliseconds(500);
    const auto t0 = std::chrono::steady_clock::now();
    OpResult r = Walk(c.o, kSystem);
    EXPECT_EQ(r.error_kind, ErrorKind::kAuth) << r.error;
    EXPECT_EQ(r.error, c.error);
    EXPECT_LT(Secs(std::chrono::steady_clock::now() - t0), 0.3)
        << "a report, not a timeout";
  }
}

// snmpd decrypts with the wrong key, cannot parse the result and drops it:
// no usmStatsDecryptionErrors report for AES, so this is a timeout; the
// error says what is likely when the agent did answer discovery.
TEST_F(ClientTest, V3WrongPrivPasswordIsATimeoutWithAHint) {
  SessionOptions o = V3("benchuser", "SHA", "authpass123", "AES", "wrongpriv1");
  o.timeout = milliseconds(200);
  o.retries = 0;
  OpResult r = Walk(o, kSystem);
  EXPECT_EQ(r.error_kind, ErrorKind::kTimeout);
  EXPECT_EQ(r.error, "timeout after 0 retries (no answer from udp:" +
                         Snmpd::Get().udp() +
                         "; it answered SNMPv3 discovery just now, so a "
                         "wrong priv_password or priv_protocol is likely)");
}

// net-snmp keeps one USM user per (engine, name) with the keys it was first
// given; a changed password must still take effect, both ways.
TEST_F(ClientTest, V3CredentialChangeTakesEffect) {
  SessionOptions good =
      V3("benchuser", "SHA", "authpass123", "AES", "privpass123");
  SessionOptions bad = good;
  bad.password = "wrongpass1";
  EXPECT_TRUE(Walk(good, kSystem).ok());
  EXPECT_EQ(Walk(bad, kSystem).error_kind, ErrorKind::kAuth);
  EXPECT_TRUE(Walk(good, kSystem).ok());
  SessionOptions bad_priv = good;
  bad_priv.priv_password = "wrongpriv1";
  bad_priv.timeout = milliseconds(200);
  bad_priv.retries = 0;
  EXPECT_EQ(Walk(bad_priv, kSystem).error_kind, ErrorKind::kTimeout);
  EXPECT_TRUE(Walk(good, kSystem).ok());
  EXPECT_GE(engine_->stats().usm_users_replaced, 4u);

  // Both at once: the second set waits for the first, then swaps keys.
  auto s1 = Open(good), s2 = Open(bad), s3 = Open(good);
  std::vector<OpResult> rs(3);
  int done = 0;
  s1->Walk(O(kIfTable), [&](OpResult r) { rs[0] = std::move(r), ++done; });
  s2->Walk(O(kIfTable), [&](OpResult r) { rs[1] = std::move(r), ++done; });
  s3->Walk(O(kIfTable), [&](OpResult r) { rs[2] = std::move(r), ++done; });
  RunUntil(done, 3);
  EXPECT_TRUE(rs[0].ok()) << rs[0].error;
  EXPECT_EQ(rs[1].error_kind, ErrorKind::kAuth) << rs[1].error;
  EXPECT_TRUE(rs[2].ok()) << rs[2].error;
}

// The discovery against a dead agent must not block the loop (net-snmp's
// own probe sits in select() for timeout x attempts).
TEST_F(ClientTest, V3DiscoveryDoesNotBlockTheLoop) {
  SessionOptions o =
      V3("benchuser", "SHA", "authpass123", "AES", "privpass123");
  o.target = "127.0.0.1:" + std::to_string(Snmpd::DeadPort());
  o.use_unconnected_udp_socket = true;
  o.timeout = milliseconds(250);
  o.retries = 1;
  auto s = Open(o);
  OpResult out;
  int done = 0;
  const auto t0 = std::chrono::steady_clock::now();
  double tick_at = -1;
  s->Walk(O(kSystem), [&](OpResult r) {
    out = std::move(r);
    ++done;
  });
  boost::asio::steady_timer t(io_, milliseconds(50));
  t.async_wait([&](boost::system::error_code) {
    tick_at = Secs(std::chrono::steady_clock::now() - t0);
  });
  RunUntil(done, 1);
  EXPECT_EQ(out.error_kind, ErrorKind::kTimeout);
  EXPECT_NE(out.error.find("engine-id discovery"), std::string::npos)
      << out.error;
  EXPECT_GT(tick_at, 0.04);
  EXPECT_LT(tick_at, 0.1) << "the loop was blocked";
  EXPECT_EQ(out.stats.packets_sent, 2u);
}

TEST_F(ClientTest, V3ConcurrentSessionsShareOneDiscovery) {
  const auto& a = Snmpd::Get();
  SessionOptions o =
      V3("benchuser", "SHA", "authpass123", "AES", "privpass123");
  o.target = "udp:" + a.udp();
  const int n = 20;
  std::vector<std::shared_ptr<Session>> ss;
  int done = 0, ok = 0;
  for (int i = 0; i < n; ++i) {
    ss.push_back(Open(o));
    ss.back()->Walk(O(kSystem), [&](OpResult r) {
      EXPECT_TRUE(r.ok()) << r.error;
      ok += r.ok();
      ++done;
    });
  }
  RunUntil(done, n);
  EXPECT_EQ(ok, n);
  EXPECT_EQ(engine_->stats().discoveries, 1u);
}

}  // namespace
}  // namespace exporterd::snmp
