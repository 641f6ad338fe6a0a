// The traceroute prober (exporterd's own, issue 14): mtr-like per-hop loss
// and round-trip times to the target, as a blackbox /probe module.
//
// Rounds of one probe per TTL (first_hop..max_hops), `interval` apart,
// probes_per_hop rounds; inside a round the TTLs go out in rising order a
// few milliseconds apart, so the destination's hop is usually known before
// the TTLs past it are sent (they are not sent once it is, which also spares
// the destination's ICMP rate limit). A probe waits probe_timeout for its
// answer; the whole trace ends before the probe's deadline (unanswered
// probes then count as lost). Everything runs on run->io(): non-blocking
// sends, Asio waits, no threads.
//
// Methods (all without raw sockets where Linux allows; see the README):
//  - icmp: echo requests on an unprivileged ping socket, else a raw socket
//    (icmp_socket.h); time-exceeded from the error queue (IP_RECVERR).
//  - udp: one UDP socket with IP_RECVERR, destination port `port` (33434)
//    plus the probe's number, as traceroute; the error queue gives the
//    router (time exceeded) or the target (port unreachable) and the port
//    the probe went to, which identifies it.
//  - tcp: a non-blocking connect per probe (TTL set, IP_RECVERR): a router
//    answers with time exceeded on the socket's error queue, the target
//    with SYN-ACK (connected) or RST (refused).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "icmp_socket.h"
#include "probe.h"
#include "traceroute_hops.h"

namespace exporterd::blackbox {
namespace {

namespace asio = boost::asio;
using asio::ip::address;

// Probes of one round go out this far apart at most (interval / (2 * TTLs)
// when that is shorter).
constexpr auto kMaxGap = std::chrono::milliseconds(10);
// The trace ends this long before the probe's deadline, so the answer with
// what was gathered is made by the prober, not by the deadline.
constexpr auto kEndMargin = std::chrono::milliseconds(10);

double Seconds(ProbeClock::duration d) {
  return std::chrono::duration<double>(d).count();
}

socklen_t ToSockaddr(const address& a, uint16_t port, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof *ss);
  if (a.is_v4()) {
    auto* s = reinterpret_cast<sockaddr_in*>(ss);
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    auto b = a.to_v4().to_bytes();
    std::memcpy(&s->sin_addr, b.data(), b.size());
    return sizeof(sockaddr_in);
  }
  auto* s = reinterpret_cast<sockaddr_in6*>(ss);
  s->sin6_family = AF_INET6;
  s->sin6_port = htons(port);
  auto b = a.to_v6().to_bytes();
  std::memcpy(&s->sin6_addr, b.data(), b.size());
  s->sin6_scope_id = a.to_v6().scope_id();
  return sizeof(sockaddr_in6);
}

bool SetIntOpt(int fd, int level, int name, int value,
               boost::system::error_code* ec) {
  if (setsockopt(fd, level, name, &value, sizeof value) == 0) return true;
  *ec = boost::system::error_code(errno, boost::system::system_category());
  return false;
}

bool SetTtl(int fd, bool v6, int ttl, boost::system::error_code* ec) {
  return v6 ? SetIntOpt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, ec)
            : SetIntOpt(fd, IPPROTO_IP, IP_TTL, ttl, ec);
}

bool SetRecvErr(int fd, bool v6, boost::system::error_code* ec) {
  return v6 ? SetIntOpt(fd, IPPROTO_IPV6, IPV6_RECVERR, 1, ec)
            : SetIntOpt(fd, IPPROTO_IP, IP_RECVERR, 1, ec);
}

const char* MethodText(TraceMethod m) {
  switch (m) {
    case TraceMethod::kIcmp:
      return "icmp";
    case TraceMethod::kUdp:
      return "udp";
    case TraceMethod::kTcp:
      return "tcp";
  }
  return "?";
}

std::string LocalHostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

