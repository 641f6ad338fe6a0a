// libFuzzer target: the megacli parser and the emission of its report must
// never crash. The first byte picks which key(s) the input is fed under.
#include <cstddef>
#include <cstdint>
#include <string>

#include "parse_megacli.h"
#include "raid_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace exporterd::raid;
  const char* keys[] = {"ldinfo", "pdlist", "bbu", "ldpdinfo"};
  constexpr size_t kKeys = sizeof(keys) / sizeof(keys[0]);
  ToolOutputs out;
  std::string in(reinterpret_cast<const char*>(data), size);
  size_t pick =
      in.empty() ? 0 : static_cast<unsigned char>(in[0]) % (kKeys + 1);
  if (!in.empty()) in.erase(0, 1);
  if (pick == kKeys) {
    for (const char* k : keys) out[k] = in;
  } else {
    out[keys[pick]] = in;
  }
  ParseResult r = ParseMegacli(out);
  ToolResult t{"megacli", r.ok, r.error, r.report};
  (void)ToFamilies({t});
  return 0;
}
