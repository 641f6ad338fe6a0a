// The configuration guards of issue 16 against the real daemon binary
// (EXPORTERD_BINARY) run as a child process: --config.check on files that are
// not configurations, and reloads (SIGHUP) that would have turned basic auth
// off or unloaded every module.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "exporterd/runner.h"
#include "test_kit.h"

namespace exporterd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Curl;
using testing::DaemonProcess;
using testing::HttpResult;
using testing::Sample;
using testing::Sh;
using testing::TempDir;
using testing::WaitFor;

// `exporterd --config.check <args>`: exit code and stderr.
RunResult ConfigCheck(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {
      EXPORTERD_BINARY, "--config.check",
      std::string("--module.dir=") + TEST_MODULE_DIR};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions o;
  o.timeout = seconds(20);
  return Run(argv, o);
}

// --config.check with `flag` exits 1 promptly, exit 1, with `message` on
// stderr.
void ExpectCheckRefuses(const std::string& flag, const std::string& message) {
  const auto start = std::chrono::steady_clock::now();
  RunResult r = ConfigCheck({flag});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(r.timed_out) << flag;
  EXPECT_EQ(r.term_signal, 0) << flag << "\n" << r.err;
  EXPECT_EQ(r.exit_code, 1) << flag << "\n" << r.err;
  EXPECT_LT(took, seconds(5)) << flag;
  EXPECT_NE(r.err.find(message), std::string::npos)
      << flag << ": want \"" << message << "\" in:\n"
      << r.err;
}

TEST(ConfigGuardsTest, ConfigCheckRefusesNonRegularFiles) {
  TempDir dir;
  ExpectCheckRefuses("--config.file=" + dir.path(),
                     dir.path() + ": cannot read config file: is a directory");
  ExpectCheckRefuses(
      "--config.file=/dev/zero",
      "/dev/zero: cannot read config file: is not a regular file (character "
      "device)");
  const std::string fifo = dir.path() + "/exporterd.yml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ExpectCheckRefuses(
      "--config.file=" + fifo,
      fifo + ": cannot read config file: is not a regular file (fifo)");
  // The web config goes through the same guards.
  const std::string good = dir.Write("good.yml", "modules: {}\n");
  ExpectCheckRefuses(
      "--web.config.file=" + fifo,
      fifo + ": cannot read web config file: is not a regular file (fifo)");
  // Still a good config alone.
  RunResult ok = ConfigCheck({"--config.file=" + good});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(ConfigGuardsTest, ConfigCheckRefusesEmptyAndOversizedFiles) {
  TempDir dir;
  const std::string empty = dir.Write("empty.yml", "# nothing yet\n");
  ExpectCheckRefuses("--config.file=" + empty,
                     empty + ": empty configuration file");
  const std::string big = dir.Write(
      "big.yml", "modules: {}\n#" + std::string(kMaxConfigFileBytes, 'x'));
  ExpectCheckRefuses("--config.file=" + big,
                     big +
                         ": cannot read config file: is larger than the "
                         "limit of 4194304 bytes (4 MiB)");
  const std::string good = dir.Write("good.yml", "modules: {}\n");
  const std::string web = dir.Write("web.yml", "");
  RunResult r =
      ConfigCheck({"--config.file=" + good, "--web.config.file=" + web});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(web + ": empty web config file"), std::string::npos)
      << r.err;
}

TEST(ConfigGuardsTest, ConfigCheckRefusesUnboundedDurations) {
  TempDir dir;
  const std::string cfg = dir.Write("exporterd.yml",
                                    "modules:\n"
                                    "  testmod:\n"
                                    "    timeout: 300y\n"
                                    "    min_interval: 999999999999y\n");
  RunResult r = ConfigCheck({"--config.file=" + cfg});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.term_signal, 0) << r.err;
  EXPECT_NE(
      r.err.find(cfg + ":3: modules.testmod.timeout: must be between 1ms and "
                       "1h, got \"300y\""),
      std::string::npos)
      << r.err;
  EXPECT_NE(
      r.err.find(cfg + ":4: modules.testmod.min_interval: must be between 0s "
                       "and 1d, got \"999999999999y\""),
      std::string::npos)
      << r.err;
}

// Writes `content` to `path` through a temporary file and rename(), as an
// editor or config management would.
void Replace(const TempDir& dir, const std::string& path,
             const std::string& content) {
  const std::string tmp = dir.Write("replace.tmp", content);
  ASSERT_EQ(::rename(tmp.c_str(), path.c_str()), 0);
}

