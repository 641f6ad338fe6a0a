// Adaptec / Microsemi / Microchip SmartRAID (arcconf) output parser.
//
// Binary to look for on PATH: arcconf. It writes UcliEvt.log into its
// working directory, so run it from a private temporary directory.
//
// ToolOutputs keys read (n is arcconf's controller number, from 1):
//   "config.<n>"  `arcconf GETCONFIG <n> AL`  (controller, battery/ZMM/
//                 backup unit, logical and physical devices). Its first
//                 line, "Controllers found: N", gives the controller count.
//   "status.<n>"  `arcconf GETSTATUS <n>`  (running task and its
//                 percentage; optional, used for rebuild progress).
// The module runs ArcconfCommands() first, then
// ArcconfFollowUpCommands(first outputs) for controllers 2..N.
#ifndef EXPORTERD_RAID_PARSE_ARCCONF_H_
#define EXPORTERD_RAID_PARSE_ARCCONF_H_

#include <string>
#include <utility>
#include <vector>

#include "raid_model.h"

namespace exporterd::raid {

// Binary names to probe on PATH, in order of preference.
std::vector<std::string> ArcconfBinaryNames();

// Commands for controller 1: {"config.1", GETCONFIG 1 AL},
// {"status.1", GETSTATUS 1}.
std::vector<std::pair<std::string, std::vector<std::string>>> ArcconfCommands();

// Commands for controllers 2..N, where N is "Controllers found: N" in
// first["config.1"] (capped at 32). Empty when there is one controller or
// none, or the count cannot be read.
std::vector<std::pair<std::string, std::vector<std::string>>>
ArcconfFollowUpCommands(const ToolOutputs& first);

ParseResult ParseArcconf(const ToolOutputs& outputs);

}  // namespace exporterd::raid

#endif  // EXPORTERD_RAID_PARSE_ARCCONF_H_
