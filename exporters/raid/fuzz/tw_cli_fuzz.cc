// libFuzzer target: the tw_cli parser and the emission of its report.
#include "fuzz_tool.h"
#include "parse_tw_cli.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return exporterd::raid::FuzzTool("tw_cli", {"show", "ctrl.c0"},
                                   exporterd::raid::ParseTwCli, data, size);
}
