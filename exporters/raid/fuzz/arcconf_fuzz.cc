// libFuzzer target: the arcconf parser must not crash on any input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "parse_arcconf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  exporterd::raid::ParseArcconf({{"config.1", text}, {"status.1", text}});
  exporterd::raid::ArcconfFollowUpCommands({{"config.1", text}});
  return 0;
}
