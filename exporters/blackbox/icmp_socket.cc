// ICMP echo sockets: see icmp_socket.h.
#include "icmp_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace exporterd::blackbox::icmp {
namespace {

namespace asio = boost::asio;

uint16_t Get16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

asio::ip::address V4At(std::span<const uint8_t> b, size_t at) {
  asio::ip::address_v4::bytes_type a;
  std::copy_n(b.begin() + at, 4, a.begin());
  return asio::ip::address_v4(a);
}

asio::ip::address V6At(std::span<const uint8_t> b, size_t at) {
  asio::ip::address_v6::bytes_type a;
  std::copy_n(b.begin() + at, 16, a.begin());
  return asio::ip::address_v6(a);
}

bool IsError(bool v6, uint8_t type) {
  if (v6) return type < 128;  // RFC 4443: 0..127 are errors
  return type == kV4DestUnreachable || type == kV4TimeExceeded ||
         type == 4 /* source quench */ || type == 5 /* redirect */ ||
         type == 12 /* parameter problem */;
}

// The quoted packet of an ICMP error (`inner`: the IP header of what we
// sent, then at least 8 bytes of its ICMP header): the destination and,
// when it was an echo request, id/seq/data.
void ParseQuoted(bool v6, std::span<const uint8_t> inner, Packet* p) {
  size_t hl = 0;
  if (v6) {
    if (inner.size() < 40 || (inner[0] >> 4) != 6) return;
    p->quoted_dst = V6At(inner, 24);
    if (inner[6] != IPPROTO_ICMPV6) return;
    hl = 40;
  } else {
    if (inner.size() < 20 || (inner[0] >> 4) != 4) return;
    hl = (inner[0] & 0x0f) * 4u;
    if (hl < 20 || inner.size() < hl) return;
    p->quoted_dst = V4At(inner, 16);
    if (inner[9] != IPPROTO_ICMP) return;
  }
  auto icmp = inner.subspan(hl);
  if (icmp.size() < 8) return;
  if (icmp[0] != (v6 ? kV6EchoRequest : kV4EchoRequest)) return;
  p->quoted_echo = true;
  p->id = Get16(icmp, 4);
  p->seq = Get16(icmp, 6);
  p->data.assign(icmp.begin() + 8, icmp.end());
}

}  // namespace

std::optional<asio::ip::address> FromSockaddr(const sockaddr_storage& ss,
                                              socklen_t len) {
  if (ss.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* s = reinterpret_cast<const sockaddr_in*>(&ss);
    return asio::ip::address_v4(ntohl(s->sin_addr.s_addr));
  }
  if (ss.ss_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* s = reinterpret_cast<const sockaddr_in6*>(&ss);
    asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), &s->sin6_addr, 16);
    return asio::ip::address_v6(b, s->sin6_scope_id);
  }
  return std::nullopt;
}

namespace {

socklen_t ToSockaddr(const asio::ip::address& a, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof *ss);
  if (a.is_v4()) {
    auto* s = reinterpret_cast<sockaddr_in*>(ss);
    s->sin_family = AF_INET;
    s->sin_addr.s_addr = htonl(a.to_v4().to_uint());
    return sizeof(sockaddr_in);
  }
  auto* s = reinterpret_cast<sockaddr_in6*>(ss);
  s->sin6_family = AF_INET6;
  auto b = a.to_v6().to_bytes();
  std::memcpy(&s->sin6_addr, b.data(), 16);
  s->sin6_scope_id = a.to_v6().scope_id();
  return sizeof(sockaddr_in6);
}

std::vector<ControlMessage> ControlMessages(msghdr* m) {
  std::vector<ControlMessage> out;
  for (cmsghdr* c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
    ControlMessage cm;
    cm.level = c->cmsg_level;
    cm.type = c->cmsg_type;
    const auto* d = CMSG_DATA(c);
    size_t n = c->cmsg_len - CMSG_LEN(0);
    cm.data.assign(d, d + n);
    out.push_back(std::move(cm));
  }
  return out;
}

std::string PingGroupRange() {
  std::ifstream f("/proc/sys/net/ipv4/ping_group_range");
  std::string lo, hi;
  if (!(f >> lo >> hi)) return "unreadable";
  return lo + " " + hi;
}

bool SetOpt(int fd, int level, int name, int value,
            boost::system::error_code* ec) {
  if (setsockopt(fd, level, name, &value, sizeof value) == 0) return true;
  *ec = boost::system::error_code(errno, boost::system::system_category());
  return false;
}

}  // namespace

