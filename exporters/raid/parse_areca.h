// Areca ARC-1xxx (cli64 / cli32) output parser.
//
// Binaries to look for on PATH, in order: cli64, cli32, areca-cli,
// areca.cli64. Each command is run non-interactively (`cli64 rsf info`)
// against the current controller (controller "1").
//
// ToolOutputs keys read:
//   "rsf"   `cli64 rsf info`   raid sets -> logical drives (id = raid set
//           name, as the disk table's Usage column names it; level empty:
//           rsf has none).
//   "disk"  `cli64 disk info`  disks -> physical drives; both the "Ch#"
//           and the expander "Enc# Slot#" layouts. Empty slots (N.A.) are
//           skipped.
// `vsf info` and `hw info` are documented in the spec but no capture of
// either exists, so they are neither run nor parsed (no volume sets, no
// battery, no controller entry for Areca yet).
#ifndef EXPORTERD_RAID_PARSE_ARECA_H_
#define EXPORTERD_RAID_PARSE_ARECA_H_

#include <string>
#include <utility>
#include <vector>

#include "raid_model.h"

namespace exporterd::raid {

// Binary names to probe on PATH, in order of preference.
std::vector<std::string> ArecaBinaryNames();

// {"rsf", {"rsf", "info"}}, {"disk", {"disk", "info"}}.
std::vector<std::pair<std::string, std::vector<std::string>>> ArecaCommands();

ParseResult ParseAreca(const ToolOutputs& outputs);

}  // namespace exporterd::raid

#endif  // EXPORTERD_RAID_PARSE_ARECA_H_
