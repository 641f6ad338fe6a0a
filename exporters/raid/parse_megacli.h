// Legacy LSI MegaCli / MegaCli64 text output parser.
//
// Binaries to look for on PATH, in order: MegaCli64, MegaCli, megacli (also
// /opt/MegaRAID/MegaCli/). MegaCli writes MegaSAS.log/CmdTool.log into its
// working directory: the module runs it in a private temp dir.
//
// ToolOutputs keys read (each optional, at least one required):
//   "ldinfo"    `MegaCli64 -LDInfo -Lall -aALL -NoLog`     virtual drives
//   "pdlist"    `MegaCli64 -PDList -aALL -NoLog`           physical drives
//   "bbu"       `MegaCli64 -AdpBbuCmd -GetBbuStatus -aALL -NoLog`  battery
//   "ldpdinfo"  `MegaCli64 -LDPDInfo -aALL -NoLog`         VDs + member PDs
//
// MegaCli reports no controller status in these commands, so the report has
// no controllers; VDs are "<adapter>/<vd>", PDs "<enclosure>:<slot>".
// CacheCade VDs are skipped. "Get BBU Status Failed" (exit code 0x22, no
// BBU) means no battery, not a failure. Pure function: no I/O.
#ifndef EXPORTERD_RAID_PARSE_MEGACLI_H_
#define EXPORTERD_RAID_PARSE_MEGACLI_H_

#include <string>
#include <utility>
#include <vector>

#include "raid_model.h"

namespace exporterd::raid {

// (key, argv without the binary) for every command the module runs.
std::vector<std::pair<std::string, std::vector<std::string>>> MegacliCommands();

// Binary names to probe on PATH, in order of preference.
std::vector<std::string> MegacliBinaryNames();

ParseResult ParseMegacli(const ToolOutputs& outputs);

Health MegacliVirtualDriveHealth(const std::string& state);
// `state` with the ", Spun Up/down" suffix already removed.
Health MegacliPhysicalDriveHealth(const std::string& state);

}  // namespace exporterd::raid

#endif  // EXPORTERD_RAID_PARSE_MEGACLI_H_
