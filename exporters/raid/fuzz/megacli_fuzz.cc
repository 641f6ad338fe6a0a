// libFuzzer target: the megacli parser and the emission of its report.
#include "fuzz_tool.h"
#include "parse_megacli.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return exporterd::raid::FuzzTool("megacli",
                                   {"ldinfo", "pdlist", "bbu", "ldpdinfo"},
                                   exporterd::raid::ParseMegacli, data, size);
}
