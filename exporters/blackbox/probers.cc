// The probers this build has, by the name blackbox.yml's `prober` uses.
// One line per prober; icmp, dns, grpc, unix, websocket and traceroute join
// here as they are written.
#include "probe.h"

namespace exporterd::blackbox {

const std::map<std::string, std::unique_ptr<Prober>>& Probers() {
  static const auto* probers = [] {
    auto* m = new std::map<std::string, std::unique_ptr<Prober>>;
    (*m)["http"] = MakeHttpProber();
    (*m)["tcp"] = MakeTcpProber();
    return m;
  }();
  return *probers;
}

}  // namespace exporterd::blackbox
