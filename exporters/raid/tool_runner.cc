#include "tool_runner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "exporterd/runner.h"

namespace exporterd::raid {
namespace {

// Left for killing and reaping a timed-out child before the deadline.
constexpr std::chrono::milliseconds kReapMargin{50};
// Not worth starting a command with less than this.
constexpr std::chrono::milliseconds kMinTimeout{20};

std::string FirstLine(const std::string& s) {
  size_t start = s.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return {};
  size_t end = s.find_first_of("\r\n", start);
  std::string line =
      s.substr(start, end == std::string::npos ? end : end - start);
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

}  // namespace

const std::vector<std::string>& DefaultToolDirs() {
  // The usual directories, then where the storcli, perccli and MegaCli
  // packages and Adaptec's arcconf install (the list this module has always
  // searched besides PATH). README.md documents it.
  static const std::vector<std::string> dirs = {
      "/usr/local/sbin",
      "/usr/local/bin",
      "/usr/sbin",
      "/usr/bin",
      "/sbin",
      "/bin",
      "/opt/MegaRAID/storcli",
      "/opt/MegaRAID/perccli",
      "/opt/MegaRAID/MegaCli",
      "/usr/Arcconf",
  };
  return dirs;
}

std::string NormalizeToolDir(const std::string& dir) {
  if (dir.empty() || dir[0] != '/') return {};
  std::string s = std::filesystem::path(dir).lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::string FindBinary(const std::vector<std::string>& names,
                       const std::vector<std::string>& dirs) {
  for (const std::string& name : names) {
    for (const std::string& dir : dirs) {
      std::string p = dir + "/" + name;
      struct stat st;
      if (stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
          access(p.c_str(), X_OK) == 0)
        return p;
    }
  }
  return {};
}

ToolResult RunTool(const ToolSpec& spec, const std::vector<std::string>& prefix,
                   const std::string& cwd, SteadyTime deadline) {
  ToolResult res;
  res.tool = spec.tool;
  ToolOutputs outputs;
  // Runs `cmds` into `outputs`; false (with res.error set) on a failure.
  auto run_all = [&](const Commands& cmds) -> bool {
    for (const auto& [key, args] : cmds) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now()) -
                  kReapMargin;
      if (left < kMinTimeout) {
        res.error = key + ": no time left before the scrape deadline";
        return false;
      }
      std::vector<std::string> argv = prefix;
      argv.insert(argv.end(), args.begin(), args.end());
      RunOptions opts;
      opts.timeout = left;
      opts.cwd = cwd;
      RunResult r = Run(argv, opts);
      if (!r.started) {
        res.error =
            key + ": " + (r.error.empty() ? "could not start" : r.error);
        return false;
      }
      if (r.timed_out) {
        res.error = key + ": timed out after " +
                    std::to_string(r.duration.count()) + "ms (killed)";
        return false;
      }
      if (r.term_signal != 0) {
        res.error = key + ": killed by signal " + std::to_string(r.term_signal);
        return false;
      }
      if (r.exit_code != 0 &&
          (spec.nonzero_ok_marker.empty() ||
           r.out.find(spec.nonzero_ok_marker) == std::string::npos)) {
        std::string why = FirstLine(r.err);
        if (why.empty()) why = FirstLine(r.out);
        res.error = key + ": exit status " + std::to_string(r.exit_code) +
                    (why.empty() ? "" : ": " + why);
        return false;
      }
      if (r.stdout_truncated) {
        res.error = key + ": output too large";
        return false;
      }
      outputs[key] = std::move(r.out);
    }
    return true;
  };
  if (!run_all(spec.commands)) return res;
  if (spec.follow_up && !run_all(spec.follow_up(outputs))) return res;
  ParseResult p = spec.parse(outputs);
  if (!p.ok) {
    res.error = p.error.empty() ? "output not understood" : p.error;
    return res;
  }
  res.up = true;
  res.report = std::move(p.report);
  return res;
}

}  // namespace exporterd::raid
