// libFuzzer target: the arcconf parser and the emission of its report.
#include "fuzz_tool.h"
#include "parse_arcconf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return exporterd::raid::FuzzTool("arcconf", {"config.1", "status.1"},
                                   exporterd::raid::ParseArcconf, data, size);
}