class TraceRun : public std::enable_shared_from_this<TraceRun> {
 public:
  explicit TraceRun(std::shared_ptr<ProbeRun> run)
      : run_(std::move(run)),
        cfg_(run_->module().traceroute),
        trace_(cfg_.first_hop, cfg_.max_hops),
        icmp_(run_->io()),
        udp_(run_->io()),
        send_timer_(run_->io()),
        expiry_timer_(run_->io()),
        end_timer_(run_->io()) {}

  void Start();

 private:
  struct Probe {
    int ttl = 0;
    ProbeClock::time_point sent;
    bool done = false;
    uint16_t port = 0;                           // udp: its destination port
    std::unique_ptr<asio::ip::tcp::socket> tcp;  // tcp: its own socket
  };

  bool Open();
  void ScheduleSend(ProbeClock::time_point at);
  void SendNext();
  bool SendProbe(int ttl);
  bool SendUdp(Probe& p, size_t index);
  bool SendTcp(Probe& p, size_t index);
  bool SendIcmp(Probe& p, size_t index);
  void WaitUdp();
  void DrainUdp();
  void WaitIcmp();
  void DrainIcmp();
  void OnIcmpError(size_t index, const icmp::Packet& p);
  void Answer(size_t index, const address& from, bool unreachable);
  void ArmExpiry();
  void Expire();
  bool Complete() const;
  void MaybeDone();
  void Done(bool aborted = false);
  void CloseAll();

  std::shared_ptr<ProbeRun> run_;
  const TracerouteProbe& cfg_;
  traceroute::Trace trace_;
  address target_;
  bool v6_ = false;
  std::optional<address> source_;
  std::string payload_;
  icmp::IcmpSocket icmp_;
  uint16_t icmp_id_ = 0;
  asio::ip::udp::socket udp_;
  asio::steady_timer send_timer_, expiry_timer_, end_timer_;
  ProbeClock::time_point start_, end_;
  ProbeClock::duration gap_{0};
  std::vector<Probe> probes_;
  int round_ = 0;
  int next_ttl_ = 0;
  bool sending_done_ = false;
  bool done_ = false;
  bool cut_ = false;  // ended by the deadline
};

void TraceRun::Start() {
  auto self = shared_from_this();
  run_->OnAbort([self] {
    // The deadline (or the client) came first: what was gathered is the
    // answer, unanswered probes count as lost; the run then answers with
    // probe_success 0 and reason timeout.
    self->Done(/*aborted=*/true);
  });
  std::string host = run_->target();
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  ChooseProtocol(
      run_, host, cfg_.preferred_ip_protocol, cfg_.ip_protocol_fallback,
      [self](std::optional<address> ip, double) {
        if (!ip) {
          self->run_->log().Error("Error resolving address");
          return self->run_->Finish(false);
        }
        self->target_ = *ip;
        self->v6_ = ip->is_v6();
        if (!self->Open()) {
          self->CloseAll();
          return self->run_->Finish(false);
        }
        self->start_ = ProbeClock::now();
        self->end_ = self->run_->deadline() - kEndMargin;
        const int ttls = self->cfg_.max_hops - self->cfg_.first_hop + 1;
        self->gap_ = std::min<ProbeClock::duration>(
            kMaxGap, std::chrono::duration_cast<ProbeClock::duration>(
                         self->cfg_.interval) /
                         (2 * ttls));
        self->end_timer_.expires_at(self->end_);
        self->end_timer_.async_wait([self](
                                        const boost::system::error_code& ec) {
          if (ec || self->done_) return;
          self->run_->log().Debug("Trace cut short by the probe's deadline");
          self->cut_ = true;
          self->Done();
        });
        self->next_ttl_ = self->cfg_.first_hop;
        self->SendNext();
      });
}

