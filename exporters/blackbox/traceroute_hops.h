// The pure part of the traceroute prober: per-hop aggregation of probe
// outcomes, where the path ends, the path id, the series and the
// `mtr --report`-style text debug=true prints. No I/O, no clocks: the
// prober (traceroute_prober.cc) feeds it what the sockets said.
//
// Header-only on purpose: the module's CMake builds every *_prober.cc, and
// this keeps the prober's files to its own paths.
#ifndef EXPORTERD_BLACKBOX_TRACEROUTE_HOPS_H_
#define EXPORTERD_BLACKBOX_TRACEROUTE_HOPS_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "exporterd/metrics.h"

namespace exporterd::blackbox::traceroute {

// What the probes of one TTL gave.
struct HopStats {
  int ttl = 0;
  int sent = 0;      // probes whose outcome is known (answered or lost)
  int received = 0;  // answered within probe_timeout
  // Round-trip times of the answers, in seconds.
  double last = 0, best = 0, worst = 0, sum = 0;
  double mean = 0, m2 = 0;  // running mean and sum of squared deviations
  // Who answered, with how many answers, in the order they first answered.
  std::vector<std::pair<std::string, int>> responders;

  void AddSent() { ++sent; }
  void AddAnswer(const std::string& address, double rtt) {
    ++received;
    last = rtt;
    if (received == 1 || rtt < best) best = rtt;
    if (received == 1 || rtt > worst) worst = rtt;
    sum += rtt;
    // Welford's update: a numerically sound running variance.
    const double d = rtt - mean;
    mean += d / received;
    m2 += d * (rtt - mean);
    for (auto& [a, n] : responders)
      if (a == address) {
        ++n;
        return;
      }
    responders.emplace_back(address, 1);
  }
  // The hop's address: the one that answered most often; on a tie the one
  // that answered first. "*" when nothing answered (a silent hop).
  std::string Address() const {
    const std::pair<std::string, int>* best_r = nullptr;
    for (const auto& r : responders)
      if (!best_r || r.second > best_r->second) best_r = &r;
    return best_r ? best_r->first : "*";
  }
  // Lost / sent; 1 when nothing was sent.
  double Loss() const {
    if (sent <= 0) return 1;
    return static_cast<double>(sent - std::min(received, sent)) / sent;
  }
  double Avg() const { return received ? sum / received : 0; }
  // The sample standard deviation of the round-trip times (0 below two
  // answers).
  double StdDev() const {
    return received > 1 ? std::sqrt(m2 / (received - 1)) : 0;
  }
};

// One trace: every probe's outcome, by TTL.
class Trace {
 public:
  Trace(int first_hop, int max_hops)
      : first_hop_(first_hop), max_hops_(std::max(first_hop, max_hops)) {}

  int first_hop() const { return first_hop_; }
  int max_hops() const { return max_hops_; }

  // A probe with this TTL is over: lost (no answer in time) or answered.
  void Lost(int ttl) { Hop(ttl).AddSent(); }
  // `destination`: the answer came from the traced address (echo reply,
  // port unreachable, TCP answer). `unreachable`: another host said the
  // destination cannot be reached (ICMP destination unreachable from a
  // router): the path ends at that hop.
  void Answered(int ttl, const std::string& address, double rtt,
                bool destination, bool unreachable) {
    HopStats& h = Hop(ttl);
    h.AddSent();
    h.AddAnswer(address, rtt);
    if (destination && (destination_hop_ < 0 || ttl < destination_hop_))
      destination_hop_ = ttl;
    if (!destination && unreachable &&
        (unreachable_hop_ < 0 || ttl < unreachable_hop_))
      unreachable_hop_ = ttl;
  }

  // The lowest TTL at which the destination answered; -1 if it did not.
  int destination_hop() const { return destination_hop_; }
  // The lowest TTL at which a router said "unreachable"; -1 if none did.
  int unreachable_hop() const { return unreachable_hop_; }
  bool reached() const {
    return destination_hop_ >= 0 &&
           (unreachable_hop_ < 0 || destination_hop_ <= unreachable_hop_);
  }
  // The last TTL reported: where the destination answered, else where the
  // path ended with an unreachable, else max_hops.
  int LastHop() const {
    int last = max_hops_;
    if (destination_hop_ >= 0) last = std::min(last, destination_hop_);
    if (unreachable_hop_ >= 0) last = std::min(last, unreachable_hop_);
    return last;
  }
  // Hops first_hop..LastHop(), each with what its probes gave (a hop no
  // probe was sent to has sent == 0).
  std::vector<HopStats> Hops() const {
    std::vector<HopStats> out;
    for (int ttl = first_hop_; ttl <= LastHop(); ++ttl) {
      auto it = hops_.find(ttl);
      if (it != hops_.end()) {
        out.push_back(it->second);
      } else {
        HopStats h;
        h.ttl = ttl;
        out.push_back(h);
      }
    }
    return out;
  }

