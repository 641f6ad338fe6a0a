// The test kit: what every test of the core and of every module links
// (target exporterd_testkit).
//
// For a module's tests:
//   auto m = Load<RaidModule>("raid", "modules:\n  raid:\n    tools: ...");
//   ASSERT_TRUE(m->ok()) << m->errors.ToString();
//   std::string text = Serialize(m->Collect().families);
//   ExpectGolden(RAID_TEST_DIR "/golden/x.prom", text);  // UPDATE_GOLDEN=1
//   EXPECT_EQ(PromtoolCheckMetrics(text), "");
// plus temp dirs, fixtures, a captured log, the README reference check, and
// for the core: shell commands, HTTP through real curl, raw sockets, the
// daemon in this process (TestDaemon) or as a child (DaemonProcess).
#ifndef EXPORTERD_TESTS_TEST_KIT_H_
#define EXPORTERD_TESTS_TEST_KIT_H_

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app.h"
#include "config.h"
#include "exporterd/module.h"
#include "logger.h"

namespace exporterd::testing {

// A directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `content` to path()/name (parent directories made; mode 0700:
  // owner-only and executable, for fake tools and ready Postfix queue files)
  // and returns the full path.
  std::string Write(const std::string& name, std::string_view content,
                    mode_t mode = 0700) const;
  std::string Mkdir(const std::string& name, mode_t mode = 0700) const;

 private:
  std::string path_;
};

// The whole file; fails the test when it cannot be read.
std::string ReadFile(const std::string& path);

// Compares `got` with the file at `path`; with UPDATE_GOLDEN=1 in the
// environment writes it instead.
void ExpectGolden(const std::string& path, const std::string& got);

// The exposition exactly as the daemon sends it.
std::string Serialize(const std::vector<prometheus::MetricFamily>& families);

// `promtool check metrics` on `exposition`: "" when clean, else its output.
std::string PromtoolCheckMetrics(const std::string& exposition);

// Keeps what a module logs.
class CaptureLogger : public Logger {
 public:
  void Log(LogLevel level, std::string_view msg,
           const LogFields& fields) noexcept override;
  // "msg k=v k=v" per line.
  std::vector<std::string> lines;
  bool Contains(std::string_view needle) const;
};

// A module instance made from an exporterd configuration the way the daemon
// makes it: the core's config parser (timeout, min_interval), then the
// module's Create() through the same noexcept wrapper as its .so.
template <class M>
struct LoadedModule {
  std::unique_ptr<Module> module;  // null when the config was refused
  ConfigErrors errors;
  CaptureLogger logger;
  bool ok() const { return module != nullptr; }
  M* get() { return static_cast<M*>(module.get()); }
  CollectResult Collect(
      std::chrono::milliseconds within = std::chrono::seconds(30)) {
    CollectRequest req;
    req.deadline = Clock::now() + within;
    return module->Collect(req);
  }
  TargetResponse Handle(
      const std::string& path,
      std::vector<std::pair<std::string, std::string>> params,
      std::chrono::milliseconds within = std::chrono::seconds(30)) {
    TargetRequest req;
    req.path = path;
    req.params = std::move(params);
    req.deadline = Clock::now() + within;
    return module->Handle(req);
  }
};

namespace kit_detail {
// Parses `exporterd_yaml` and fills `env` for module `name`; false (errors
// set) when the core refuses the file or it has no such module.
bool MakeEnv(const std::string& name, const std::string& exporterd_yaml,
             bool embedded, Logger* logger, ConfigErrors* errors,
             std::shared_ptr<void>* keep, ModuleEnv* env);
}  // namespace kit_detail

// `exporterd_yaml` is a whole exporterd.yml ("modules:\n  raid: {...}").
// embedded: read it as the embedded default.
template <class M>
std::unique_ptr<LoadedModule<M>> Load(const std::string& name,
                                      const std::string& exporterd_yaml,
                                      bool embedded = false) {
  auto l = std::make_unique<LoadedModule<M>>();
  std::shared_ptr<void> keep;
  ModuleEnv env;
  if (!kit_detail::MakeEnv(name, exporterd_yaml, embedded, &l->logger,
                           &l->errors, &keep, &env))
    return l;
  void* p = detail::Trampolines<M>::Create(&env, &l->errors);
  l->module.reset(static_cast<Module*>(p));
  return l;
}

// Checks that `readme` carries `reference` (a ConfigMap's Reference())
// between <!-- config:begin --> and <!-- config:end -->; with UPDATE_GOLDEN=1
// in the environment rewrites that part of the README instead.
void ExpectReadmeReference(const std::string& readme_path,
                           const std::string& reference);

// Runs `cmd` with /bin/sh (test fixtures only); returns stdout, fails the
// test on a non-zero exit.
std::string Sh(const std::string& cmd);

struct HttpResult {
  int status = 0;
  std::string headers;  // raw response header block
  std::string body;
  bool HasHeader(const std::string& line_prefix) const;
};

// GET (or other) with curl; extra curl arguments first, then the URL.
HttpResult Curl(const std::string& url, std::vector<std::string> args = {});

// Raises this process's open-files soft limit to the hard limit.
void RaiseFdLimit();
// Threads of this process (from /proc/self/status).
int ThreadCount();

