// Tests for exporterd::Run() against real Debian programs. Inside TEST
// bodies Run() must be qualified: testing::Test::Run hides it.
#include "exporterd/runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_kit.h"

namespace exporterd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr size_t kMiB = 1u << 20;

// Contents of /proc/<pid>/stat split after "(comm)": [0] is the state.
std::vector<std::string> StatFields(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return {};
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos) return {};
  std::istringstream rest(line.substr(paren + 1));
  std::vector<std::string> fields;
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

// Zombie children of this process (state Z, ppid == getpid()).
std::set<int> ZombieChildren() {
  std::set<int> zombies;
  const std::string self = std::to_string(getpid());
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::vector<std::string> f = StatFields("/proc/" + name + "/stat");
    if (f.size() >= 2 && f[0] == "Z" && f[1] == self) {
      zombies.insert(std::stoi(name));
    }
  }
  return zombies;
}

// Zombie children not in `before` (other tests in the same binary may have
// left theirs).
std::vector<int> NewZombieChildren(const std::set<int>& before) {
  std::vector<int> zombies;
  for (int pid : ZombieChildren()) {
    if (!before.contains(pid)) zombies.push_back(pid);
  }
  return zombies;
}

// True once `pid` no longer exists or is a zombie (it was reparented, so
// reaping is up to init), polling for up to 5 s.
bool WaitGoneOrZombie(int pid) {
  const auto until = Clock::now() + seconds(5);
  do {
    const std::vector<std::string> f =
        StatFields("/proc/" + std::to_string(pid) + "/stat");
    if (f.empty() || f[0] == "Z" || f[0] == "X") return true;
    std::this_thread::sleep_for(milliseconds(20));
  } while (Clock::now() < until);
  return false;
}

// First line of `s` as a pid; 0 if there is none.
int FirstLinePid(const std::string& s) {
  const std::string line = s.substr(0, s.find('\n'));
  if (line.empty() ||
      line.find_first_not_of("0123456789") != std::string::npos) {
    return 0;
  }
  return std::stoi(line);
}

// Writes a shell script `name` into `dir` with `mode`.
void WriteScript(const testing::TempDir& dir, const std::string& name,
                 const std::string& body, mode_t mode) {
  dir.Write(name, "#!/bin/sh\n" + body + "\n", mode);
}

TEST(RunnerTest, CapturesStdoutAndExitCodeZero) {
  const RunResult r = exporterd::Run({"/bin/echo", "hello", "world"});
  EXPECT_TRUE(r.started);
  EXPECT_TRUE(r.Success()) << r.error;
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_EQ(r.out, "hello world\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.error, "");
  EXPECT_FALSE(r.stdout_truncated);
  EXPECT_FALSE(r.stderr_truncated);
  EXPECT_GE(r.duration.count(), 0);
}

TEST(RunnerTest, NonZeroExitCode) {
  const RunResult r = exporterd::Run({"/bin/sh", "-c", "echo partial; exit 3"});
  EXPECT_TRUE(r.started);
  EXPECT_FALSE(r.Success());
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_EQ(r.out, "partial\n");
  EXPECT_EQ(r.error, "");
}

TEST(RunnerTest, StderrCapturedSeparately) {
  const RunResult r = exporterd::Run(
      {"/bin/sh", "-c", "echo to-out; echo to-err >&2; echo more-out"});
  EXPECT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.out, "to-out\nmore-out\n");
  EXPECT_EQ(r.err, "to-err\n");
}

TEST(RunnerTest, ArgvPassedVerbatim) {
  const std::vector<std::string> args = {"two words",
                                         "'single'",
                                         "\"double\"",
                                         "$(id -u)",
                                         "`id -u`",
                                         "; echo injected",
                                         "a && b | c > /tmp/x",
                                         "*",
                                         "$HOME",
                                         "",
                                         "\\n",
                                         "tab\there"};
  std::vector<std::string> argv = {"/usr/bin/printf", "[%s]\\n"};
  argv.insert(argv.end(), args.begin(), args.end());
  const RunResult r = exporterd::Run(argv);
  ASSERT_TRUE(r.Success()) << r.error;
  std::string want;
  for (const std::string& a : args) want += "[" + a + "]\n";
  EXPECT_EQ(r.out, want);
}

TEST(RunnerTest, ArgvZeroIsPassedAsGiven) {
  const RunResult r = exporterd::Run({"sh", "-c", "echo \"$0\""});
  ASSERT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.out, "sh\n");
}

