// Broadcom/LSI MegaRAID storcli (also Dell perccli, and mpt3sas HBAs under
// either) JSON output parser.
//
// Binaries to look for on PATH, in order: storcli64, storcli, perccli64,
// perccli (also /opt/MegaRAID/storcli/, /opt/MegaRAID/perccli/).
//
// ToolOutputs keys read:
//   "show_all"  `storcli64 /call show all J nolog`  controllers (status,
//               model, ROC temperature, BBU Status bits), VD LIST, PD LIST
//               (or an HBA's "Physical Device Information"),
//               Cachevault_Info / BBU_Info.
//   "drives"    `storcli64 /call/eall/sall show all J nolog`  per-drive rows
//               plus "Detailed Information" (media/other error counters,
//               predictive failures, S.M.A.R.T flag, temperature).
//   "cv", "bbu" (optional) `/cx/cv show all J`, `/cx/bbu show all J`:
//               refine the battery state ("Replacement required"); a
//               "use /cx/cv" answer from /bbu means "no BBU", not a failure.
// "show_all" is required; the others may be missing.
//
// Native storcli JSON (tabs, `"Key" : value`) and re-serialized JSON are
// the same to the JSON parser. "No Controller found" is ok with an empty
// report. Pure function: no I/O.
#ifndef EXPORTERD_RAID_PARSE_STORCLI_H_
#define EXPORTERD_RAID_PARSE_STORCLI_H_

#include <string>
#include <utility>
#include <vector>

#include "raid_model.h"

namespace exporterd::raid {

// (key, argv without the binary) for every command the module runs.
std::vector<std::pair<std::string, std::vector<std::string>>> StorcliCommands();

// Binary names to probe on PATH, in order of preference.
std::vector<std::string> StorcliBinaryNames();

ParseResult ParseStorcli(const ToolOutputs& outputs);

// Health of storcli state abbreviations (exposed for tests and docs).
Health StorcliControllerHealth(const std::string& status);
Health StorcliVirtualDriveHealth(const std::string& state);
Health StorcliPhysicalDriveHealth(const std::string& state);
Health StorcliBatteryHealth(const std::string& state);

}  // namespace exporterd::raid

#endif  // EXPORTERD_RAID_PARSE_STORCLI_H_