bool TraceRun::Open() {
  auto& log = run_->log();
  boost::system::error_code ec;
  if (!cfg_.source_ip_address.empty()) {
    auto src = asio::ip::make_address(cfg_.source_ip_address, ec);
    if (ec || src.is_v6() != v6_) {
      log.Error("Error parsing source ip address",
                {{"srcIP", cfg_.source_ip_address}});
      run_->Fail(reason::kConfig);
      return false;
    }
    source_ = src;
    log.Debug("Using source address", {{"srcIP", src.to_string()}});
  }
  payload_ = "exporterd traceroute";
  if (cfg_.payload_size > 0) payload_.resize(cfg_.payload_size, '\0');
  log.Debug("Tracing",
            {{"method", MethodText(cfg_.method)},
             {"address", target_.to_string()},
             {"first_hop", std::to_string(cfg_.first_hop)},
             {"max_hops", std::to_string(cfg_.max_hops)},
             {"probes_per_hop", std::to_string(cfg_.probes_per_hop)}});
  switch (cfg_.method) {
    case TraceMethod::kIcmp: {
      icmp::OpenOptions o;
      o.v6 = v6_;
      o.source = source_;
      o.recv_hop_limit = false;
      std::string err;
      if (!icmp_.Open(o, &err)) {
        log.Error("Error opening the ICMP socket", {{"err", err}});
        run_->Fail(reason::kConfig);
        return false;
      }
      payload_ = icmp::EchoPayload(cfg_.payload_size);
      icmp_id_ = icmp_.method() == icmp::Method::kPing
                     ? icmp_.id()
                     : static_cast<uint16_t>(getpid() ^
                                             reinterpret_cast<uintptr_t>(this));
      log.Debug("ICMP socket open",
                {{"socket", icmp::MethodName(icmp_.method())}});
      WaitIcmp();
      return true;
    }
    case TraceMethod::kUdp: {
      udp_.open(v6_ ? asio::ip::udp::v6() : asio::ip::udp::v4(), ec);
      if (!ec && source_) udp_.bind({*source_, 0}, ec);
      if (!ec) SetRecvErr(udp_.native_handle(), v6_, &ec);
      if (!ec) udp_.non_blocking(true, ec);
      if (ec) {
        log.Error("Error opening the UDP socket", {{"err", ec.message()}});
        run_->Fail(reason::kConfig);
        return false;
      }
      WaitUdp();
      return true;
    }
    case TraceMethod::kTcp:
      return true;  // a socket per probe
  }
  return false;
}

// Sends the next probe of the schedule and arms the timer for the one
// after it.
void TraceRun::SendNext() {
  if (done_ || run_->finished()) return;
  const auto now = ProbeClock::now();
  // The TTLs past the destination (or past an unreachable) are not sent.
  if (next_ttl_ <= std::min(cfg_.max_hops, trace_.LastHop())) {
    if (!SendProbe(next_ttl_)) return;
    ++next_ttl_;
    if (next_ttl_ <= std::min(cfg_.max_hops, trace_.LastHop()))
      return ScheduleSend(now + gap_);
  }
  // The next round, if it can still be answered before the end.
  ++round_;
  const auto at =
      start_ +
      round_ * std::chrono::duration_cast<ProbeClock::duration>(cfg_.interval);
  if (round_ >= cfg_.probes_per_hop ||
      at + std::chrono::duration_cast<ProbeClock::duration>(
               cfg_.probe_timeout) >
          end_) {
    sending_done_ = true;
    return MaybeDone();
  }
  next_ttl_ = cfg_.first_hop;
  ScheduleSend(at);
}

void TraceRun::ScheduleSend(ProbeClock::time_point at) {
  if (at <= ProbeClock::now()) {
    // Posted, not called: a long schedule does not recurse.
    auto self = shared_from_this();
    asio::post(run_->io(), [self] { self->SendNext(); });
    return;
  }
  send_timer_.expires_at(at);
  auto self = shared_from_this();
  send_timer_.async_wait([self](const boost::system::error_code& ec) {
    if (!ec) self->SendNext();
  });
}