// A plain TCP connection to 127.0.0.1:port, bound to `source` (e.g.
// "127.0.0.2") when not empty. -1 on failure.
int Connect(uint16_t port, const std::string& source = "");
// Writes "GET path HTTP/1.1" with `headers` ("Name: v\r\n" lines).
bool SendGet(int fd, const std::string& path, const std::string& headers = "");
// Sends GET `path` on `n` new connections at once, then waits up to
// `timeout` for each status code (0: none, or the connection closed).
std::vector<int> ConcurrentGets(uint16_t port, const std::string& path,
                                size_t n, std::chrono::milliseconds timeout,
                                const std::string& headers = "",
                                const std::string& source = "");

// A TCP port on 127.0.0.1 that was free a moment ago, below the ephemeral
// range (so client connections never take it meanwhile).
uint16_t FreePort();

// A socket on 127.0.0.1 that never answers, for timeouts: kTcp listens (the
// kernel completes connects) and never accepts or reads; kUdp is bound and
// never read (datagrams get no answer and no ICMP error). Closed when
// destroyed.
class SilentSocket {
 public:
  enum Kind { kTcp, kUdp };
  explicit SilentSocket(Kind kind);
  ~SilentSocket();
  SilentSocket(const SilentSocket&) = delete;
  SilentSocket& operator=(const SilentSocket&) = delete;
  uint16_t port() const { return port_; }
  std::string address() const;  // "127.0.0.1:<port>"

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A UDP port on 127.0.0.1 nothing listens on (bound a moment ago, then
// closed): the kernel answers datagrams with ICMP port unreachable.
uint16_t ClosedUdpPort();

// Polls `fn` every 50 ms until it returns true (then true) or `timeout`
// passes (then what a last call returns).
bool WaitFor(const std::function<bool()>& fn,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A child process in its own process group: argv (argv[0] looked up in
// PATH), stdout and stderr appended to `log` (empty: inherited). Stop(),
// also at destruction, sends SIGTERM to the group, waits, then SIGKILLs it.
// The child gets SIGKILL if the test process dies first.
//   ChildProcess dnsmasq({"dnsmasq", "-k", ...}, dir.path() + "/dnsmasq.log");
class ChildProcess {
 public:
  ChildProcess() = default;
  explicit ChildProcess(const std::vector<std::string>& argv,
                        const std::string& log = "") {
    Start(argv, log);
  }
  ~ChildProcess() { Stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Stops a running one first. False if fork failed (a failed exec exits
  // 127).
  bool Start(const std::vector<std::string>& argv, const std::string& log = "");
  // SIGTERM to the group, then waits up to `timeout`; returns the seconds it
  // took (negative: it had to be killed; 0: not running).
  double Stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool Signal(int sig) const;  // to the child only
  // SIGSTOP to the child, returning once all its threads have stopped (a
  // hung server); Resume() sends SIGCONT. Stop() resumes it first.
  void Pause();
  void Resume() const { Signal(SIGCONT); }
  bool Alive();  // started and not exited
  // Once it has exited (Alive() false, or after Stop()): the exit status, or
  // -signal when a signal ended it.
  int exit_status() const { return exit_status_; }
  int pid() const { return pid_; }

 private:
  // waitpid(options): true when it has exited (pid_ is -1 then).
  bool Reap(int options);
  int pid_ = -1;
  int exit_status_ = 0;
};

// The real exporterd binary (EXPORTERD_BINARY) as a ChildProcess listening
// on 127.0.0.1:port(); stderr goes to Log().
class DaemonProcess {
 public:
  // Starts with `flags` (plus --web.listen-address and --module.dir unless
  // given) and waits for /-/ready. `sh_prefix` runs in /bin/sh first (for
  // example "ulimit -n 256;").
  bool Start(std::vector<std::string> flags, const std::string& sh_prefix = "");
  // As ChildProcess::Stop().
  double Stop(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return proc_.Stop(timeout);
  }
  int exit_status() const { return proc_.exit_status(); }
  bool Signal(int sig) const { return proc_.Signal(sig); }
  bool Alive() { return proc_.Alive(); }
  int pid() const { return proc_.pid(); }
  uint16_t port() const { return port_; }
  std::string Url(const std::string& path) const;
  HttpResult Get(const std::string& path,
                 std::vector<std::string> args = {}) const;
  std::string Log() const;    // what it wrote to stderr so far
  double CpuSeconds() const;  // user + system
  long RssKiB() const;
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  ChildProcess proc_;  // after dir_: stopped before the directory goes
  uint16_t port_ = 0;
};

// Value of a sample line "name{labels} value" in an exposition; NaN when
// absent.
double Sample(const std::string& exposition, const std::string& series);

// A daemon in this process on 127.0.0.1:<ephemeral port>.
class TestDaemon {
 public:
  TestDaemon() : logger_(LogLevel::kError, LogFormat::kLogfmt) {}
  ~TestDaemon() { Stop(); }
  // Writes `config` to a file (unless empty: embedded default) and starts.
  // Test modules are found in TEST_MODULE_DIR.
  bool Start(const std::string& config, const std::string& web_config = "",
             std::string* error = nullptr);
  void Stop();
  App& app() { return *app_; }
  std::string config_path() const { return dir_.path() + "/exporterd.yml"; }
  void WriteConfig(const std::string& config) const;
  std::string Url(const std::string& path, bool tls = false) const;
  HttpResult Get(const std::string& path, std::vector<std::string> args = {},
                 bool tls = false) const;
  const TempDir& dir() const { return dir_; }
  Flags& flags() { return flags_; }
  uint16_t port() const { return port_; }

 private:
  TempDir dir_;
  StderrLogger logger_;
  Flags flags_;
  std::unique_ptr<App> app_;
  uint16_t port_ = 0;
};

}  // namespace exporterd::testing

#endif  // EXPORTERD_TESTS_TEST_KIT_H_
