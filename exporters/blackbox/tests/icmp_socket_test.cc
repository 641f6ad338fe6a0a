// icmp_socket's pure parts on bytes captured from real sockets
// (tests/fixtures/icmp/, written by capture.py there: loopback replies,
// ping-socket replies, time exceeded and unreachable on netpath.sh's
// routed namespaces, from the socket and from its error queue).
#include "icmp_socket.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <fstream>
#include <sstream>

namespace exporterd::blackbox::icmp {
namespace {

namespace asio = boost::asio;

std::vector<uint8_t> Hex(const std::string& h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

struct Capture {
  std::vector<uint8_t> recv;
  std::string name;
  std::vector<ControlMessage> cmsgs;
  bool errqueue = false;
};

Capture Load(const std::string& file) {
  std::ifstream f(std::string(BLACKBOX_FIXTURE_DIR) + "/icmp/" + file);
  EXPECT_TRUE(f.good()) << file;
  Capture c;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string key;
    in >> key;
    if (key == "recv") {
      std::string h;
      in >> h;
      c.recv = Hex(h);
    } else if (key == "name") {
      in >> c.name;
    } else if (key == "cmsg") {
      ControlMessage m;
      std::string h;
      in >> m.level >> m.type >> h;
      m.data = Hex(h);
      c.cmsgs.push_back(std::move(m));
    } else if (key == "errqueue") {
      c.errqueue = true;
    }
  }
  return c;
}

const std::string kPayload = "Prometheus Blackbox Exporter";

TEST(IcmpSocket, ChecksumOfACapturedEchoIsZero) {
  // A whole v4 ICMP message with its checksum sums to 0 (RFC 1071).
  Capture c = Load("v4_raw_echo_reply.txt");
  std::span<const uint8_t> icmp(c.recv);
  icmp = icmp.subspan((c.recv[0] & 0x0f) * 4u);
  EXPECT_EQ(Checksum(icmp), 0);
  std::vector<uint8_t> odd = {0x01, 0x02, 0x03};
  EXPECT_EQ(Checksum(odd), static_cast<uint16_t>(~(0x0102 + 0x0300)));
}

TEST(IcmpSocket, EchoPayloadIsUpstreams) {
  EXPECT_EQ(EchoPayload(0), kPayload);
  EXPECT_EQ(EchoPayload(10), "Prometheus");
  std::string big = EchoPayload(40);
  EXPECT_EQ(big.size(), 40u);
  EXPECT_EQ(big.substr(0, kPayload.size()), kPayload);
  EXPECT_EQ(big.substr(kPayload.size()), std::string(12, '\0'));
}

TEST(IcmpSocket, BuildEchoRequestMatchesWhatTheKernelCarried) {
  // The raw v4 time exceeded quotes the echo capture.py sent (id 0x4242,
  // seq 7): our builder gives the same bytes, checksum included.
  Capture c = Load("v4_raw_time_exceeded.txt");
  const size_t outer = (c.recv[0] & 0x0f) * 4u;
  const size_t inner = outer + 8 + (c.recv[outer + 8] & 0x0f) * 4u;
  std::vector<uint8_t> sent(c.recv.begin() + static_cast<long>(inner),
                            c.recv.end());
  EXPECT_EQ(BuildEchoRequest(false, 0x4242, 7, kPayload), sent);
  auto v6 = BuildEchoRequest(true, 0x4242, 7, kPayload);
  EXPECT_EQ(v6[0], kV6EchoRequest);
  EXPECT_EQ(v6[2], 0);  // the kernel fills the ICMPv6 checksum
  EXPECT_EQ(v6[3], 0);
}

TEST(IcmpSocket, ParsesRawV4ReplyWithItsIpHeader) {
  Capture c = Load("v4_raw_echo_reply.txt");
  auto p = ParseIcmp(false, c.recv, true);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, Packet::Kind::kEchoReply);
  EXPECT_EQ(p->id, 0x4242);
  EXPECT_EQ(p->seq, 7);
  EXPECT_EQ(p->data, kPayload);
  EXPECT_EQ(p->from.to_string(), "127.0.0.1");
  EXPECT_EQ(p->hop_limit, 64);                  // from the IP header
  EXPECT_EQ(HopLimitFrom(false, c.cmsgs), 64);  // and from IP_RECVTTL
  // Without the header flag the bytes are not an echo reply (type 0x45).
  auto q = ParseIcmp(false, c.recv, false);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->kind, Packet::Kind::kOther);
}

