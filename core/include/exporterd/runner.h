// Runs an external tool (RAID CLIs, bconsole) safely: an argument vector and
// never a shell, a controlled environment, its own process group, a timeout
// after which the whole group is killed and reaped, and caps on captured
// output.
#ifndef EXPORTERD_RUNNER_H_
#define EXPORTERD_RUNNER_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace exporterd {

struct RunOptions {
  std::chrono::milliseconds timeout{10000};
  // Captured bytes per stream; the rest is read and thrown away so the child
  // never blocks on a full pipe.
  size_t max_stdout = 16u << 20;
  size_t max_stderr = 64u << 10;
  // Complete environment of the child ("KEY=value"). Empty means the default:
  // PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin,
  // LC_ALL=C.
  std::vector<std::string> env;
  // Data written to the child's stdin, then closed. Empty: /dev/null.
  std::string stdin_data;
  std::string cwd;  // empty: inherit
};

struct RunResult {
  bool started = false;  // false: could not spawn (see error)
  bool timed_out = false;
  int exit_code = -1;   // valid when exited normally
  int term_signal = 0;  // signal that ended it, if any
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::string out;
  std::string err;
  std::string error;  // spawn failure or timeout description
  std::chrono::milliseconds duration{0};

  // Exited normally with status 0, not timed out.
  bool Success() const {
    return started && !timed_out && term_signal == 0 && exit_code == 0;
  }
};

// argv[0] is the program: a path, or a name searched in the child's PATH.
// Thread-safe. Never throws for failures of the child; see RunResult.
RunResult Run(const std::vector<std::string>& argv,
              const RunOptions& opts = {});

}  // namespace exporterd

#endif  // EXPORTERD_RUNNER_H_
