// The prober registry. Each <name>_prober.cc adds itself with
// EXPORTERD_BLACKBOX_PROBER; the library is an OBJECT library, so every
// prober's object (and its registration) is linked wherever it is used.
#include "probe.h"

namespace exporterd::blackbox {
namespace {

std::map<std::string, std::unique_ptr<Prober>>& Registry() {
  // Never destroyed: probes may still run while statics are torn down.
  static auto* probers = new std::map<std::string, std::unique_ptr<Prober>>;
  return *probers;
}

}  // namespace

bool RegisterProber(const char* name, std::unique_ptr<Prober> prober) {
  Registry()[name] = std::move(prober);
  return true;
}

const std::map<std::string, std::unique_ptr<Prober>>& Probers() {
  return Registry();
}

}  // namespace exporterd::blackbox