bool TraceRun::SendProbe(int ttl) {
  const size_t index = probes_.size();
  probes_.emplace_back();
  Probe& p = probes_.back();
  p.ttl = ttl;
  bool ok = false;
  switch (cfg_.method) {
    case TraceMethod::kIcmp:
      ok = SendIcmp(p, index);
      break;
    case TraceMethod::kUdp:
      ok = SendUdp(p, index);
      break;
    case TraceMethod::kTcp:
      ok = SendTcp(p, index);
      break;
  }
  if (!ok) {
    Done();
    return false;
  }
  ArmExpiry();
  return true;
}

bool TraceRun::SendIcmp(Probe& p, size_t index) {
  boost::system::error_code ec;
  const uint16_t seq = static_cast<uint16_t>(index);
  for (int attempt = 0; attempt < 2; ++attempt) {
    ec.clear();
    if (icmp_.SetTtl(p.ttl, &ec)) {
      p.sent = ProbeClock::now();
      if (icmp_.SendEcho(target_, icmp_id_, seq, payload_, &ec)) return true;
    }
  }
  run_->log().Error("Error sending the ICMP probe",
                    {{"ttl", std::to_string(p.ttl)}, {"err", ec.message()}});
  run_->Fail(reason::kConnect);
  return false;
}

bool TraceRun::SendUdp(Probe& p, size_t index) {
  const int base = cfg_.port > 0 ? cfg_.port : 33434;
  p.port = static_cast<uint16_t>((base + index - 1) % 65535 + 1);
  const int fd = udp_.native_handle();
  sockaddr_storage ss;
  socklen_t len = ToSockaddr(target_, p.port, &ss);
  boost::system::error_code ec;
  for (int attempt = 0; attempt < 2; ++attempt) {
    // A queued ICMP error would fail the send instead of it going out.
    DrainUdp();
    if (done_) return false;
    if (!SetTtl(fd, v6_, p.ttl, &ec)) break;
    p.sent = ProbeClock::now();
    ssize_t n = sendto(fd, payload_.data(), payload_.size(), MSG_DONTWAIT,
                       reinterpret_cast<sockaddr*>(&ss), len);
    if (n >= 0) return true;
    ec = boost::system::error_code(errno, boost::system::system_category());
  }
  run_->log().Error("Error sending the UDP probe",
                    {{"ttl", std::to_string(p.ttl)}, {"err", ec.message()}});
  run_->Fail(reason::kConnect);
  return false;
}

bool TraceRun::SendTcp(Probe& p, size_t index) {
  boost::system::error_code ec;
  p.tcp = std::make_unique<asio::ip::tcp::socket>(run_->io());
  auto& s = *p.tcp;
  s.open(v6_ ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), ec);
  if (!ec && source_) s.bind({*source_, 0}, ec);
  if (!ec) SetTtl(s.native_handle(), v6_, p.ttl, &ec);
  if (!ec) SetRecvErr(s.native_handle(), v6_, &ec);
  if (ec) {
    run_->log().Error("Error opening the TCP socket", {{"err", ec.message()}});
    run_->Fail(reason::kConnect);
    return false;
  }
  const uint16_t port = static_cast<uint16_t>(cfg_.port > 0 ? cfg_.port : 80);
  auto self = shared_from_this();
  p.sent = ProbeClock::now();
  s.async_connect(
      {target_, port}, [self, index](const boost::system::error_code& cec) {
        if (self->done_ || cec == asio::error::operation_aborted) return;
        Probe& pr = self->probes_[index];
        if (pr.done || !pr.tcp) return;
        const int fd = pr.tcp->native_handle();
        if (!cec || cec == asio::error::connection_refused) {
          // SYN-ACK or RST: the target answered. Close with a reset.
          boost::system::error_code ignored;
          pr.tcp->set_option(asio::socket_base::linger(true, 0), ignored);
          self->Answer(index, self->target_, false);
        } else if (auto e = icmp::ReadErrorQueue(fd, self->v6_)) {
          self->OnIcmpError(index, *e);
        } else {
          self->run_->log().Debug(
              "TCP probe failed without an ICMP error",
              {{"ttl", std::to_string(pr.ttl)}, {"err", cec.message()}});
        }
        if (pr.tcp) {
          boost::system::error_code ignored;
          pr.tcp->close(ignored);
          pr.tcp.reset();
        }
        self->MaybeDone();
      });
  return true;
}

