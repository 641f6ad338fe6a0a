// libFuzzer target: the ssacli parser must not crash on any input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "parse_ssacli.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  exporterd::raid::ParseSsacli({{"config", text}, {"status", text}});
  return 0;
}