uint16_t Checksum(std::span<const uint8_t> b) {
  uint32_t sum = 0;
  size_t i = 0;
  for (; i + 1 < b.size(); i += 2) sum += Get16(b, i);
  if (i < b.size()) sum += static_cast<uint32_t>(b[i]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

std::string EchoPayload(int payload_size) {
  static constexpr std::string_view kText = "Prometheus Blackbox Exporter";
  if (payload_size <= 0) return std::string(kText);
  std::string s(static_cast<size_t>(payload_size), '\0');
  std::copy_n(kText.begin(), std::min(kText.size(), s.size()), s.begin());
  return s;
}

std::vector<uint8_t> BuildEchoRequest(bool v6, uint16_t id, uint16_t seq,
                                      std::string_view data) {
  std::vector<uint8_t> m(8 + data.size());
  m[0] = v6 ? kV6EchoRequest : kV4EchoRequest;
  m[1] = 0;
  m[4] = static_cast<uint8_t>(id >> 8);
  m[5] = static_cast<uint8_t>(id);
  m[6] = static_cast<uint8_t>(seq >> 8);
  m[7] = static_cast<uint8_t>(seq);
  std::copy(data.begin(), data.end(), m.begin() + 8);
  if (!v6) {
    uint16_t c = Checksum(m);
    m[2] = static_cast<uint8_t>(c >> 8);
    m[3] = static_cast<uint8_t>(c);
  }
  return m;
}

std::optional<Packet> ParseIcmp(bool v6, std::span<const uint8_t> b,
                                bool ip_header) {
  Packet p;
  if (ip_header && !v6) {
    if (b.size() < 20 || (b[0] >> 4) != 4) return std::nullopt;
    size_t hl = (b[0] & 0x0f) * 4u;
    if (hl < 20 || b.size() < hl || b[9] != IPPROTO_ICMP) return std::nullopt;
    p.hop_limit = b[8];
    p.from = V4At(b, 12);
    b = b.subspan(hl);
  }
  if (b.size() < 4) return std::nullopt;
  p.type = b[0];
  p.code = b[1];
  const uint8_t reply = v6 ? kV6EchoReply : kV4EchoReply;
  const uint8_t request = v6 ? kV6EchoRequest : kV4EchoRequest;
  if (p.type == reply || p.type == request) {
    if (b.size() < 8) return std::nullopt;
    p.kind =
        p.type == reply ? Packet::Kind::kEchoReply : Packet::Kind::kEchoRequest;
    p.id = Get16(b, 4);
    p.seq = Get16(b, 6);
    p.data.assign(b.begin() + 8, b.end());
  } else if (IsError(v6, p.type)) {
    p.kind = Packet::Kind::kError;
    if (b.size() >= 8) ParseQuoted(v6, b.subspan(8), &p);
  }
  return p;
}

int HopLimitFrom(bool v6, const std::vector<ControlMessage>& cmsgs) {
  for (const auto& c : cmsgs) {
    bool match = v6 ? (c.level == IPPROTO_IPV6 && c.type == IPV6_HOPLIMIT)
                    : (c.level == IPPROTO_IP && c.type == IP_TTL);
    if (match && c.data.size() >= sizeof(int)) {
      int v;
      std::memcpy(&v, c.data.data(), sizeof v);
      return v;
    }
  }
  return -1;
}

std::optional<Packet> ParseErrorQueue(bool v6,
                                      const std::vector<ControlMessage>& cmsgs,
                                      std::span<const uint8_t> payload) {
  for (const auto& c : cmsgs) {
    bool match = v6 ? (c.level == IPPROTO_IPV6 && c.type == IPV6_RECVERR)
                    : (c.level == IPPROTO_IP && c.type == IP_RECVERR);
    if (!match || c.data.size() < sizeof(sock_extended_err)) continue;
    sock_extended_err ee;
    std::memcpy(&ee, c.data.data(), sizeof ee);
    Packet p;
    p.error_number = static_cast<int>(ee.ee_errno);
    if (ee.ee_origin != SO_EE_ORIGIN_ICMP &&
        ee.ee_origin != SO_EE_ORIGIN_ICMP6) {
      p.kind = Packet::Kind::kOther;
      return p;
    }
    p.kind = Packet::Kind::kError;
    p.type = ee.ee_type;
    p.code = ee.ee_code;
    // The offender's address follows the structure (SO_EE_OFFENDER).
    size_t off = sizeof ee;
    if (c.data.size() >= off + sizeof(sa_family_t)) {
      sockaddr_storage ss{};
      size_t n = std::min(c.data.size() - off, sizeof ss);
      std::memcpy(&ss, c.data.data() + off, n);
      if (auto a = FromSockaddr(ss, static_cast<socklen_t>(n))) p.from = *a;
    }
    // The payload is the ICMP message we sent.
    if (payload.size() >= 8 &&
        payload[0] == (v6 ? kV6EchoRequest : kV4EchoRequest)) {
      p.quoted_echo = true;
      p.id = Get16(payload, 4);
      p.seq = Get16(payload, 6);
      p.data.assign(payload.begin() + 8, payload.end());
    }
    return p;
  }
  return std::nullopt;
}

const char* MethodName(Method m) {
  return m == Method::kPing ? "ping socket" : "raw socket";
}

IcmpSocket::IcmpSocket(asio::io_context& io) : sd_(io) {}

namespace {
// One recvmsg into the loop thread's receive buffer: packets are parsed (and
// copied out) before the next read, and a thread runs one read at a time
// (a 64 KiB buffer per socket cost 64 KiB per probe in flight). `addr` is
// the sender (on the error queue: where the failed packet went), `m` holds
// the ancillary data for ControlMessages().
struct Datagram {
  sockaddr_storage addr{};
  alignas(cmsghdr) std::array<uint8_t, 512> control;
  msghdr m{};
  std::span<const uint8_t> data;

  // False, with errno set, when recvmsg failed.
  bool Read(int fd, int flags) {
    thread_local std::vector<uint8_t> buf(65536);
    iovec iov{buf.data(), buf.size()};
    m = msghdr{};
    m.msg_name = &addr;
    m.msg_namelen = sizeof addr;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control.data();
    m.msg_controllen = control.size();
    const ssize_t n = recvmsg(fd, &m, flags);
    m.msg_iov = nullptr;  // iov was local
    m.msg_iovlen = 0;
    if (n < 0) return false;
    data = std::span<const uint8_t>(buf.data(), static_cast<size_t>(n));
    return true;
  }
};
}  // namespace

int PortOf(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET)
    return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
  return -1;
}

std::optional<Packet> ReadErrorQueue(int fd, bool v6, int* dst_port) {
  for (int tries = 0; tries < 64; ++tries) {
    Datagram d;
    if (!d.Read(fd, MSG_ERRQUEUE | MSG_DONTWAIT)) {
      if (errno == EINTR) continue;
      return std::nullopt;  // EAGAIN: the queue is empty
    }
    auto p = ParseErrorQueue(v6, ControlMessages(&d.m), d.data);
    if (!p) continue;
    if (auto dst = FromSockaddr(d.addr, d.m.msg_namelen)) p->quoted_dst = *dst;
    if (dst_port) *dst_port = PortOf(d.addr);
    return p;
  }
  return std::nullopt;
}

IcmpSocket::~IcmpSocket() { Close(); }

bool IcmpSocket::is_open() const { return sd_.is_open(); }

bool IcmpSocket::Open(const OpenOptions& o, std::string* error) {
  Close();
  v6_ = o.v6;
  const int af = o.v6 ? AF_INET6 : AF_INET;
  const int proto =
      o.v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
  if (o.source && o.source->is_v6() != o.v6) {
    *error = "source address " + o.source->to_string() +
             " is not of the target's address family";
    return false;
  }
  // Why each method failed; the text (which reads ping_group_range) is
  // made only when none opens: as root, every probe tries the ping socket
  // first and opens a raw one.
  std::vector<std::pair<Method, int>> failed;
  int fd = -1;
  for (Method m : o.methods) {
    int type = m == Method::kPing ? SOCK_DGRAM : SOCK_RAW;
    fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd >= 0) {
      method_ = m;
      break;
    }
    failed.emplace_back(m, errno);
  }
  if (fd < 0) {
    std::string tried;
    for (const auto& [m, e] : failed) {
      if (!tried.empty()) tried += "; ";
      tried += std::string(MethodName(m)) + " (" +
               (m == Method::kPing ? "SOCK_DGRAM" : "SOCK_RAW") +
               (o.v6 ? "/IPPROTO_ICMPV6" : "/IPPROTO_ICMP") +
               "): " + std::strerror(e);
      if (m == Method::kPing && (e == EACCES || e == EPERM))
        tried += " (allowed when net.ipv4.ping_group_range, now \"" +
                 PingGroupRange() + "\", covers group " +
                 std::to_string(getegid()) + ")";
      if (m == Method::kRaw && (e == EPERM || e == EACCES))
        tried += " (needs CAP_NET_RAW)";
    }
    *error = "cannot open an ICMP socket: " + tried;
    return false;
  }
  boost::system::error_code ec;
  auto fail = [&](const std::string& what) {
    *error =
        std::string(MethodName(method_)) + ": " + what + ": " + ec.message();
    ::close(fd);
    return false;
  };
  const int level =
      o.v6 ? static_cast<int>(IPPROTO_IPV6) : static_cast<int>(IPPROTO_IP);
  if (o.ttl > 0 &&
      !SetOpt(fd, level, o.v6 ? IPV6_UNICAST_HOPS : IP_TTL, o.ttl, &ec))
    return fail("setting the TTL");
  if (o.dont_fragment &&
      !(o.v6 ? SetOpt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, 1, &ec)
             : SetOpt(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO, &ec)))
    return fail("setting don't fragment");
  if (o.recv_err &&
      !SetOpt(fd, level, o.v6 ? IPV6_RECVERR : IP_RECVERR, 1, &ec))
    return fail("setting RECVERR");
  if (o.recv_hop_limit &&
      !SetOpt(fd, level, o.v6 ? IPV6_RECVHOPLIMIT : IP_RECVTTL, 1, &ec))
    return fail("asking for the reply's hop limit");
  // A ping socket gets its echo id when bound (port 0: the kernel picks a
  // free one); binding also sets the source address when one is given.
  if (o.source || method_ == Method::kPing) {
    sockaddr_storage ss;
    socklen_t len = ToSockaddr(
        o.source ? *o.source
                 : (o.v6 ? asio::ip::address(asio::ip::address_v6::any())
                         : asio::ip::address(asio::ip::address_v4::any())),
        &ss);
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      ec = boost::system::error_code(errno, boost::system::system_category());
      return fail("binding to " + (o.source ? o.source->to_string()
                                            : std::string("any address")));
    }
  }
  id_ = 0;
  if (method_ == Method::kPing) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
      id_ = ntohs(ss.ss_family == AF_INET
                      ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                      : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  }
  sd_.assign(fd, ec);
  if (ec) return fail("registering with the loop");
  return true;
}

