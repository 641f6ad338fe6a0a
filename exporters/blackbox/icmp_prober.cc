// The icmp prober: upstream's prober/icmp.go on Asio, plus exporterd's
// multi-packet ping (issue 14).
//
// Resolve (ChooseProtocol), open an ICMP socket (a ping socket where
// ping_group_range allows, else a raw socket: icmp_socket.h), send the echo
// request and wait on the loop for the matching reply: same source address,
// our id (the kernel's on a ping socket), one of our sequence numbers and
// the same payload. A raw socket sees every probe's replies: the others are
// skipped, so probes in flight at once never take each other's replies.
//
// packets > 1: `packets` echoes, `interval` apart (a timer on the loop, all
// in flight at once). An echo is sent only while the deadline leaves time
// for its answer (max(interval, twice the largest RTT so far)); the probe
// ends when every echo sent was answered or at the deadline, and succeeds
// when at least one was.
#include <atomic>
#include <cmath>

#include "icmp_socket.h"
#include "probe.h"

namespace exporterd::blackbox {
namespace {

namespace asio = boost::asio;
using Clock = ProbeClock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// The echo ids of raw sockets (every probe its own) and the first sequence
// number of each probe; process-wide, so concurrent probes differ.
std::atomic<uint32_t> next_id{0};
std::atomic<uint32_t> next_seq{0};

uint16_t NewId() {
  static const uint32_t base = static_cast<uint32_t>(getpid()) * 7919u;
  return static_cast<uint16_t>(base + next_id.fetch_add(1));
}

bool SameHost(const asio::ip::address& a, const asio::ip::address& b) {
  if (a.is_v4() && b.is_v4()) return a == b;
  if (a.is_v6() && b.is_v6())
    return a.to_v6().to_bytes() == b.to_v6().to_bytes();
  return false;
}

class IcmpRun : public std::enable_shared_from_this<IcmpRun> {
 public:
  explicit IcmpRun(std::shared_ptr<ProbeRun> run)
      : run_(std::move(run)),
        cfg_(run_->module().icmp),
        sock_(run_->io()),
        send_timer_(run_->io()),
        end_timer_(run_->io()) {}

  void Start();

 private:
  struct Echo {
    Clock::time_point sent;
    bool ok = false;  // the kernel took it
    bool answered = false;
    double rtt = 0;
  };

  void Setup(const asio::ip::address& ip);
  void SendNext();
  void MaybeEndAfterSends();
  void Wait();
  void OnPacket(const icmp::Packet& p);
  void Done(bool success);

