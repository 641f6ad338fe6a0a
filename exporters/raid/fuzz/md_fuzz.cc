// libFuzzer target: the md parser and the emission of its report.
#include "fuzz_tool.h"
#include "parse_md.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return exporterd::raid::FuzzTool("md", {"mdstat"}, exporterd::raid::ParseMd,
                                   data, size);
}