TEST(RunnerTest, EnvIsExactlyControlled) {
  RunOptions opts;
  opts.env = {"FOO=bar", "WITH_SPACE=a b;c", "EMPTY="};
  const RunResult r = exporterd::Run({"/usr/bin/env"}, opts);
  ASSERT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.out, "FOO=bar\nWITH_SPACE=a b;c\nEMPTY=\n");
}

TEST(RunnerTest, DefaultEnvHasOnlyPathAndLcAll) {
  ASSERT_EQ(setenv("EXPORTERD_RUNNER_TEST_LEAK", "1", 1), 0);
  const RunResult r = exporterd::Run({"/usr/bin/env"});
  unsetenv("EXPORTERD_RUNNER_TEST_LEAK");
  ASSERT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.out,
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
            "\nLC_ALL=C\n");
}

TEST(RunnerTest, PathSearchUsesChildEnv) {
  testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  WriteScript(dir, "exporterd-runner-test-tool", "echo from-tool \"$0\"", 0755);

  RunOptions opts;
  opts.env = {"PATH=/nonexistent:" + dir.path()};
  RunResult r = exporterd::Run({"exporterd-runner-test-tool"}, opts);
  ASSERT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.out, "from-tool " + dir.path() + "/exporterd-runner-test-tool\n");

  // Not in the default PATH.
  r = exporterd::Run({"exporterd-runner-test-tool"});
  EXPECT_FALSE(r.started);

  // The parent's PATH (which has /bin) is not consulted.
  opts.env = {"PATH=" + dir.path()};
  r = exporterd::Run({"echo", "x"}, opts);
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.error, "exec echo: No such file or directory");
}

TEST(RunnerTest, PathSearchSkipsNonExecutableAndRelativeEntries) {
  testing::TempDir first, second;
  ASSERT_FALSE(first.path().empty());
  ASSERT_FALSE(second.path().empty());
  WriteScript(first, "exporterd-runner-test-tool", "echo first", 0644);
  WriteScript(second, "exporterd-runner-test-tool", "echo second", 0755);

  RunOptions opts;
  opts.env = {"PATH=.::relative:" + first.path() + ":" + second.path()};
  opts.cwd = second.path();  // "." would find the executable one here
  RunResult r = exporterd::Run({"exporterd-runner-test-tool"}, opts);
  ASSERT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.out, "second\n");

  // Only a non-executable candidate: permission denied, as execvp reports.
  opts.env = {"PATH=" + first.path()};
  r = exporterd::Run({"exporterd-runner-test-tool"}, opts);
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.error, "exec exporterd-runner-test-tool: Permission denied");
}

TEST(RunnerTest, ProgramNotFound) {
  RunResult r = exporterd::Run({"exporterd-no-such-tool", "arg"});
  EXPECT_FALSE(r.started);
  EXPECT_FALSE(r.Success());
  EXPECT_EQ(r.error, "exec exporterd-no-such-tool: No such file or directory");

  r = exporterd::Run({"/nonexistent/exporterd-no-such-tool"});
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.error,
            "exec /nonexistent/exporterd-no-such-tool: No such file or "
            "directory");
}

TEST(RunnerTest, NotExecutable) {
  const RunResult r = exporterd::Run({"/etc/passwd"});
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.error, "exec /etc/passwd: Permission denied");
}

TEST(RunnerTest, InvalidArgvRejected) {
  RunResult r = exporterd::Run({});
  EXPECT_FALSE(r.started);
  EXPECT_FALSE(r.error.empty());

  r = exporterd::Run({""});
  EXPECT_FALSE(r.started);
  EXPECT_FALSE(r.error.empty());

  r = exporterd::Run({"/bin/echo", std::string("a\0b", 3)});
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.error.find("NUL"), std::string::npos) << r.error;
}

TEST(RunnerTest, StdinDataDelivered) {
  RunOptions opts;
  opts.stdin_data = "line one\nline two\n";
  const RunResult r = exporterd::Run({"/bin/cat"}, opts);
  ASSERT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.out, opts.stdin_data);
}