  std::shared_ptr<ProbeRun> run_;
  const IcmpProbe& cfg_;
  icmp::IcmpSocket sock_;
  asio::steady_timer send_timer_, end_timer_;
  asio::ip::address dst_;
  std::string payload_;
  uint16_t id_ = 0, seq_base_ = 0;
  Clock::time_point first_send_;
  std::vector<Echo> echoes_;  // one per echo tried (seq_base_ + index)
  int sent_ = 0;              // of them, sent
  int received_ = 0, duplicates_ = 0;
  double resolve_ = 0, setup_ = 0, first_rtt_ = 0, max_rtt_ = 0;
  int hop_limit_ = -1;
  bool first_answered_ = false;
  bool sending_done_ = false;
};

void IcmpRun::Start() {
  auto self = shared_from_this();
  run_->OnAbort([self] { self->Done(false); });
  ChooseProtocol(run_, run_->target(), cfg_.preferred_ip_protocol,
                 cfg_.ip_protocol_fallback,
                 [self](std::optional<asio::ip::address> ip, double lookup) {
                   if (!ip) return self->Done(false);
                   self->resolve_ = lookup;
                   self->Setup(*ip);
                 });
}

void IcmpRun::Setup(const asio::ip::address& ip) {
  auto& log = run_->log();
  dst_ = ip;
  const auto setup_start = Clock::now();
  icmp::OpenOptions o;
  o.v6 = ip.is_v6();
  if (!cfg_.source_ip_address.empty()) {
    boost::system::error_code ec;
    auto src = asio::ip::make_address(cfg_.source_ip_address, ec);
    if (ec) {
      log.Error("Error parsing source ip address",
                {{"srcIP", cfg_.source_ip_address}});
      run_->Fail(reason::kConfig);
      return Done(false);
    }
    log.Info("Using source address", {{"srcIP", src.to_string()}});
    o.source = src;
  }
  o.ttl = cfg_.ttl;
  o.dont_fragment = cfg_.dont_fragment && !o.v6;
  log.Info("Creating socket");
  std::string err;
  if (!sock_.Open(o, &err)) {
    log.Error("Error listening to socket", {{"err", err}});
    run_->Fail(reason::kOther);
    return Done(false);
  }
  log.Debug("Socket open", {{"method", icmp::MethodName(sock_.method())}});
  id_ = sock_.method() == icmp::Method::kPing ? sock_.id() : NewId();
  const int packets = std::max(1, cfg_.packets);
  seq_base_ =
      static_cast<uint16_t>(next_seq.fetch_add(static_cast<uint32_t>(packets)));
  if (cfg_.payload_size > 65535 - 8 - (o.v6 ? 0 : 20)) {
    log.Error("Error writing to socket",
              {{"err", "payload_size " + std::to_string(cfg_.payload_size) +
                           " does not fit in one ICMP message"}});
    run_->Fail(reason::kConfig);
    return Done(false);
  }
  payload_ = icmp::EchoPayload(cfg_.payload_size);
  echoes_.reserve(static_cast<size_t>(packets));
  setup_ = Seconds(Clock::now() - setup_start);
  // Our own end, just before the run's deadline: the answer is then ours
  // (probe_success from the replies so far), not the run's timeout.
  end_timer_.expires_at(run_->deadline() - std::chrono::milliseconds(2));
  auto self = shared_from_this();
  end_timer_.async_wait([self](const boost::system::error_code& ec) {
    if (ec || self->run_->finished()) return;
    if (self->received_ == 0) {
      self->run_->log().Error("Timeout reading from socket",
                              {{"err", "no reply before the deadline"}});
      self->run_->Fail(reason::kTimeout);
    }
    self->Done(self->received_ > 0);
  });
  Wait();
  SendNext();
}

void IcmpRun::SendNext() {
  if (run_->finished()) return;
  auto& log = run_->log();
  const int packets = std::max(1, cfg_.packets);
  const int k = static_cast<int>(echoes_.size());
  const uint16_t seq = static_cast<uint16_t>(seq_base_ + k);
  if (k == 0) {
    log.Info("Creating ICMP packet",
             {{"seq", std::to_string(seq)}, {"id", std::to_string(id_)}});
    log.Info("Writing out packet");
  } else {
    log.Debug("Writing out packet", {{"seq", std::to_string(seq)}});
  }
  const auto now = Clock::now();
  if (k == 0) first_send_ = now;
  boost::system::error_code ec;
  echoes_.push_back({now, false, false, 0});
  if (sock_.SendEcho(dst_, id_, seq, payload_, &ec)) {
    echoes_.back().ok = true;
    ++sent_;
  } else {
    log.Error("Error writing to socket", {{"err", ec.message()}});
    if (packets == 1) {
      run_->Fail(reason::kConnect);
      return Done(false);
    }
  }
  if (k == 0 && packets == 1) log.Info("Waiting for reply packets");
  // Errors the send drained from the error queue (the armed wait may not
  // fire for them).
  while (auto p = sock_.Receive()) {
    OnPacket(*p);
    if (run_->finished()) return;
  }
  if (k + 1 >= packets) return MaybeEndAfterSends();
  // The next echo, if the deadline leaves time for its answer.
  const auto next = first_send_ + (k + 1) * cfg_.interval;
  const auto reserve = std::max<Clock::duration>(
      std::chrono::duration_cast<Clock::duration>(cfg_.interval),
      std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(2 * max_rtt_)));
  if (next + reserve > run_->deadline()) {
    log.Debug(
        "Not sending more echoes: the deadline leaves no time for "
        "their answers",
        {{"sent", std::to_string(sent_)}});
    return MaybeEndAfterSends();
  }
  auto self = shared_from_this();
  send_timer_.expires_at(next);
  send_timer_.async_wait([self](const boost::system::error_code& tec) {
    if (tec || self->run_->finished()) return;
    self->SendNext();
  });
}

void IcmpRun::MaybeEndAfterSends() {
  sending_done_ = true;
  if (sent_ == 0) {
    // Every send failed (packets > 1; one packet ends in SendNext).
    run_->Fail(reason::kConnect);
    return Done(false);
  }
  if (received_ == sent_) Done(true);
}

void IcmpRun::Wait() {
  auto self = shared_from_this();
  sock_.AsyncWait([self](const boost::system::error_code& ec) {
    if (self->run_->finished()) return;
    if (ec) {
      self->run_->log().Error("Error reading from socket",
                              {{"err", ec.message()}});
      self->run_->Fail(reason::kIo);
      return self->Done(false);
    }
    while (auto p = self->sock_.Receive()) {
      self->OnPacket(*p);
      if (self->run_->finished()) return;
    }
    self->Wait();
  });
}

void IcmpRun::OnPacket(const icmp::Packet& p) {
  const auto now = Clock::now();
  auto& log = run_->log();
  const int packets = std::max(1, cfg_.packets);
  // Ours: our id and one of the sequence numbers we sent.
  const uint16_t k = static_cast<uint16_t>(p.seq - seq_base_);
  const bool ours =
      p.id == id_ && k < echoes_.size() && echoes_[k].ok &&
      (p.kind != icmp::Packet::Kind::kError ? true : p.quoted_echo);
  if (!ours) return;
  if (p.kind == icmp::Packet::Kind::kError) {
    // The target or a router answered with an error (unreachable, time
    // exceeded): that echo gets no reply.
    if (p.quoted_dst && !SameHost(*p.quoted_dst, dst_)) return;
    log.Error("ICMP error for the echo request",
              {{"type", std::to_string(p.type)},
               {"code", std::to_string(p.code)},
               {"from", p.from.is_unspecified() ? std::string("?")
                                                : p.from.to_string()},
               {"seq", std::to_string(p.seq)}});
    if (packets == 1) {
      run_->Fail(reason::kConnect);
      return Done(false);
    }
    return;
  }
  if (p.kind != icmp::Packet::Kind::kEchoReply) return;
  if (!SameHost(p.from, dst_) || p.data != payload_) return;
  Echo& e = echoes_[k];
  if (e.answered) {
    ++duplicates_;
    log.Debug("Duplicate reply", {{"seq", std::to_string(p.seq)}});
    return;
  }
  e.answered = true;
  e.rtt = Seconds(now - e.sent);
  max_rtt_ = std::max(max_rtt_, e.rtt);
  ++received_;
  if (!first_answered_) {
    first_answered_ = true;
    first_rtt_ = e.rtt;
    hop_limit_ = p.hop_limit;
    if (hop_limit_ < 0)
      log.Debug(
          "Cannot get the hop limit (TTL) of the reply: "
          "'probe_icmp_reply_hop_limit' will be missing.");
  }
  if (packets == 1) {
    log.Info("Found matching reply packet");
    return Done(true);
  }
  log.Debug("Found matching reply packet",
            {{"seq", std::to_string(p.seq)}, {"rtt", std::to_string(e.rtt)}});
  if (sending_done_ && received_ == sent_) Done(true);
}

void IcmpRun::Done(bool success) {
  if (run_->finished()) return;
  send_timer_.cancel();
  end_timer_.cancel();
  sock_.Close();
  auto& m = run_->metrics();
  Family::Gauge("probe_icmp_duration_seconds",
                "Duration of icmp request by phase")
      .Add({{"phase", "resolve"}}, resolve_)
      .Add({{"phase", "rtt"}}, first_answered_ ? first_rtt_ : 0)
      .Add({{"phase", "setup"}}, setup_)
      .MoveTo(&m);
  if (first_answered_ && hop_limit_ >= 0)
    AddScalar(&m, "probe_icmp_reply_hop_limit",
              "Replied packet hop-limit (TTL for ipv4)", hop_limit_);
  if (cfg_.packets > 1 && sent_ > 0) {
    const double sent = sent_;
    AddScalar(&m, "probe_icmp_packets_sent", "Echo requests sent", sent);
    AddScalar(&m, "probe_icmp_packets_received",
              "Echo requests answered (duplicates not counted)", received_);
    AddScalar(&m, "probe_icmp_packet_loss_ratio",
              "Share of the echo requests sent that got no reply (0..1)",
              1.0 - received_ / sent);
    AddScalar(&m, "probe_icmp_duplicate_packets",
              "Replies received again for an already answered echo request",
              duplicates_);
    if (received_ > 0) {
      double lo = 0, hi = 0, sum = 0, sq = 0;
      bool first = true;
      for (const auto& e : echoes_) {
        if (!e.answered) continue;
        lo = first ? e.rtt : std::min(lo, e.rtt);
        hi = first ? e.rtt : std::max(hi, e.rtt);
        first = false;
        sum += e.rtt;
        sq += e.rtt * e.rtt;
      }
      const double avg = sum / received_;
      const double var = std::max(0.0, sq / received_ - avg * avg);
      AddScalar(&m, "probe_icmp_rtt_min_seconds",
                "Smallest round-trip time of the answered echo requests", lo);
      AddScalar(&m, "probe_icmp_rtt_avg_seconds",
                "Mean round-trip time of the answered echo requests", avg);
      AddScalar(&m, "probe_icmp_rtt_max_seconds",
                "Largest round-trip time of the answered echo requests", hi);
      AddScalar(&m, "probe_icmp_rtt_stddev_seconds",
                "Population standard deviation of the round-trip times of "
                "the answered echo requests",
                std::sqrt(var));
    }
  }
  if (!success && run_->failure_reason().empty()) run_->Fail(reason::kOther);
  run_->Finish(success);
}

EXPORTERD_BLACKBOX_PROBER(icmp, RunProber<IcmpRun>);

}  // namespace

}  // namespace exporterd::blackbox