bool IcmpSocket::SetTtl(int ttl, boost::system::error_code* ec) {
  return SetOpt(
      sd_.native_handle(),
      v6_ ? static_cast<int>(IPPROTO_IPV6) : static_cast<int>(IPPROTO_IP),
      v6_ ? IPV6_UNICAST_HOPS : IP_TTL, ttl, ec);
}

bool IcmpSocket::SendEcho(const asio::ip::address& dst, uint16_t id,
                          uint16_t seq, std::string_view data,
                          boost::system::error_code* ec) {
  auto m = BuildEchoRequest(v6_, id, seq, data);
  return SendRaw(dst, m, ec);
}

bool IcmpSocket::SendRaw(const asio::ip::address& dst,
                         std::span<const uint8_t> message,
                         boost::system::error_code* ec) {
  if (!sd_.is_open()) {
    *ec = asio::error::bad_descriptor;
    return false;
  }
  // A queued error would fail this send (the kernel reports it instead of
  // sending): keep it for Receive().
  while (auto p = ReceiveErrorQueue()) pending_.push_back(std::move(*p));
  sockaddr_storage ss;
  socklen_t len = ToSockaddr(dst, &ss);
  for (;;) {
    ssize_t n = sendto(sd_.native_handle(), message.data(), message.size(),
                       MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), len);
    if (n >= 0) return true;
    if (errno == EINTR) continue;
    *ec = boost::system::error_code(errno, boost::system::system_category());
    return false;
  }
}

