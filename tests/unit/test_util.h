// Helpers shared by the unit tests: temp dirs, shell commands for fixtures
// (openssl, htpasswd), HTTP through real curl, and an in-process daemon.
#ifndef EXPORTERD_TESTS_TEST_UTIL_H_
#define EXPORTERD_TESTS_TEST_UTIL_H_

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

 private:
  TempDir dir_;
  StderrLogger logger_;
  Flags flags_;
  std::unique_ptr<App> app_;
  uint16_t port_ = 0;
};

}  // namespace exporterd::testing

#endif  // EXPORTERD_TESTS_TEST_UTIL_H_
