// 3ware / AMCC / LSI 9xxx (tw_cli) output parser.
//
// Binaries to look for on PATH, in order: tw_cli, tw-cli, tw_cli-9xxx.
//
// ToolOutputs keys read:
//   "show"          `tw_cli show`  (controller table: Ctl, Model, NotOpt,
//                   BBU, ...).
//   "ctrl.<cN>"     `tw_cli /<cN> show all`  ("/cN Key = value" header,
//                   unit table, drive table in either the old "Port" or
//                   the >= 9.5.2 "VPort" layout, BBU table).
//   "ctrl.<cN>.<x>" optional, parsed like "ctrl.<cN>" and merged: lets the
//                   module run the tables separately (`/cN show
//                   unitstatus`, `/cN show drivestatus`, `/cN/bbu show
//                   all`; <x> is free-form).
// tw_cli prints no controller status: the controller's state is the NotOpt
// column of `show`, rendered "NotOpt=<n>" (units not OK/VERIFYING); health
// is ok for 0, warning otherwise (the units carry the real severity).
#ifndef EXPORTERD_RAID_PARSE_TW_CLI_H_
#define EXPORTERD_RAID_PARSE_TW_CLI_H_

#include <string>
#include <utility>
#include <vector>

#include "raid_model.h"

namespace exporterd::raid {

// Binary names to probe on PATH, in order of preference.
std::vector<std::string> TwCliBinaryNames();

// {"show", {"show"}}.
std::vector<std::pair<std::string, std::vector<std::string>>> TwCliCommands();

// {"ctrl.<cN>", {"/<cN>", "show", "all"}} for every controller in
// first["show"].
std::vector<std::pair<std::string, std::vector<std::string>>>
TwCliFollowUpCommands(const ToolOutputs& first);

ParseResult ParseTwCli(const ToolOutputs& outputs);

}  // namespace exporterd::raid

#endif  // EXPORTERD_RAID_PARSE_TW_CLI_H_