void IcmpSocket::AsyncWait(
    std::function<void(const boost::system::error_code&)> cb) {
  if (!pending_.empty()) {
    asio::post(sd_.get_executor(),
               [cb = std::move(cb)] { cb(boost::system::error_code()); });
    return;
  }
  sd_.async_wait(asio::posix::descriptor_base::wait_read, std::move(cb));
}

std::optional<Packet> IcmpSocket::Receive() {
  if (!pending_.empty()) {
    Packet p = std::move(pending_.front());
    pending_.erase(pending_.begin());
    return p;
  }
  if (!sd_.is_open()) return std::nullopt;
  if (auto p = ReceiveErrorQueue()) return p;
  return ReceiveNormal();
}

std::optional<Packet> IcmpSocket::ReceiveErrorQueue() {
  if (!sd_.is_open()) return std::nullopt;
  return ReadErrorQueue(sd_.native_handle(), v6_);
}

std::optional<Packet> IcmpSocket::ReceiveNormal() {
  // Bounded: unparsable packets and one-shot socket errors (sk_err, also
  // set by a queued ICMP error) are skipped.
  for (int tries = 0; tries < 256; ++tries) {
    Datagram d;
    if (!d.Read(sd_.native_handle(), MSG_DONTWAIT)) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
      if (auto p = ReceiveErrorQueue()) return p;
      continue;
    }
    auto p = ParseIcmp(v6_, d.data, method_ == Method::kRaw && !v6_);
    if (!p) continue;
    if (auto from = FromSockaddr(d.addr, d.m.msg_namelen)) p->from = *from;
    int hl = HopLimitFrom(v6_, ControlMessages(&d.m));
    if (hl >= 0) p->hop_limit = hl;
    return p;
  }
  return std::nullopt;
}

void IcmpSocket::Close() {
  pending_.clear();
  if (!sd_.is_open()) return;
  boost::system::error_code ec;
  sd_.cancel(ec);
  sd_.close(ec);
}

}  // namespace exporterd::blackbox::icmp