void TraceRun::WaitUdp() {
  auto self = shared_from_this();
  udp_.async_wait(asio::socket_base::wait_read,
                  [self](const boost::system::error_code& ec) {
                    if (ec == asio::error::operation_aborted || self->done_)
                      return;
                    self->DrainUdp();
                    if (self->done_) return;
                    self->MaybeDone();
                    if (!self->done_) self->WaitUdp();
                  });
}

// Reads every queued error and datagram of the UDP socket.
void TraceRun::DrainUdp() {
  if (!udp_.is_open()) return;
  const int fd = udp_.native_handle();
  int dst_port = -1;
  while (auto e = icmp::ReadErrorQueue(fd, v6_, &dst_port)) {
    if (e->kind != icmp::Packet::Kind::kError) continue;
    if (!e->quoted_dst || *e->quoted_dst != target_) continue;
    for (size_t i = probes_.size(); i-- > 0;)
      if (probes_[i].port == dst_port && !probes_[i].done) {
        OnIcmpError(i, *e);
        break;
      }
  }
  // A datagram back from the target's port: it answered too.
  std::array<char, 2048> buf;
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ssize_t n = recvfrom(fd, buf.data(), buf.size(), MSG_DONTWAIT,
                         reinterpret_cast<sockaddr*>(&ss), &len);
    if (n < 0) {
      if (errno == EINTR) continue;
      // EAGAIN, or a socket error already read from the queue above.
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      continue;
    }
    auto from = icmp::FromSockaddr(ss, len);
    const int port = icmp::PortOf(ss);
    if (!from || *from != target_) continue;
    for (size_t i = probes_.size(); i-- > 0;)
      if (probes_[i].port == port && !probes_[i].done) {
        Answer(i, target_, false);
        break;
      }
  }
}

void TraceRun::WaitIcmp() {
  auto self = shared_from_this();
  icmp_.AsyncWait([self](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted || self->done_) return;
    self->DrainIcmp();
    if (self->done_) return;
    self->MaybeDone();
    if (!self->done_) self->WaitIcmp();
  });
}

void TraceRun::DrainIcmp() {
  const bool raw = icmp_.method() == icmp::Method::kRaw;
  while (auto p = icmp_.Receive()) {
    if (p->kind == icmp::Packet::Kind::kEchoReply) {
      if (raw && p->id != icmp_id_) continue;
      if (p->seq >= probes_.size() || p->from != target_) continue;
      Answer(p->seq, p->from, false);
    } else if (p->kind == icmp::Packet::Kind::kError && p->quoted_echo) {
      if (raw && p->id != icmp_id_) continue;
      if (p->quoted_dst && *p->quoted_dst != target_) continue;
      if (p->seq >= probes_.size()) continue;
      OnIcmpError(p->seq, *p);
    }
  }
}

// An ICMP error answering probe `index`: time exceeded from a router, or
// destination unreachable (from the target itself: it was reached).
void TraceRun::OnIcmpError(size_t index, const icmp::Packet& p) {
  using namespace icmp;
  const bool exceeded =
      v6_ ? p.type == kV6TimeExceeded : p.type == kV4TimeExceeded;
  const bool unreachable =
      v6_ ? p.type == kV6DestUnreachable
          : (p.type == kV4DestUnreachable && p.code != 4);  // 4: frag needed
  if (!exceeded && !unreachable) return;  // packet too big, ...
  if (p.from == address()) return;
  Answer(index, p.from, unreachable);
}

