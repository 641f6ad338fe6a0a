// The I/O side of the raid module: finding a vendor CLI in a fixed list of
// directories and running its commands through the core's runner within a
// deadline.
#ifndef EXPORTERD_RAID_TOOL_RUNNER_H_
#define EXPORTERD_RAID_TOOL_RUNNER_H_

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "raid_model.h"

namespace exporterd::raid {

using SteadyTime = std::chrono::steady_clock::time_point;
using Commands = std::vector<std::pair<std::string, std::vector<std::string>>>;

// One vendor tool the module knows how to run.
struct ToolSpec {
  std::string tool;                // label value: "storcli"
  std::vector<std::string> names;  // binaries to look for, in order
  Commands commands;               // (key, argv after the binary)
  std::function<ParseResult(const ToolOutputs&)> parse;
  // A non-zero exit is still parsed when stdout contains this (storcli's
  // JSON envelope, MegaCli's "Exit Code:" line): those tools exit non-zero
  // for "no controller" / "no BBU", which the parser understands. Empty:
  // any non-zero exit is a failure.
  std::string nonzero_ok_marker;
  // Optional: commands that depend on the first ones' output (per-controller
  // commands after an enumeration), run after `commands`.
  std::function<Commands(const ToolOutputs&)> follow_up;
};

// Where vendor tools (and a bare-named wrapper such as sudo) are looked for
// unless `tool_dirs` says otherwise: the usual bin directories, then the
// vendors' own install directories. Never the daemon's PATH: the tools run
// as root through sudo, and an inherited PATH is not trusted.
const std::vector<std::string>& DefaultToolDirs();

// `dir` without "." / ".." components, repeated or trailing slashes ("/usr/
// sbin/" -> "/usr/sbin"); empty when `dir` is not absolute.
std::string NormalizeToolDir(const std::string& dir);

// The first `names` entry that is an executable regular file in one of
// `dirs` (tried in order for each name, names first); empty when none is.
std::string FindBinary(const std::vector<std::string>& names,
                       const std::vector<std::string>& dirs);

// Runs every command of `spec` with `prefix` (the binary, or a configured
// argv such as {"sudo", "-n", "/usr/sbin/storcli64"}) in `cwd`, never past
// `deadline`, then parses. Any failure (spawn, timeout, signal, non-zero
// exit, unparsable output) gives up=false with a one-line error.
ToolResult RunTool(const ToolSpec& spec, const std::vector<std::string>& prefix,
                   const std::string& cwd, SteadyTime deadline);

}  // namespace exporterd::raid

#endif  // EXPORTERD_RAID_TOOL_RUNNER_H_