TEST(IcmpSocket, ParsesV6RawAndPingReplies) {
  Capture raw = Load("v6_raw_echo_reply.txt");
  auto p = ParseIcmp(true, raw.recv, false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, Packet::Kind::kEchoReply);
  EXPECT_EQ(p->type, kV6EchoReply);
  EXPECT_EQ(p->id, 0x4242);
  EXPECT_EQ(p->seq, 7);
  EXPECT_EQ(p->data, kPayload);
  EXPECT_EQ(HopLimitFrom(true, raw.cmsgs), 64);
  EXPECT_EQ(HopLimitFrom(false, raw.cmsgs), -1);  // no IP_TTL there

  Capture ping = Load("v6_ping_echo_reply.txt");
  p = ParseIcmp(true, ping.recv, false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, Packet::Kind::kEchoReply);
  EXPECT_NE(p->id, 0x4242);  // the kernel's id, not the one we wrote
  EXPECT_EQ(p->seq, 7);
  EXPECT_EQ(p->data, kPayload);
  EXPECT_EQ(HopLimitFrom(true, ping.cmsgs), 64);
}

TEST(IcmpSocket, ParsesV4PingReplyWithTheKernelsId) {
  Capture c = Load("v4_ping_echo_reply.txt");
  auto p = ParseIcmp(false, c.recv, false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, Packet::Kind::kEchoReply);
  EXPECT_EQ(p->id, 0xf1b2);  // the socket's id (61874, in the comment)
  EXPECT_EQ(p->seq, 7);
  EXPECT_EQ(p->data, kPayload);
  EXPECT_EQ(HopLimitFrom(false, c.cmsgs), 64);
}

TEST(IcmpSocket, RawSocketsSeeErrorsQuotingOurEcho) {
  struct Case {
    const char* file;
    bool v6;
    uint8_t type, code;
    const char* from;
    const char* dst;
  };
  for (const Case& k : {
           Case{"v4_raw_time_exceeded.txt", false, kV4TimeExceeded, 0,
                "10.201.1.1", "10.201.3.2"},
           Case{"v4_raw_unreachable.txt", false, kV4DestUnreachable, 0,
                "10.201.1.1", "10.201.9.9"},
           Case{"v6_raw_time_exceeded.txt", true, kV6TimeExceeded, 0, "",
                "fd20:3::2"},
           Case{"v6_raw_unreachable.txt", true, kV6DestUnreachable, 0, "",
                "fd20:9::9"},
       }) {
    SCOPED_TRACE(k.file);
    Capture c = Load(k.file);
    auto p = ParseIcmp(k.v6, c.recv, !k.v6);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->kind, Packet::Kind::kError);
    EXPECT_EQ(p->type, k.type);
    EXPECT_EQ(p->code, k.code);
    ASSERT_TRUE(p->quoted_echo);
    EXPECT_EQ(p->id, 0x4242);
    EXPECT_EQ(p->seq, 7);
    ASSERT_TRUE(p->quoted_dst);
    EXPECT_EQ(p->quoted_dst->to_string(), k.dst);
    if (*k.from) {
      EXPECT_EQ(p->from.to_string(), k.from);
    }
    if (k.v6) {  // the router is the address recvmsg gave
      EXPECT_EQ(c.name, "fd20:1::1");
    }
  }
}

TEST(IcmpSocket, PingSocketErrorsComeFromTheErrorQueue) {
  struct Case {
    const char* file;
    bool v6;
    uint8_t type;
    int err;
    const char* offender;
  };
  for (const Case& k : {
           Case{"v4_ping_errqueue_time_exceeded.txt", false, kV4TimeExceeded,
                EHOSTUNREACH, "10.201.1.1"},
           Case{"v4_ping_errqueue_unreachable.txt", false, kV4DestUnreachable,
                ENETUNREACH, "10.201.1.1"},
           Case{"v6_ping_errqueue_time_exceeded.txt", true, kV6TimeExceeded,
                EHOSTUNREACH, "fd20:1::1"},
           Case{"v6_ping_errqueue_unreachable.txt", true, kV6DestUnreachable,
                ENETUNREACH, "fd20:1::1"},
       }) {
    SCOPED_TRACE(k.file);
    Capture c = Load(k.file);
    ASSERT_TRUE(c.errqueue);
    auto p = ParseErrorQueue(k.v6, c.cmsgs, c.recv);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->kind, Packet::Kind::kError);
    EXPECT_EQ(p->type, k.type);
    EXPECT_EQ(p->error_number, k.err);
    EXPECT_EQ(p->from.to_string(), k.offender);
    ASSERT_TRUE(p->quoted_echo);
    EXPECT_EQ(p->seq, 7);
    EXPECT_EQ(p->data, kPayload);
    // The wrong family's RECVERR is not read as ours.
    EXPECT_FALSE(ParseErrorQueue(!k.v6, c.cmsgs, c.recv));
  }
}