void TraceRun::Answer(size_t index, const address& from, bool unreachable) {
  if (index >= probes_.size()) return;
  Probe& p = probes_[index];
  if (p.done) return;
  const auto rtt = ProbeClock::now() - p.sent;
  p.done = true;
  if (rtt > cfg_.probe_timeout) {
    trace_.Lost(p.ttl);  // too late: lost, as its timeout said
    return;
  }
  const bool destination = from == target_;
  trace_.Answered(p.ttl, from.to_string(), Seconds(rtt), destination,
                  unreachable && !destination);
}

// Probes still waiting past their probe_timeout are lost.
void TraceRun::Expire() {
  const auto now = ProbeClock::now();
  for (auto& p : probes_) {
    if (p.done || now - p.sent < cfg_.probe_timeout) continue;
    p.done = true;
    trace_.Lost(p.ttl);
    if (p.tcp) {
      boost::system::error_code ignored;
      p.tcp->close(ignored);
      p.tcp.reset();
    }
  }
}

void TraceRun::ArmExpiry() {
  std::optional<ProbeClock::time_point> first;
  for (const auto& p : probes_) {
    if (p.done) continue;
    auto at = p.sent + std::chrono::duration_cast<ProbeClock::duration>(
                           cfg_.probe_timeout);
    if (!first || at < *first) first = at;
  }
  if (!first) return;
  expiry_timer_.expires_at(*first);
  auto self = shared_from_this();
  expiry_timer_.async_wait([self](const boost::system::error_code& ec) {
    if (ec || self->done_) return;
    self->Expire();
    self->MaybeDone();
    if (!self->done_) self->ArmExpiry();
  });
}

// All rounds sent and every probe within the reported hops has its
// outcome (those past the destination do not matter).
bool TraceRun::Complete() const {
  if (!sending_done_) return false;
  const int last = trace_.LastHop();
  for (const auto& p : probes_)
    if (!p.done && p.ttl <= last) return false;
  return true;
}

void TraceRun::MaybeDone() {
  if (!done_ && Complete()) Done();
}

void TraceRun::Done(bool aborted) {
  if (done_ || run_->finished()) return;
  done_ = true;
  const int last = trace_.LastHop();
  for (auto& p : probes_)
    if (!p.done) {
      p.done = true;
      if (p.ttl <= last) trace_.Lost(p.ttl);
    }
  CloseAll();
  auto& log = run_->log();
  traceroute::AddTraceMetrics(trace_, &run_->metrics());
  const auto hops = trace_.Hops();
  run_->debug_report = "Traceroute report (" +
                       std::string(MethodText(cfg_.method)) + " to " +
                       target_.to_string() + ", as mtr --report -n):\n" +
                       traceroute::MtrReport(LocalHostName(), hops);
  for (const auto& h : hops)
    log.Debug("Hop", {{"hop", std::to_string(h.ttl)},
                      {"address", h.Address()},
                      {"sent", std::to_string(h.sent)},
                      {"received", std::to_string(h.received)}});
  if (aborted) return;  // the run finishes itself
  if (!trace_.reached()) {
    std::string why =
        trace_.unreachable_hop() >= 0
            ? "unreachable from hop " + std::to_string(trace_.unreachable_hop())
            : "no answer within " + std::to_string(cfg_.max_hops) + " hops";
    log.Error("Destination not reached", {{"err", why}});
    run_->Fail(cut_ ? reason::kTimeout : reason::kConnect);
    return run_->Finish(false);
  }
  log.Debug("Destination reached",
            {{"hops", std::to_string(trace_.destination_hop())}});
  run_->Finish(true);
}

void TraceRun::CloseAll() {
  boost::system::error_code ec;
  send_timer_.cancel();
  expiry_timer_.cancel();
  end_timer_.cancel();
  icmp_.Close();
  udp_.close(ec);
  for (auto& p : probes_)
    if (p.tcp) {
      p.tcp->close(ec);
      p.tcp.reset();
    }
}

EXPORTERD_BLACKBOX_PROBER(traceroute, RunProber<TraceRun>);

}  // namespace

}  // namespace exporterd::blackbox
