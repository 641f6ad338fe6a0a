// libFuzzer: snmp.yml text -> Config (both layouts), then a plan for every
// module. Never crashes, whatever the YAML.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plan.h"
#include "snmp_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  exporterd::snmp::Config c;
  exporterd::ConfigErrors e;
  exporterd::snmp::ParseConfigText(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.yml",
      &c, &e);
  exporterd::snmp::LoadOptions o;
  o.expand_environment_variables = true;
  o.getenv = [](const std::string& n) -> std::optional<std::string> {
    if (n.size() % 2) return std::nullopt;
    return n;
  };
  exporterd::snmp::FinishConfig(o, &c, &e);
  std::vector<exporterd::snmp::ModuleFetch> fetches;
  for (const auto& [name, m] : c.modules)
    fetches.push_back(exporterd::snmp::UnfilteredFetch(m));
  exporterd::snmp::MergeFetches(fetches);
  return 0;
}