// Issue 16: a 0-byte web config (or `basic_auth_users:` without users)
// reloaded "successfully" and the daemon then served without auth. Now the
// reload fails, the running auth stays, and the failure is visible.
TEST(ConfigGuardsTest, ReloadKeepsAuthWhenWebConfigIsEmptied) {
  TempDir dir;
  std::string line = Sh("htpasswd -nbB -C 5 prometheus 's3cr:et'");
  const std::string hash =
      line.substr(line.find(':') + 1, line.find('\n') - line.find(':') - 1);
  ASSERT_EQ(hash.size(), 60u) << line;
  const std::string good_web =
      "basic_auth_users:\n  prometheus: '" + hash + "'\n";
  const std::string good_cfg = "modules:\n  testmod:\n    series: 1\n";
  const std::string cfg = dir.Write("exporterd.yml", good_cfg);
  const std::string web = dir.Write("web.yml", good_web);
  DaemonProcess d;
  ASSERT_TRUE(d.Start({"--config.file=" + cfg, "--web.config.file=" + web}))
      << d.Log();
  const std::string base = d.Url("");
  const std::vector<std::string> creds = {"-u", "prometheus:s3cr:et"};
  ASSERT_TRUE(WaitFor(
      [&] {
        return !d.Alive() || Curl(base + "/-/healthy", creds).status == 200;
      },
      seconds(15)));
  ASSERT_TRUE(d.Alive()) << d.Log();

  auto reload_ok = [&]() {
    return Sample(Curl(base + "/metrics", creds).body,
                  "exporterd_config_last_reload_successful");
  };
  auto reload_and_expect = [&](double want) {
    EXPECT_TRUE(d.Signal(SIGHUP));
    return WaitFor([&] { return reload_ok() == want; }, seconds(15));
  };
  ASSERT_EQ(Curl(base + "/metrics").status, 401);
  ASSERT_EQ(reload_ok(), 1.0) << d.Log();

  struct Case {
    const char* what;
    std::string web;
  };
  for (const Case& c :
       {Case{"0 bytes", ""}, Case{"comments only", "# basic_auth_users:\n"},
        Case{"basic_auth_users: without users", "basic_auth_users:\n"},
        Case{"basic_auth_users: {}", "basic_auth_users: {}\n"}}) {
    SCOPED_TRACE(c.what);
    Replace(dir, web, c.web);
    ASSERT_TRUE(reload_and_expect(0.0)) << d.Log();
    // Still protected: no credentials, no metrics.
    HttpResult none = Curl(base + "/metrics");
    EXPECT_EQ(none.status, 401);
    EXPECT_TRUE(none.HasHeader("WWW-Authenticate: Basic"));
    HttpResult with = Curl(base + "/metrics", creds);
    EXPECT_EQ(with.status, 200);
    EXPECT_EQ(Sample(with.body, "exporterd_module_up{module=\"testmod\"}"),
              1.0);
    // Back to the good file: reload succeeds again.
    Replace(dir, web, good_web);
    ASSERT_TRUE(reload_and_expect(1.0)) << d.Log();
  }
  EXPECT_NE(d.Log().find("empty web config file"), std::string::npos)
      << d.Log();

  // The main config emptied (a truncated write) keeps the running modules.
  Replace(dir, cfg, "");
  ASSERT_TRUE(reload_and_expect(0.0)) << d.Log();
  HttpResult with = Curl(base + "/metrics", creds);
  EXPECT_EQ(Sample(with.body, "exporterd_module_up{module=\"testmod\"}"), 1.0)
      << with.body;
  EXPECT_NE(d.Log().find("empty configuration file"), std::string::npos)
      << d.Log();
  // A directory in its place, too.
  ASSERT_EQ(::unlink(cfg.c_str()), 0);
  ASSERT_EQ(::mkdir(cfg.c_str(), 0700), 0);
  Replace(dir, web, good_web);
  EXPECT_TRUE(d.Signal(SIGHUP));
  ASSERT_TRUE(WaitFor(
      [&] {
        return d.Log().find("cannot read config file: is a directory") !=
               std::string::npos;
      },
      seconds(15)))
      << d.Log();
  EXPECT_EQ(reload_ok(), 0.0);
  with = Curl(base + "/metrics", creds);
  EXPECT_EQ(Sample(with.body, "exporterd_module_up{module=\"testmod\"}"), 1.0);
  EXPECT_EQ(Curl(base + "/metrics").status, 401);
  EXPECT_TRUE(d.Alive());
}

}  // namespace
}  // namespace exporterd
