// libFuzzer target: the tw_cli parser must not crash on any input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "parse_tw_cli.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  exporterd::raid::ParseTwCli({{"show", text}, {"ctrl.c0", text}});
  exporterd::raid::TwCliFollowUpCommands({{"show", text}});
  return 0;
}
