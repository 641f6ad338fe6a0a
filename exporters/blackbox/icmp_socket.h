// ICMP echo sockets for the icmp prober (and the traceroute prober): open
// an unprivileged ping socket (SOCK_DGRAM + IPPROTO_ICMP/ICMPV6, allowed
// when net.ipv4.ping_group_range covers our group) or else a raw socket
// (SOCK_RAW, needs CAP_NET_RAW), v4 or v6; build echo requests; read echo
// replies and ICMP errors (time exceeded, unreachable) from the socket or
// its error queue (IP_RECVERR / IPV6_RECVERR).
//
// Two layers:
//  - pure functions (BuildEchoRequest, ParseIcmp, ParseErrorQueue,
//    HopLimitFrom, Checksum, EchoPayload): bytes in, structs out; unit
//    tested on captured packets (tests/fixtures/icmp/);
//  - IcmpSocket: one socket on an io_context (Asio waits for readability;
//    sends and reads are non-blocking system calls, never a wait).
//
// Matching is the caller's business: a raw socket sees every ICMP packet
// of the host (every probe's replies, every error): filter on id, seq,
// source and payload. A ping socket gets only the replies and errors of
// its own id, which the kernel picks (id() after Open()); the id given to
// SendEcho is ignored there.
#ifndef EXPORTERD_BLACKBOX_ICMP_SOCKET_H_
#define EXPORTERD_BLACKBOX_ICMP_SOCKET_H_

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "exporterd/asio.h"

namespace exporterd::blackbox::icmp {

// ICMP types used here.
inline constexpr uint8_t kV4EchoReply = 0;
inline constexpr uint8_t kV4DestUnreachable = 3;
inline constexpr uint8_t kV4EchoRequest = 8;
inline constexpr uint8_t kV4TimeExceeded = 11;
inline constexpr uint8_t kV6DestUnreachable = 1;
inline constexpr uint8_t kV6PacketTooBig = 2;
inline constexpr uint8_t kV6TimeExceeded = 3;
inline constexpr uint8_t kV6EchoRequest = 128;
inline constexpr uint8_t kV6EchoReply = 129;

// The RFC 1071 internet checksum of `b` (as stored: big-endian).
uint16_t Checksum(std::span<const uint8_t> b);

// blackbox_exporter's echo data: "Prometheus Blackbox Exporter", or
// `payload_size` bytes starting with it (zero padded, cut when shorter).
std::string EchoPayload(int payload_size);

// An echo request: type 8 (v4) or 128 (v6), code 0, id, seq, data. The v4
// checksum is filled in; the v6 one is left 0 (the kernel computes ICMPv6
// checksums, it needs the addresses). On ping sockets the kernel replaces
// the id (and recomputes the checksum).
std::vector<uint8_t> BuildEchoRequest(bool v6, uint16_t id, uint16_t seq,
                                      std::string_view data);

// What one received packet or error-queue entry says.
struct Packet {
  enum class Kind {
    kEchoReply,    // an echo reply: id, seq, data
    kEchoRequest,  // an echo request (a raw socket sees its own on lo)
    kError,        // an ICMP error (time exceeded, unreachable, ...)
    kOther,        // any other ICMP message
  };
  Kind kind = Kind::kOther;
  uint8_t type = 0, code = 0;  // of the ICMP message (the error's, for kError)
  // kEchoReply/kEchoRequest: the message's own id/seq/data. kError: those
  // of the quoted echo request when `quoted_echo` (the error answers one of
  // our echoes; data is what was quoted of its payload, may be cut).
  uint16_t id = 0, seq = 0;
  std::string data;
  bool quoted_echo = false;
  // The sender: the replying host, or the router that sent the error (the
  // offender). Unset (default address) when the caller did not know it.
  boost::asio::ip::address from;
  // kError: the destination of the packet that caused it, when quoted.
  std::optional<boost::asio::ip::address> quoted_dst;
  // The reply's TTL / hop limit, -1 when unknown.
  int hop_limit = -1;
  // Error-queue entries: the errno the kernel gives (EHOSTUNREACH, ...).
  int error_number = 0;
};

// Parses an ICMP message. `ip_header`: `b` starts with the IPv4 header (a
// raw IPv4 socket's read); then `from` and `hop_limit` come from it. Errors
// quoting an echo request (raw sockets see them on the normal queue) give
// kError with quoted_echo, id, seq. nullopt when it is too short or not
// ICMP of that family.
std::optional<Packet> ParseIcmp(bool v6, std::span<const uint8_t> b,
                                bool ip_header);

// One control message of recvmsg (cmsg_level, cmsg_type, data bytes).
struct ControlMessage {
  int level = 0;
  int type = 0;
  std::vector<uint8_t> data;
};

// The TTL (IP_TTL, from IP_RECVTTL) or hop limit (IPV6_HOPLIMIT, from
// IPV6_RECVHOPLIMIT) among `cmsgs`; -1 when absent.
int HopLimitFrom(bool v6, const std::vector<ControlMessage>& cmsgs);

// An error-queue entry (recvmsg MSG_ERRQUEUE): the control messages (the
// IP_RECVERR / IPV6_RECVERR sock_extended_err with the offender after it)
// and the payload the kernel returns (the ICMP message we sent: echo id,
// seq, data). kError with type/code of the ICMP error, `from` = offender,
// error_number = ee_errno, quoted_echo when the payload is our echo
// request. An error of local origin (EMSGSIZE, ...) gives kOther with
// error_number. nullopt when no extended error is among `cmsgs`.
// (Receive() also fills quoted_dst: the kernel gives the original
// destination as the message's address.)
std::optional<Packet> ParseErrorQueue(bool v6,
                                      const std::vector<ControlMessage>& cmsgs,
                                      std::span<const uint8_t> payload);

// The address of a sockaddr the kernel filled in (`len` bytes); nullopt
// for another family or a short one.
std::optional<boost::asio::ip::address> FromSockaddr(const sockaddr_storage& ss,
                                                     socklen_t len);
// Its port (a UDP/TCP destination or sender); -1 for another family.
int PortOf(const sockaddr_storage& ss);

// One ICMP error from the error queue of `fd` (a socket with IP_RECVERR /
// IPV6_RECVERR: ping, raw, UDP or TCP), as ParseErrorQueue gives it, with
// quoted_dst set and *dst_port (when given) the port the failed packet was
// sent to; nullopt once the queue is empty. Entries that are no ICMP error
// are skipped.
std::optional<Packet> ReadErrorQueue(int fd, bool v6, int* dst_port = nullptr);

// How an IcmpSocket got its socket.
enum class Method {
  kPing,  // SOCK_DGRAM, IPPROTO_ICMP(V6): unprivileged where allowed
  kRaw,   // SOCK_RAW: CAP_NET_RAW
};
const char* MethodName(Method m);  // "ping socket" / "raw socket"

struct OpenOptions {
  bool v6 = false;
  // Bound as the source address when set (of the socket's family).
  std::optional<boost::asio::ip::address> source;
  int ttl = 0;                 // IP_TTL / IPV6_UNICAST_HOPS; 0: the default
  bool dont_fragment = false;  // IP_PMTUDISC_DO / IPV6_DONTFRAG
  bool recv_err = true;        // IP_RECVERR / IPV6_RECVERR: errors queued
  bool recv_hop_limit = true;  // IP_RECVTTL / IPV6_RECVHOPLIMIT
  // Which methods to try, in this order (the first that opens wins).
  std::vector<Method> methods = {Method::kPing, Method::kRaw};
};

// One ICMP socket on an io_context. Not thread-safe: use it on its loop.
class IcmpSocket {
 public:
  explicit IcmpSocket(boost::asio::io_context& io);
  ~IcmpSocket();
  IcmpSocket(const IcmpSocket&) = delete;
  IcmpSocket& operator=(const IcmpSocket&) = delete;

