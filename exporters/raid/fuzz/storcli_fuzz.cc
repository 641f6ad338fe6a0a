// libFuzzer target: the storcli parser and the emission of its report.
#include "fuzz_tool.h"
#include "parse_storcli.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return exporterd::raid::FuzzTool("storcli",
                                   {"show_all", "drives", "cv", "bbu"},
                                   exporterd::raid::ParseStorcli, data, size);
}