TEST(RunnerTest, LargeStdinDataDelivered) {
  RunOptions opts;
  opts.stdin_data.resize(3 * kMiB + 12345);
  for (size_t i = 0; i < opts.stdin_data.size(); ++i) {
    opts.stdin_data[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  }
  const RunResult r = exporterd::Run({"/bin/cat"}, opts);
  ASSERT_TRUE(r.Success()) << r.error;
  EXPECT_FALSE(r.stdout_truncated);
  EXPECT_EQ(r.out.size(), opts.stdin_data.size());
  EXPECT_TRUE(r.out == opts.stdin_data);
}

TEST(RunnerTest, EmptyStdinIsDevNull) {
  RunResult r = exporterd::Run({"/usr/bin/readlink", "/proc/self/fd/0"});
  ASSERT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.out, "/dev/null\n");

  r = exporterd::Run(
      {"/bin/cat"});  // would hang if stdin were inherited or a pipe
  ASSERT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.out, "");
}

TEST(RunnerTest, ChildIgnoringStdinDoesNotRaiseSigpipe) {
  RunOptions opts;
  opts.stdin_data.assign(8 * kMiB, 'x');
  RunResult r = exporterd::Run({"/bin/true"}, opts);
  EXPECT_TRUE(r.Success()) << r.error;

  r = exporterd::Run({"/usr/bin/head", "-c", "5"}, opts);
  EXPECT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.out, "xxxxx");

  // No SIGPIPE was left pending for this thread either.
  sigset_t pending;
  sigemptyset(&pending);
  ASSERT_EQ(sigpending(&pending), 0);
  EXPECT_FALSE(sigismember(&pending, SIGPIPE));
}

TEST(RunnerTest, StdoutCapped) {
  RunOptions opts;
  opts.max_stdout = kMiB;
  const auto begin = Clock::now();
  const RunResult r = exporterd::Run(
      {"/usr/bin/head", "-c", std::to_string(10 * kMiB), "/dev/zero"}, opts);
  EXPECT_LT(Clock::now() - begin, seconds(10));
  EXPECT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out.size(), kMiB);
  EXPECT_TRUE(r.stdout_truncated);
  EXPECT_FALSE(r.stderr_truncated);
}

TEST(RunnerTest, StderrCappedWhileStdoutFlows) {
  RunOptions opts;
  opts.max_stderr = 1000;
  const RunResult r =
      exporterd::Run({"/bin/sh", "-c",
                      "head -c 1048576 /dev/zero >&2;"
                      "head -c 1048576 /dev/zero; echo done >&2"},
                     opts);
  ASSERT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.err.size(), 1000u);
  EXPECT_TRUE(r.stderr_truncated);
  EXPECT_EQ(r.out.size(), kMiB);
  EXPECT_FALSE(r.stdout_truncated);
}

TEST(RunnerTest, OutputExactlyAtCapIsNotTruncated) {
  RunOptions opts;
  opts.max_stdout = 100;
  RunResult r =
      exporterd::Run({"/usr/bin/head", "-c", "100", "/dev/zero"}, opts);
  ASSERT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.out.size(), 100u);
  EXPECT_FALSE(r.stdout_truncated);

  opts.max_stdout = 0;
  r = exporterd::Run({"/bin/echo", "x"}, opts);
  ASSERT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(r.stdout_truncated);
}

TEST(RunnerTest, Timeout) {
  RunOptions opts;
  opts.timeout = milliseconds(300);
  const auto begin = Clock::now();
  const RunResult r = exporterd::Run({"/bin/sleep", "30"}, opts);
  EXPECT_LT(Clock::now() - begin, seconds(10));
  EXPECT_TRUE(r.started);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.Success());
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_EQ(r.error, "timed out after 300ms");
  EXPECT_GE(r.duration, milliseconds(300));
  EXPECT_LT(r.duration, seconds(10));
}

TEST(RunnerTest, TimeoutKeepsOutputSoFar) {
  RunOptions opts;
  opts.timeout = seconds(1);
  const RunResult r = exporterd::Run(
      {"/bin/sh", "-c", "echo before; echo oops >&2; exec sleep 30"}, opts);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.error, "timed out after 1s");
  EXPECT_EQ(r.out, "before\n");
  EXPECT_EQ(r.err, "oops\n");
}

