// The body shared by the RAID parsers' libFuzzer targets: a parser and the
// emission of its report must never crash. The first input byte picks the
// output key the rest is fed under, or (one past the last key) all of them.
#ifndef EXPORTERD_RAID_FUZZ_FUZZ_TOOL_H_
#define EXPORTERD_RAID_FUZZ_FUZZ_TOOL_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "raid_model.h"

namespace exporterd::raid {

inline int FuzzTool(const char* tool, std::initializer_list<const char*> keys,
                    ParseResult (*parse)(const ToolOutputs&),
                    const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  const size_t pick =
      in.empty() ? 0 : static_cast<unsigned char>(in[0]) % (keys.size() + 1);
  if (!in.empty()) in.erase(0, 1);
  ToolOutputs out;
  size_t i = 0;
  for (const char* k : keys)
    if (pick == keys.size() || pick == i++) out[k] = in;
  ParseResult r = parse(out);
  std::vector<ToolResult> results(1);
  results[0] = {tool, r.ok, std::move(r.error), std::move(r.report)};
  (void)ToFamilies(results);
  return 0;
}

}  // namespace exporterd::raid

#endif  // EXPORTERD_RAID_FUZZ_FUZZ_TOOL_H_
