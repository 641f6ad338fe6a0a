// libFuzzer target: the areca parser and the emission of its report.
#include "fuzz_tool.h"
#include "parse_areca.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return exporterd::raid::FuzzTool("areca", {"rsf", "disk"},
                                   exporterd::raid::ParseAreca, data, size);
}