// The zombie scan used below does see an unreaped child.
TEST(RunnerTest, ZombieScanSeesUnreapedChild) {
  pid_t pid = -1;
  char arg0[] = "true";
  char* argv[] = {arg0, nullptr};
  char* envp[] = {nullptr};
  ASSERT_EQ(posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, envp), 0);
  bool seen = false;
  for (int i = 0; i < 250 && !seen; ++i) {
    seen = ZombieChildren().contains(pid);
    if (!seen) std::this_thread::sleep_for(milliseconds(20));
  }
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(seen);
  EXPECT_FALSE(ZombieChildren().contains(pid));
}

TEST(RunnerTest, NoZombieAfterTimeout) {
  const std::set<int> before = ZombieChildren();
  RunOptions opts;
  opts.timeout = milliseconds(200);
  for (int i = 0; i < 3; ++i) {
    const RunResult r = exporterd::Run({"/bin/sleep", "30"}, opts);
    EXPECT_TRUE(r.timed_out);
  }
  const RunResult ok = exporterd::Run({"/bin/true"});
  EXPECT_TRUE(ok.Success());
  EXPECT_EQ(NewZombieChildren(before), std::vector<int>{});
}

TEST(RunnerTest, GrandchildKilledOnTimeout) {
  const std::set<int> before = ZombieChildren();
  RunOptions opts;
  opts.timeout = seconds(1);
  const RunResult r =
      exporterd::Run({"/bin/sh", "-c", "sleep 300 & echo $!; wait"}, opts);
  EXPECT_TRUE(r.timed_out);
  const int grandchild = FirstLinePid(r.out);
  ASSERT_GT(grandchild, 0) << r.out;
  EXPECT_TRUE(WaitGoneOrZombie(grandchild));
  EXPECT_EQ(NewZombieChildren(before), std::vector<int>{});
}

TEST(RunnerTest, ChildExitsWhileGrandchildHoldsStdout) {
  RunOptions opts;
  opts.timeout = seconds(30);
  const auto begin = Clock::now();
  const RunResult r =
      exporterd::Run({"/bin/sh", "-c", "sleep 300 & echo $!; echo done"}, opts);
  EXPECT_LT(Clock::now() - begin, seconds(10));  // not the 30 s timeout
  EXPECT_TRUE(r.Success()) << r.error;
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("done\n"), std::string::npos) << r.out;
  const int grandchild = FirstLinePid(r.out);
  ASSERT_GT(grandchild, 0) << r.out;
  EXPECT_TRUE(WaitGoneOrZombie(grandchild));
}

// Shell snippet: starts `sleep 30` in its own session (out of the child's
// process group, still holding stdout), waits until it has left the group and
// prints its pid.
constexpr char kEscapedSleep[] =
    "setsid sleep 30 & p=$!;"
    "while [ \"$(cut -d' ' -f6 /proc/$p/stat)\" != \"$p\" ]; do sleep 0.01;"
    "done; echo $p;";

// A process that left the group cannot be killed through it; it must not
// keep Run() reading until it closes the pipe.
TEST(RunnerTest, EscapedGrandchildDoesNotBlockAfterExit) {
  RunOptions opts;
  opts.timeout = seconds(60);
  const auto begin = Clock::now();
  const RunResult r = exporterd::Run(
      {"/bin/sh", "-c", std::string(kEscapedSleep) + "echo done"}, opts);
  const auto elapsed = Clock::now() - begin;
  const int escaped = FirstLinePid(r.out);
  ASSERT_GT(escaped, 0) << r.out << r.err;
  EXPECT_EQ(kill(escaped, 0), 0);  // it did survive, holding the pipe
  kill(escaped, SIGKILL);
  EXPECT_LT(elapsed, seconds(10));
  EXPECT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.out, std::to_string(escaped) + "\ndone\n");
}

TEST(RunnerTest, EscapedGrandchildDoesNotExtendTimeout) {
  RunOptions opts;
  opts.timeout = seconds(2);
  const auto begin = Clock::now();
  const RunResult r = exporterd::Run(
      {"/bin/sh", "-c", std::string(kEscapedSleep) + "exec sleep 60"}, opts);
  const auto elapsed = Clock::now() - begin;
  const int escaped = FirstLinePid(r.out);
  ASSERT_GT(escaped, 0) << r.out << r.err;
  EXPECT_EQ(kill(escaped, 0), 0);
  kill(escaped, SIGKILL);
  EXPECT_LT(elapsed, seconds(10));
  EXPECT_TRUE(r.timed_out);
}

