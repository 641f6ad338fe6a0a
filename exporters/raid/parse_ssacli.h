// HPE Smart Array (ssacli / hpssacli / hpacucli) output parser.
//
// Binaries to look for on PATH, in order: ssacli, hpssacli, hpacucli (all
// three accept the same commands and print the same format).
//
// ToolOutputs keys read:
//   "config"  `ssacli ctrl all show config detail`  (controllers, cache,
//             battery, arrays, logical and physical drives). The one-line
//             layout of `ctrl all show config` / `ctrl slot=N ld all show`
//             is understood too.
//   "status"  `ssacli ctrl all show status`  (controller, cache and
//             battery/capacitor status).
// Either key may be missing; outputs for the same controller are merged.
#ifndef EXPORTERD_RAID_PARSE_SSACLI_H_
#define EXPORTERD_RAID_PARSE_SSACLI_H_

#include <string>
#include <utility>
#include <vector>

#include "raid_model.h"

namespace exporterd::raid {

// (key, argv without the binary) for every command the module should run.
std::vector<std::pair<std::string, std::vector<std::string>>> SsacliCommands();

// Binary names to probe on PATH, in order of preference.
std::vector<std::string> SsacliBinaryNames();

ParseResult ParseSsacli(const ToolOutputs& outputs);

}  // namespace exporterd::raid

#endif  // EXPORTERD_RAID_PARSE_SSACLI_H_