  // Opens the first method of o.methods the process may use and sets the
  // options. false with *error when none opens: the text names each way
  // tried and what it needs (ping_group_range covering our group, or
  // CAP_NET_RAW), or the failing option (bad source address, ...).
  bool Open(const OpenOptions& o, std::string* error);
  bool is_open() const;
  Method method() const { return method_; }
  bool v6() const { return v6_; }
  // Ping sockets: the echo id the kernel gave this socket (after Open).
  // Raw sockets: 0.
  uint16_t id() const { return id_; }

  // Changes the TTL / hop limit for the next sends (traceroute).
  bool SetTtl(int ttl, boost::system::error_code* ec);

  // Sends an echo request to `dst` without waiting (MSG_DONTWAIT). Queued
  // errors are read first (a pending one would fail the send): they are
  // returned by the next Receive(); a wait already armed may not fire for
  // them, so call Receive() after sending. false with *ec when the kernel
  // refused (unreachable, would block, ...).
  bool SendEcho(const boost::asio::ip::address& dst, uint16_t id, uint16_t seq,
                std::string_view data, boost::system::error_code* ec);
  // Sends a ready ICMP message (BuildEchoRequest's or other bytes).
  bool SendRaw(const boost::asio::ip::address& dst,
               std::span<const uint8_t> message, boost::system::error_code* ec);

  // Calls `cb` once when the socket is readable or has a queued error
  // (ec = operation_aborted after Close()). Then Receive() until nullopt.
  void AsyncWait(std::function<void(const boost::system::error_code&)> cb);

  // One queued packet or error, parsed, with its source address and hop
  // limit; nullopt when nothing is queued. Packets that do not parse are
  // skipped. Reads the error queue first, then the normal queue.
  std::optional<Packet> Receive();

  // Cancels the wait (its callback gets operation_aborted) and closes.
  void Close();

 private:
  std::optional<Packet> ReceiveErrorQueue();
  std::optional<Packet> ReceiveNormal();

  boost::asio::posix::stream_descriptor sd_;
  Method method_ = Method::kPing;
  bool v6_ = false;
  uint16_t id_ = 0;
  std::vector<Packet> pending_;  // errors drained before a send
};

}  // namespace exporterd::blackbox::icmp

#endif  // EXPORTERD_BLACKBOX_ICMP_SOCKET_H_