TEST(RunnerTest, ConcurrentRuns) {
  const std::set<int> before = ZombieChildren();
  constexpr int kThreads = 8;
  constexpr int kRuns = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &ok] {
      for (int i = 0; i < kRuns; ++i) {
        const std::string word =
            "t" + std::to_string(t) + "-" + std::to_string(i);
        const RunResult r = exporterd::Run({"/bin/echo", word});
        if (r.Success() && r.out == word + "\n" && r.err.empty()) ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kRuns);
  EXPECT_EQ(NewZombieChildren(before), std::vector<int>{});
}

TEST(RunnerTest, KilledBySignalReportsTermSignal) {
  const RunResult r =
      exporterd::Run({"/bin/sh", "-c", "kill -TERM $$; sleep 5"});
  EXPECT_TRUE(r.started);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.Success());
  EXPECT_EQ(r.term_signal, SIGTERM);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_EQ(r.error, "");
}

TEST(RunnerTest, ChildHasOwnProcessGroup) {
  const RunResult r = exporterd::Run({"/bin/cat", "/proc/self/stat"});
  ASSERT_TRUE(r.Success()) << r.error;
  const int pid = std::stoi(r.out);
  const size_t paren = r.out.rfind(')');
  ASSERT_NE(paren, std::string::npos);
  std::istringstream rest(r.out.substr(paren + 1));
  std::string state, ppid, pgrp;
  rest >> state >> ppid >> pgrp;
  EXPECT_EQ(std::stoi(pgrp), pid);
  EXPECT_NE(std::stoi(pgrp), static_cast<int>(getpgrp()));
  EXPECT_EQ(std::stoi(ppid), static_cast<int>(getpid()));
}

TEST(RunnerTest, SignalMaskAndDispositionsReset) {
  sigset_t block, saved_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &block, &saved_mask), 0);
  struct sigaction ignore = {}, saved_action = {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR2, &ignore, &saved_action), 0);

  const RunResult r = exporterd::Run({"/bin/cat", "/proc/self/status"});

  sigaction(SIGUSR2, &saved_action, nullptr);
  pthread_sigmask(SIG_SETMASK, &saved_mask, nullptr);
  ASSERT_TRUE(r.Success()) << r.error;
  EXPECT_NE(r.out.find("SigBlk:\t0000000000000000\n"), std::string::npos)
      << r.out;
  const size_t ign = r.out.find("SigIgn:\t");
  ASSERT_NE(ign, std::string::npos) << r.out;
  const uint64_t ignored = std::stoull(r.out.substr(ign + 8, 16), nullptr, 16);
  // glibc 2.36's posix_spawn itself leaves its internal signals 32 and 33
  // (SIGCANCEL, SIGSETXID) ignored in the child; every other one is default.
  const uint64_t glibc_internal = (uint64_t{1} << 31) | (uint64_t{1} << 32);
  EXPECT_EQ(ignored & ~glibc_internal, 0u) << r.out.substr(ign, 25);
}

TEST(RunnerTest, NoDescriptorsLeakIntoChild) {
  // Descriptors opened without O_CLOEXEC elsewhere in the process.
  const int leak1 = open("/dev/null", O_RDONLY);
  int leak2[2] = {-1, -1};
  ASSERT_GE(leak1, 0);
  ASSERT_EQ(pipe(leak2), 0);
  const RunResult r = exporterd::Run({"/bin/ls", "/proc/self/fd"});
  close(leak1);
  close(leak2[0]);
  close(leak2[1]);
  ASSERT_TRUE(r.Success()) << r.error;
  // 0-2 plus the directory ls itself has open.
  EXPECT_EQ(r.out, "0\n1\n2\n3\n");
}

TEST(RunnerTest, WorkingDirectory) {
  testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  RunOptions opts;
  opts.cwd = dir.path();
  RunResult r = exporterd::Run({"/bin/pwd"}, opts);
  ASSERT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.out, std::filesystem::canonical(dir.path()).string() + "\n");

  // A relative program path is resolved in the new working directory.
  WriteScript(dir, "tool", "echo relative", 0755);
  r = exporterd::Run({"./tool"}, opts);
  ASSERT_TRUE(r.Success()) << r.error;
  EXPECT_EQ(r.out, "relative\n");

  opts.cwd = "/nonexistent/exporterd-dir";
  r = exporterd::Run({"/bin/pwd"}, opts);
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.error,
            "chdir /nonexistent/exporterd-dir: No such file or directory");
}

}  // namespace
}  // namespace exporterd