TEST(IcmpSocket, TruncatedAndForeignBytesAreRefused) {
  Capture c = Load("v4_raw_echo_reply.txt");
  std::span<const uint8_t> all(c.recv);
  EXPECT_FALSE(ParseIcmp(false, all.subspan(0, 3), false));
  EXPECT_FALSE(ParseIcmp(false, all.subspan(0, 19), true));  // short header
  EXPECT_FALSE(ParseIcmp(false, all.subspan(0, 24), true));  // short echo
  std::vector<uint8_t> udp(c.recv);
  udp[9] = IPPROTO_UDP;
  EXPECT_FALSE(ParseIcmp(false, udp, true));
  // An error whose quote is cut before the echo header: no quoted echo.
  Capture te = Load("v4_raw_time_exceeded.txt");
  auto p =
      ParseIcmp(false, std::span<const uint8_t>(te.recv).subspan(0, 50), true);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, Packet::Kind::kError);
  EXPECT_FALSE(p->quoted_echo);
  EXPECT_FALSE(ParseErrorQueue(false, {}, c.recv));
}

// The socket itself on an io_context: an echo to loopback and its reply
// (raw socket as root; a ping socket where ping_group_range allows).
TEST(IcmpSocketLive, EchoToLoopbackV4AndV6) {
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6 ? "v6" : "v4");
    asio::io_context io;
    IcmpSocket s(io);
    OpenOptions o;
    o.v6 = v6;
    std::string err;
    if (!s.Open(o, &err)) GTEST_SKIP() << err;
    const uint16_t id = s.method() == Method::kPing ? s.id() : 0x4243;
    boost::system::error_code ec;
    const auto dst = v6 ? asio::ip::make_address("::1")
                        : asio::ip::make_address("127.0.0.1");
    ASSERT_TRUE(s.SendEcho(dst, id, 99, kPayload, &ec)) << ec.message();
    std::optional<Packet> reply;
    std::function<void()> wait = [&] {
      s.AsyncWait([&](const boost::system::error_code& wec) {
        ASSERT_FALSE(wec) << wec.message();
        while (auto p = s.Receive()) {
          if (p->kind == Packet::Kind::kEchoReply && p->id == id &&
              p->seq == 99) {
            reply = p;
            return;
          }
        }
        wait();
      });
    };
    wait();
    io.run_for(std::chrono::seconds(5));
    ASSERT_TRUE(reply) << MethodName(s.method());
    EXPECT_EQ(reply->data, kPayload);
    EXPECT_EQ(reply->from, dst);
    EXPECT_EQ(reply->hop_limit, 64);  // IP_RECVTTL / IPV6_RECVHOPLIMIT
    s.Close();
    EXPECT_FALSE(s.is_open());
  }
}

TEST(IcmpSocketLive, RefusedPingSocketNamesPingGroupRange) {
  asio::io_context io;
  IcmpSocket s(io);
  OpenOptions o;
  o.methods = {Method::kPing};
  std::string err;
  if (s.Open(o, &err))
    GTEST_SKIP() << "ping sockets are allowed here (ping_group_range)";
  EXPECT_NE(err.find("ping_group_range"), std::string::npos) << err;
  EXPECT_NE(err.find("covers group"), std::string::npos) << err;
  // A source of the other family is refused before any socket.
  o.methods = {Method::kPing, Method::kRaw};
  o.source = asio::ip::make_address("::1");
  EXPECT_FALSE(s.Open(o, &err));
  EXPECT_NE(err.find("address family"), std::string::npos) << err;
}

}  // namespace
}  // namespace exporterd::blackbox::icmp