 private:
  HopStats& Hop(int ttl) {
    HopStats& h = hops_[ttl];
    h.ttl = ttl;
    return h;
  }
  int first_hop_, max_hops_;
  int destination_hop_ = -1, unreachable_hop_ = -1;
  std::map<int, HopStats> hops_;
};

// FNV-1a 32 of the hop addresses in TTL order, each followed by '\n'
// ("*" for a silent hop): the same path gives the same id in every process
// and on every run; a changed, added or removed hop changes it. 32 bits, so
// the value is exact in a float64 sample.
inline uint32_t PathId(const std::vector<HopStats>& hops) {
  uint32_t h = 2166136261u;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 16777619u;
  };
  for (const auto& hop : hops) {
    for (char c : hop.Address()) mix(static_cast<unsigned char>(c));
    mix('\n');
  }
  return h;
}

// The hops as `mtr --report -n` lays them out: a HOST header line, then one
// line per hop (Loss% Snt Last Avg Best Wrst StDev, times in milliseconds);
// a silent hop is "???"; when several addresses answered one hop, the
// others follow on their own lines.
inline std::string MtrReport(const std::string& local_host,
                             const std::vector<HopStats>& hops) {
  // The host column is as wide as the longest address (at least mtr's 26).
  size_t width = 26;
  for (const auto& h : hops)
    for (const auto& r : h.responders)
      width = std::max(width, r.first.size() + 2);
  std::string out;
  char buf[256];
  std::string head = "HOST: " + local_host;
  const size_t col = width + 8;  // "NNN.|-- " is 8 wide
  if (head.size() < col) head.append(col - head.size(), ' ');
  out += head + "  Loss%   Snt   Last    Avg   Best   Wrst  StDev\n";
  for (const auto& h : hops) {
    std::string name = h.responders.empty() ? "???" : h.Address();
    snprintf(buf, sizeof buf,
             "%3d.|-- %-*s %5.1f%% %5d %6.1f %6.1f %6.1f %6.1f %6.1f\n", h.ttl,
             static_cast<int>(width), name.c_str(), h.Loss() * 100, h.sent,
             h.received ? h.last * 1e3 : 0.0, h.Avg() * 1e3,
             h.received ? h.best * 1e3 : 0.0, h.received ? h.worst * 1e3 : 0.0,
             h.StdDev() * 1e3);
    out += buf;
    for (const auto& r : h.responders) {
      if (r.first == name) continue;
      snprintf(buf, sizeof buf, "    |-- %s (%d of %d)\n", r.first.c_str(),
               r.second, h.received);
      out += buf;
    }
  }
  return out;
}

// The trace's series (see the README's traceroute section).
inline void AddTraceMetrics(const Trace& trace,
                            std::vector<prometheus::MetricFamily>* out) {
  const std::vector<HopStats> hops = trace.Hops();
  Family info = Family::Info(
      "probe_traceroute_hop_info",
      "The address that answered each hop (TTL) most often; \"*\" when none "
      "did");
  Family loss = Family::Gauge(
      "probe_traceroute_hop_loss_ratio",
      "Share of the probes of each hop (TTL) that got no answer in time");
  // One gauge per statistic, as the icmp prober's probe_icmp_rtt_*_seconds:
  // a {stat} label would make sum() or avg() over it meaningless.
  Family last = Family::Gauge(
      "probe_traceroute_hop_rtt_last_seconds",
      "Round-trip time of the last answered probe of each hop (TTL)");
  Family min = Family::Gauge(
      "probe_traceroute_hop_rtt_min_seconds",
      "Shortest round-trip time of the answered probes of each hop (TTL)");
  Family avg = Family::Gauge(
      "probe_traceroute_hop_rtt_avg_seconds",
      "Mean round-trip time of the answered probes of each hop (TTL)");
  Family max = Family::Gauge(
      "probe_traceroute_hop_rtt_max_seconds",
      "Longest round-trip time of the answered probes of each hop (TTL)");
  Family stddev = Family::Gauge(
      "probe_traceroute_hop_rtt_stddev_seconds",
      "Sample standard deviation of the round-trip times of the answered "
      "probes of each hop (TTL)");
  for (const auto& h : hops) {
    const std::string hop = std::to_string(h.ttl);
    info.Add({{"address", h.Address()}, {"hop", hop}});
    loss.Add({{"hop", hop}}, h.Loss());
    if (h.received == 0) continue;
    last.Add({{"hop", hop}}, h.last);
    min.Add({{"hop", hop}}, h.best);
    avg.Add({{"hop", hop}}, h.Avg());
    max.Add({{"hop", hop}}, h.worst);
    stddev.Add({{"hop", hop}}, h.StdDev());
  }
  info.MoveTo(out);
  loss.MoveTo(out);
  for (Family* f : {&last, &min, &avg, &max, &stddev}) f->MoveTo(out);
  AddScalar(out, "probe_traceroute_hops",
            "Hops to the destination; where the path ended, or max_hops, when "
            "it was not reached",
            trace.LastHop());
  AddScalar(out, "probe_traceroute_destination_reached",
            "1 if the destination answered within max_hops",
            trace.reached() ? 1 : 0);
  AddScalar(out, "probe_traceroute_path_id",
            "FNV-1a 32 hash of the hop addresses in order: changes when the "
            "path does",
            PathId(hops));
}

}  // namespace exporterd::blackbox::traceroute

#endif  // EXPORTERD_BLACKBOX_TRACEROUTE_HOPS_H_
