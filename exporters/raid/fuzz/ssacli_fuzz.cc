// libFuzzer target: the ssacli parser and the emission of its report.
#include "fuzz_tool.h"
#include "parse_ssacli.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return exporterd::raid::FuzzTool("ssacli", {"config", "status"},
                                   exporterd::raid::ParseSsacli, data, size);
}
