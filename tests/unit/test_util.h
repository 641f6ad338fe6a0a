// Helpers shared by the unit tests: temp dirs, shell commands for fixtures
// (openssl, htpasswd), HTTP through real curl, and an in-process daemon.
#ifndef EXPORTERD_TESTS_TEST_UTIL_H_
#define EXPORTERD_TESTS_TEST_UTIL_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "app.h"
#include "logger.h"

namespace exporterd::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  // Writes `content` to path()/name and returns the full path.
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

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

// The real exporterd binary (EXPORTERD_BINARY) as a child process listening
// on 127.0.0.1:port(); stderr goes to log(). Stopped with SIGTERM.
class DaemonProcess {
 public:
  DaemonProcess() = default;
  ~DaemonProcess();
  // Starts with `flags` (plus --web.listen-address and --module.dir unless
  // given) and waits for /-/ready. `sh_prefix` runs in /bin/sh first (for
  // example "ulimit -n 256;").
  bool Start(std::vector<std::string> flags, const std::string& sh_prefix = "");
  // SIGTERM, then waits up to `timeout`; returns the seconds it took
  // (negative: it had to be killed).
  double Stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool Signal(int sig) const;
  int pid() const { return pid_; }
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
  int pid_ = -1;
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

#endif  // EXPORTERD_TESTS_TEST_UTIL_H_
