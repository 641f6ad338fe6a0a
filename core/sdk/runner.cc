// Run(): posix_spawn with a controlled environment, its own process group,
// pipes serviced by poll(), a steady_clock timeout and group kill + reap.
#include "exporterd/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

namespace exporterd {
namespace {

using Clock = std::chrono::steady_clock;

// Environment used when RunOptions::env is empty.
constexpr const char* kDefaultEnv[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LC_ALL=C",
};
// Searched when the child's environment has no PATH (as execvp does).
constexpr std::string_view kFallbackSearchPath = "/bin:/usr/bin";
// Size of one read() or write() on the pipes.
constexpr size_t kChunk = 64u << 10;
// After the child exited and its group was killed: how long to wait for EOF
// from processes that still hold the pipes (e.g. ones that left the group).
constexpr auto kExitGrace = std::chrono::milliseconds(200);
// Bounds the final non-blocking drain of a pipe (kChunk bytes per read).
constexpr int kMaxDrainReads = 64;
// Longest poll() sleep while watching for exit without a pidfd.
constexpr int kMaxExitPollMs = 50;

// Picks the message from either strerror_r variant (GNU or XSI).
[[maybe_unused]] const char* StrerrorResult(const char* msg, const char*) {
  return msg;
}
[[maybe_unused]] const char* StrerrorResult(int rc, const char* buf) {
  return rc == 0 ? buf : "Unknown error";
}

std::string ErrnoString(int err) {
  char buf[256] = {};
  return StrerrorResult(strerror_r(err, buf, sizeof(buf)), buf);
}

// "2s" for whole seconds, else "300ms".
std::string FormatDuration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  // Closes the current descriptor (EINTR is not retried: on Linux the
  // descriptor is gone either way) and takes ownership of `fd`.
  void Reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Makes sure `fd` is not 0, 1 or 2 so the dup2() actions onto the child's
// stdio cannot clobber one another. Returns 0 or an errno value.
int MoveAboveStdio(Fd* fd) {
  if (fd->get() > STDERR_FILENO) return 0;
  const int moved = fcntl(fd->get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  if (moved < 0) return errno;
  fd->Reset(moved);
  return 0;
}

// pipe2(O_CLOEXEC); the end kept by the parent (`parent_reads` says which)
// is made non-blocking. Returns 0 or an errno value.
int MakePipe(Fd* read_end, Fd* write_end, bool parent_reads) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return errno;
  read_end->Reset(p[0]);
  write_end->Reset(p[1]);
  if (int err = MoveAboveStdio(read_end)) return err;
  if (int err = MoveAboveStdio(write_end)) return err;
  const int parent_fd = parent_reads ? read_end->get() : write_end->get();
  const int flags = fcntl(parent_fd, F_GETFL);
  if (flags < 0 || fcntl(parent_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return errno;
  }
  return 0;
}

// Value of PATH in `env` (first entry wins, as with getenv()), if any.
std::optional<std::string_view> FindPath(const std::vector<const char*>& env) {
  for (const char* entry : env) {
    if (entry == nullptr) break;
    std::string_view kv(entry);
    if (kv.starts_with("PATH=")) return kv.substr(5);
  }
  return std::nullopt;
}

// Resolves `prog` like execvp() but against the child's PATH. Names with a
// '/' are used as they are. Empty and relative PATH entries are skipped: the
// child's working directory is not a place to look for programs. Returns 0
// or an errno value (EACCES if only non-executable candidates were seen).
int ResolveProgram(const std::string& prog, const std::vector<const char*>& env,
                   std::string* path) {
  if (prog.find('/') != std::string::npos) {
    *path = prog;
    return 0;
  }
  const std::string_view search = FindPath(env).value_or(kFallbackSearchPath);
  bool saw_eacces = false;
  size_t begin = 0;
  while (begin <= search.size()) {
    size_t end = search.find(':', begin);
    if (end == std::string_view::npos) end = search.size();
    const std::string_view dir = search.substr(begin, end - begin);
    begin = end + 1;
    if (dir.empty() || dir.front() != '/') continue;
    std::string candidate(dir);
    if (candidate.back() != '/') candidate += '/';
    candidate += prog;
    struct stat st;
    if (stat(candidate.c_str(), &st) != 0) {
      if (errno == EACCES) saw_eacces = true;
      continue;
    }
    if (!S_ISREG(st.st_mode) ||
        faccessat(AT_FDCWD, candidate.c_str(), X_OK, AT_EACCESS) != 0) {
      saw_eacces = true;
      continue;
    }
    *path = std::move(candidate);
    return 0;
  }
  return saw_eacces ? EACCES : ENOENT;
}

class SpawnFileActions {
 public:
  SpawnFileActions() = default;
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;
  ~SpawnFileActions() {
    if (initialized_) posix_spawn_file_actions_destroy(&actions_);
  }
  int Init() {
    const int err = posix_spawn_file_actions_init(&actions_);
    initialized_ = err == 0;
    return err;
  }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
  bool initialized_ = false;
};

class SpawnAttr {
 public:
  SpawnAttr() = default;
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
  ~SpawnAttr() {
    if (initialized_) posix_spawnattr_destroy(&attr_);
  }
  int Init() {
    const int err = posix_spawnattr_init(&attr_);
    initialized_ = err == 0;
    return err;
  }
  posix_spawnattr_t* get() { return &attr_; }

 private:
  posix_spawnattr_t attr_;
  bool initialized_ = false;
};

// Blocks SIGPIPE in the calling thread while alive, so writing to a pipe the
// child closed yields EPIPE instead of killing the process.
class SigpipeBlocker {
 public:
  SigpipeBlocker() {
    sigset_t pending;
    sigemptyset(&pending);
    was_pending_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &saved_);
  }
  SigpipeBlocker(const SigpipeBlocker&) = delete;
  SigpipeBlocker& operator=(const SigpipeBlocker&) = delete;
  ~SigpipeBlocker() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

  // Discards the SIGPIPE an EPIPE write left pending for this thread, unless
  // one was already pending before (that one is not ours to take).
  void ConsumeOwnSigpipe() {
    if (was_pending_) return;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    const timespec zero = {0, 0};
    while (sigtimedwait(&set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }

 private:
  sigset_t saved_;
  bool was_pending_ = false;
};

// One captured output stream.
struct Capture {
  Fd fd;
  std::string* buf;
  size_t cap;
  bool* truncated;
};

enum class ReadResult { kData, kEmpty, kDone };

// One read() into `c`; past the cap the bytes are dropped. On kDone (EOF or
// a read error) the descriptor is closed.
ReadResult ReadOnce(Capture* c, char* scratch) {
  ssize_t n;
  do {
    n = read(c->fd.get(), scratch, kChunk);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    return ReadResult::kEmpty;
  }
  if (n <= 0) {
    c->fd.Reset();
    return ReadResult::kDone;
  }
  const size_t got = static_cast<size_t>(n);
  const size_t room = c->cap - std::min(c->cap, c->buf->size());
  c->buf->append(scratch, std::min(got, room));
  if (got > room) *c->truncated = true;
  return ReadResult::kData;
}

// Reads what is already buffered in the pipe without waiting, then closes it.
void Drain(Capture* c, char* scratch) {
  for (int i = 0; i < kMaxDrainReads && c->fd; ++i) {
    if (ReadOnce(c, scratch) != ReadResult::kData) break;
  }
  c->fd.Reset();
}

enum class ChildState { kRunning, kExited, kUnknown };

// Whether `pid` has terminated, without reaping it (WNOWAIT): while it is an
// unreaped zombie its pid, and so its process group id, cannot be reused.
ChildState PeekChild(pid_t pid, int* err) {
  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  while (waitid(P_PID, static_cast<id_t>(pid), &info,
                WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno != EINTR) {
      *err = errno;
      return ChildState::kUnknown;
    }
  }
  return info.si_pid == 0 ? ChildState::kRunning : ChildState::kExited;
}

// SIGKILLs the child's process group and the child itself (in case it left
// the group). Only call while the child is not yet reaped.
void KillGroup(pid_t pid) {
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
}

// Blocking waitpid(). Returns 0 or an errno value.
int Reap(pid_t pid, int* status) {
  while (waitpid(pid, status, 0) < 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

// Reaps the child if Run() is left without doing so (only by an exception
// such as std::bad_alloc), after killing its group.
class ChildReaper {
 public:
  explicit ChildReaper(pid_t pid) : pid_(pid) {}
  ChildReaper(const ChildReaper&) = delete;
  ChildReaper& operator=(const ChildReaper&) = delete;
  ~ChildReaper() {
    if (pid_ < 0) return;
    KillGroup(pid_);
    int status;
    Reap(pid_, &status);
  }
  void Release() { pid_ = -1; }

 private:
  pid_t pid_;
};

// start + timeout, saturating; a non-positive timeout expires at once.
Clock::time_point Deadline(Clock::time_point start,
                           std::chrono::milliseconds timeout) {
  if (timeout <= std::chrono::milliseconds::zero()) return start;
  const auto room = std::chrono::duration_cast<std::chrono::milliseconds>(
      Clock::time_point::max() - start);
  if (timeout >= room) return Clock::time_point::max();
  return start + timeout;
}

int CeilMs(Clock::duration d) {
  if (d <= Clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
  return static_cast<int>(std::min<decltype(ms)>(ms, INT_MAX));
}

// Refuses what execve cannot pass; "" when fine.
std::string CheckStrings(const std::vector<std::string>& argv,
                         const RunOptions& opts) {
  if (argv.empty() || argv[0].empty()) return "exec: empty program name";
  for (const std::string& arg : argv) {
    if (arg.find('\0') != std::string::npos)
      return "exec " + argv[0] + ": argument contains a NUL byte";
  }
  for (const std::string& kv : opts.env) {
    if (kv.find('\0') != std::string::npos)
      return "exec " + argv[0] + ": environment contains a NUL byte";
  }
  return "";
}

// argv and the environment as posix_spawn wants them (pointing into the
// caller's strings).
struct ExecArgs {
  std::vector<char*> argv;
  std::vector<const char*> env;
};

ExecArgs MakeExecArgs(const std::vector<std::string>& argv,
                      const RunOptions& opts) {
  ExecArgs a;
  a.argv.reserve(argv.size() + 1);
  for (const std::string& arg : argv)
    a.argv.push_back(const_cast<char*>(arg.c_str()));
  a.argv.push_back(nullptr);
  if (opts.env.empty()) {
    a.env.assign(std::begin(kDefaultEnv), std::end(kDefaultEnv));
  } else {
    a.env.reserve(opts.env.size() + 1);
    for (const std::string& kv : opts.env) a.env.push_back(kv.c_str());
  }
  a.env.push_back(nullptr);
  return a;
}

// The child's descriptors and attributes: stdin from `in_r` (or /dev/null
// when it is empty), stdout and stderr into the pipes, nothing else inherited
// (closefrom(3) also catches descriptors opened without O_CLOEXEC), the
// working directory, its own process group, no blocked signals, default
// dispositions. Returns 0 or an errno value.
int PrepareSpawn(const RunOptions& opts, const Fd& in_r, const Fd& out_w,
                 const Fd& err_w, SpawnFileActions* actions, SpawnAttr* attr) {
  sigset_t no_signals, all_signals;
  sigemptyset(&no_signals);
  sigfillset(&all_signals);
  int e = actions->Init();
  if (e == 0) {
    e = in_r ? posix_spawn_file_actions_adddup2(actions->get(), in_r.get(),
                                                STDIN_FILENO)
             : posix_spawn_file_actions_addopen(actions->get(), STDIN_FILENO,
                                                "/dev/null", O_RDONLY, 0);
  }
  if (e == 0) {
    e = posix_spawn_file_actions_adddup2(actions->get(), out_w.get(),
                                         STDOUT_FILENO);
  }
  if (e == 0) {
    e = posix_spawn_file_actions_adddup2(actions->get(), err_w.get(),
                                         STDERR_FILENO);
  }
  if (e == 0) {
    e = posix_spawn_file_actions_addclosefrom_np(actions->get(),
                                                 STDERR_FILENO + 1);
  }
  if (e == 0 && !opts.cwd.empty()) {
    e = posix_spawn_file_actions_addchdir_np(actions->get(), opts.cwd.c_str());
  }
  if (e == 0) e = attr->Init();
  if (e == 0) {
    e = posix_spawnattr_setflags(attr->get(), POSIX_SPAWN_SETPGROUP |
                                                  POSIX_SPAWN_SETSIGMASK |
                                                  POSIX_SPAWN_SETSIGDEF);
  }
  if (e == 0) e = posix_spawnattr_setpgroup(attr->get(), 0);
  if (e == 0) e = posix_spawnattr_setsigmask(attr->get(), &no_signals);
  if (e == 0) e = posix_spawnattr_setsigdefault(attr->get(), &all_signals);
  return e;
}

// Writes the next chunk of stdin; closes `in_w` when all is written or the
// child stopped reading.
void FeedStdin(const std::string& data, size_t* off, Fd* in_w,
               SigpipeBlocker* blocker) {
  const size_t len = std::min(kChunk, data.size() - *off);
  ssize_t n;
  do {
    n = write(in_w->get(), data.data() + *off, len);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) {
    *off += static_cast<size_t>(n);
    if (*off == data.size()) in_w->Reset();
  } else if (errno == EPIPE) {
    blocker->ConsumeOwnSigpipe();
    in_w->Reset();
  } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
    in_w->Reset();
  }
}

// How a supervised child ended.
struct Ending {
  int status = 0;    // from waitpid
  int wait_err = 0;  // errno of waitid/waitpid, 0 when fine
  int poll_err = 0;  // errno of poll, 0 when fine
  bool timed_out = false;
};

// Runs the spawned child to its end: feeds stdin, captures stdout and
// stderr, kills its process group at the deadline, and keeps reading for a
// short grace after it exits (its group may still write). Reaps it.
Ending Supervise(pid_t pid, ChildReaper* reaper, const RunOptions& opts,
                 Clock::time_point start, Fd* in_w, Capture* out,
                 Capture* err) {
  // Readable once the child has terminated; without it (old kernel, seccomp)
  // exit is polled for. A raw syscall: glibc 2.36's <sys/pidfd.h> lacks
  // extern "C" and so cannot be linked from C++.
#ifdef SYS_pidfd_open
  Fd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
#else
  Fd pidfd;
#endif
  std::optional<SigpipeBlocker> sigpipe_blocker;
  if (*in_w) sigpipe_blocker.emplace();
  std::vector<char> scratch(kChunk);

  Ending end;
  const Clock::time_point deadline = Deadline(start, opts.timeout);
  Clock::time_point stop_reading = Clock::time_point::max();
  size_t in_off = 0;
  bool exited = false;
  int exit_poll_ms = 1;
  auto kill_and_reap = [&] {
    KillGroup(pid);
    end.wait_err = Reap(pid, &end.status);
    exited = true;
    reaper->Release();
  };
  while (true) {
    if (!exited) {
      switch (PeekChild(pid, &end.wait_err)) {
        case ChildState::kRunning:
          break;
        case ChildState::kExited:
          // Kill what stayed in the group before reaping frees the pgid.
          KillGroup(pid);
          end.wait_err = Reap(pid, &end.status);
          [[fallthrough]];
        case ChildState::kUnknown: {
          exited = true;
          reaper->Release();
          in_w->Reset();
          const Clock::time_point now = Clock::now();
          stop_reading = std::min(now + kExitGrace, std::max(deadline, now));
          break;
        }
      }
    }
    if (exited && !out->fd && !err->fd) break;
    const Clock::time_point now = Clock::now();
    if (!exited && now >= deadline) {
      end.timed_out = true;
      kill_and_reap();
      break;
    }
    if (exited && now >= stop_reading) break;

    int timeout_ms = CeilMs((exited ? stop_reading : deadline) - now);
    if (!exited && !pidfd) {
      timeout_ms = std::min(timeout_ms, exit_poll_ms);
      exit_poll_ms = std::min(exit_poll_ms * 2, kMaxExitPollMs);
    }
    pollfd fds[4];
    nfds_t nfds = 0;
    int out_i = -1, err_i = -1, in_i = -1;
    if (out->fd) {
      out_i = static_cast<int>(nfds);
      fds[nfds++] = {out->fd.get(), POLLIN, 0};
    }
    if (err->fd) {
      err_i = static_cast<int>(nfds);
      fds[nfds++] = {err->fd.get(), POLLIN, 0};
    }
    if (*in_w) {
      in_i = static_cast<int>(nfds);
      fds[nfds++] = {in_w->get(), POLLOUT, 0};
    }
    if (pidfd && !exited) fds[nfds++] = {pidfd.get(), POLLIN, 0};

    if (poll(fds, nfds, timeout_ms) < 0) {
      if (errno == EINTR) continue;
      end.poll_err = errno;
      if (!exited) kill_and_reap();
      break;
    }
    if (out_i >= 0 && fds[out_i].revents != 0) ReadOnce(out, scratch.data());
    if (err_i >= 0 && fds[err_i].revents != 0) ReadOnce(err, scratch.data());
    if (in_i >= 0 && fds[in_i].revents != 0)
      FeedStdin(opts.stdin_data, &in_off, in_w, &*sigpipe_blocker);
  }
  in_w->Reset();
  // Whatever the child (or its group) wrote before dying is still buffered.
  Drain(out, scratch.data());
  Drain(err, scratch.data());
  return end;
}

}  // namespace

RunResult Run(const std::vector<std::string>& argv, const RunOptions& opts) {
  RunResult r;
  r.error = CheckStrings(argv, opts);
  if (!r.error.empty()) return r;
  ExecArgs exec = MakeExecArgs(argv, opts);
  std::string path;
  if (int err = ResolveProgram(argv[0], exec.env, &path)) {
    r.error = "exec " + argv[0] + ": " + ErrnoString(err);
    return r;
  }

  // Every descriptor is O_CLOEXEC; the child gets what PrepareSpawn() puts
  // on 0, 1 and 2.
  Fd in_r, in_w, out_w, err_w;
  Capture out{Fd(), &r.out, opts.max_stdout, &r.stdout_truncated};
  Capture err{Fd(), &r.err, opts.max_stderr, &r.stderr_truncated};
  int e = 0;
  if (!opts.stdin_data.empty())
    e = MakePipe(&in_r, &in_w, /*parent_reads=*/false);
  if (e == 0) e = MakePipe(&out.fd, &out_w, /*parent_reads=*/true);
  if (e == 0) e = MakePipe(&err.fd, &err_w, /*parent_reads=*/true);
  if (e != 0) {
    r.error = "pipe: " + ErrnoString(e);
    return r;
  }
  SpawnFileActions actions;
  SpawnAttr attr;
  if ((e = PrepareSpawn(opts, in_r, out_w, err_w, &actions, &attr)) != 0) {
    r.error = "posix_spawn setup: " + ErrnoString(e);
    return r;
  }

  const Clock::time_point start = Clock::now();
  pid_t pid = -1;
  e = posix_spawn(&pid, path.c_str(), actions.get(), attr.get(),
                  exec.argv.data(), const_cast<char* const*>(exec.env.data()));
  if (e != 0) {
    // Failing file actions are reported like a failing exec; tell a bad
    // working directory apart.
    if (!opts.cwd.empty()) {
      Fd dir(open(opts.cwd.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!dir) {
        r.error = "chdir " + opts.cwd + ": " + ErrnoString(errno);
        return r;
      }
    }
    r.error = "exec " + argv[0] + ": " + ErrnoString(e);
    return r;
  }
  r.started = true;
  ChildReaper reaper(pid);
  in_r.Reset();
  out_w.Reset();
  err_w.Reset();

  const Ending end = Supervise(pid, &reaper, opts, start, &in_w, &out, &err);
  r.timed_out = end.timed_out;
  r.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      Clock::now() - start);
  if (end.wait_err == 0) {
    if (WIFEXITED(end.status)) r.exit_code = WEXITSTATUS(end.status);
    if (WIFSIGNALED(end.status)) r.term_signal = WTERMSIG(end.status);
  }
  if (end.timed_out) {
    r.error = "timed out after " + FormatDuration(opts.timeout);
  } else if (end.poll_err != 0) {
    r.error = "poll: " + ErrnoString(end.poll_err);
  } else if (end.wait_err != 0) {
    r.error = "waitpid: " + ErrnoString(end.wait_err);
  }
  return r;
}

}  // namespace exporterd
