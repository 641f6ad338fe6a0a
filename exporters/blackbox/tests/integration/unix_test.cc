// The unix prober end to end: the real exporterd with exporterd_blackbox.so
// probing real unix-socket services: socat (a line protocol through a
// shell script, query_response with expect, labels, expect_bytes and send),
// `openssl s_server -unix` (TLS over a unix socket, verified with a CA made
// now), a missing path, a socket root owns with mode 0600 probed by an
// exporterd running as nobody (permission denied), and a listener that
// never answers (the deadline).
//
// No parity run: Debian's blackbox_exporter is 0.23, which has no unix
// prober (it came in 0.25). The expected series and errors are upstream
// 0.28's (prober/unix.go, prober/query_response.go): no chooseProtocol
// series, probe_failed_due_to_regex / probe_failed_due_to_bytes once
// connected, the TLS series with TLS.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "blackbox_pair.h"
#include "test_kit.h"

namespace exporterd::blackbox {
namespace {

using exporterd::testing::ChildProcess;
using exporterd::testing::DaemonProcess;
using exporterd::testing::HttpResult;
using exporterd::testing::ReadFile;
using exporterd::testing::Sample;
using exporterd::testing::Sh;
using exporterd::testing::TempDir;
using exporterd::testing::WaitFor;

// A unix listener that never accepts: connect() completes (the backlog),
// nothing is ever said.
class SilentUnixListener {
 public:
  explicit SilentUnixListener(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    path.copy(a.sun_path, sizeof a.sun_path - 1);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 64);
  }
  ~SilentUnixListener() {
    close(fd_);
    unlink(path_.c_str());
  }

 private:
  std::string path_;
  int fd_ = -1;
};

bool WaitForSocket(const std::string& path) {
  for (int i = 0; i < 100; ++i) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

struct Env {
  TempDir dir;
  std::vector<std::unique_ptr<ChildProcess>> servers;
  BlackboxPair pair;
  std::unique_ptr<SilentUnixListener> silent;
  std::string Path(const std::string& name) const {
    return dir.path() + "/" + name;
  }
  std::string Yml() const {
    return "modules:\n"
           "  unix_connect:\n    prober: unix\n"
           "  unix_greeting:\n    prober: unix\n    unix:\n"
           "      query_response:\n"
           "        - expect: '^220 unix ready v([0-9]+)'\n"
           "          labels: [{name: version, value: '${1}'}]\n"
           "          send: 'hello v${1}'\n"
           "        - expect: '^got:hello v3$'\n"
           "  unix_bytes:\n    prober: unix\n    unix:\n"
           "      query_response:\n"
           "        - expect_bytes: '220 unix'\n"
           "  unix_bytes_fail:\n    prober: unix\n    unix:\n"
           "      query_response:\n"
           "        - expect_bytes: '550 nope'\n"
           "  unix_regex_fail:\n    prober: unix\n    unix:\n"
           "      query_response:\n"
           "        - expect: '^220'\n"
           "          send: 'x'\n"
           "        - expect: '^this never comes'\n"
           "  unix_silent:\n    prober: unix\n    timeout: 1s\n    unix:\n"
           "      query_response:\n"
           "        - expect: 'anything'\n"
           "  unix_tls:\n    prober: unix\n    unix:\n"
           "      tls: true\n"
           "      tls_config:\n"
           "        ca_file: " +
           Path("ca.crt") +
           "\n"
           "        server_name: localhost\n"
           "      query_response:\n"
           "        - expect: '^220 unix ready v3'\n"
           "          send: 'over tls'\n"
           "        - expect: '^got:over tls$'\n"
           "  unix_tls_no_name:\n    prober: unix\n    unix:\n"
           "      tls: true\n"
           "      tls_config:\n"
           "        ca_file: " +
           Path("ca.crt") + "\n";
  }
};

Env* g_env = nullptr;

// Starts `cmd` (a shell command, in the test directory, its output in
// server.log) and waits until `ready` (a shell condition) holds.
void Background(Env& e, const std::string& cmd, const std::string& ready) {
  e.servers.push_back(std::make_unique<ChildProcess>(
      std::vector<std::string>{"sh", "-c",
                               "cd " + e.dir.path() + " && exec " + cmd},
      e.Path("server.log")));
  WaitFor([&] { return Sh("if " + ready + "; then echo yes; fi") == "yes\n"; });
}

std::string SocketExists(const std::string& path) {
  return "[ -S " + path + " ]";
}

class UnixIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_env = new Env;
    Env& e = *g_env;
    // The directory is traversable for the nobody daemon; the sockets
    // inside decide who may connect.
    chmod(e.dir.path().c_str(), 0755);
    e.dir.Write("greet.sh",
                "#!/bin/sh\n"
                "echo '220 unix ready v3'\n"
                "read line\n"
                "echo \"got:$line\"\n",
                0755);
    Background(e,
               "socat UNIX-LISTEN:" + e.Path("greet.sock") +
                   ",fork,mode=0666 EXEC:" + e.Path("greet.sh"),
               SocketExists(e.Path("greet.sock")));
    Background(e,
               "socat UNIX-LISTEN:" + e.Path("denied.sock") +
                   ",fork,mode=0600 EXEC:" + e.Path("greet.sh"),
               SocketExists(e.Path("denied.sock")));
    Sh("cd " + e.dir.path() +
       " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key"
       " -out ca.crt -days 60 -subj '/CN=exporterd unix test CA' 2>/dev/null"
       " && openssl req -newkey rsa:2048 -nodes -keyout server.key"
       " -out server.csr -subj '/CN=localhost' 2>/dev/null"
       " && printf 'subjectAltName=DNS:localhost\\n' > san.ext"
       " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key"
       " -CAcreateserial -out server.crt -days 30 -extfile san.ext 2>/dev/null"
       " && date -d \"$(openssl x509 -enddate -noout -in server.crt"
       " | cut -d= -f2)\" +%s > server.enddate");
    // TLS over a unix socket: socat's OPENSSL-LISTEN is TCP only, so a socat
    // TLS server on 127.0.0.1 sits behind a socat unix-socket relay: the
    // TLS handshake and records pass through the unix socket unchanged.
    const std::string tls_port = std::to_string(exporterd::testing::FreePort());
    Background(e,
               "socat OPENSSL-LISTEN:" + tls_port +
                   ",bind=127.0.0.1,reuseaddr,fork,cert=server.crt,"
                   "key=server.key,verify=0 EXEC:" +
                   e.Path("greet.sh"),
               "ss -ltn | grep -q '127.0.0.1:" + tls_port + " '");
    Background(e,
               "socat UNIX-LISTEN:" + e.Path("tls.sock") +
                   ",fork,mode=0666 TCP:127.0.0.1:" + tls_port,
               SocketExists(e.Path("tls.sock")));
    e.silent = std::make_unique<SilentUnixListener>(e.Path("silent.sock"));
    for (const char* s : {"greet.sock", "denied.sock", "tls.sock"})
      ASSERT_TRUE(WaitForSocket(e.Path(s)))
          << s << ReadFile(e.Path("server.log"));
    ASSERT_TRUE(e.pair.Start(e.Yml(), "")) << e.pair.Log();
  }
  static void TearDownTestSuite() { delete g_env; }
  Env& e() { return *g_env; }
  HttpResult Probe(const std::string& module, const std::string& target,
                   std::vector<std::string> args = {}) {
    return e().pair.Ours(module, target, std::move(args));
  }
  std::string Debug(const std::string& module, const std::string& target) {
    return e()
        .pair.daemon()
        .Get("/probe?module=" + module + "&target=" + target + "&debug=true")
        .body;
  }
};

TEST_F(UnixIntegration, ConnectOnlyHasNoAddressSeries) {
  HttpResult r = Probe("unix_connect", e().Path("greet.sock"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Sample(r.body, "probe_success"), 1) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_failed_due_to_regex"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_failed_due_to_bytes"), 0) << r.body;
  // No chooseProtocol for a path.
  EXPECT_TRUE(std::isnan(Sample(r.body, "probe_ip_protocol"))) << r.body;
  EXPECT_TRUE(std::isnan(Sample(r.body, "probe_dns_lookup_time_seconds")))
      << r.body;
  EXPECT_TRUE(std::isnan(Sample(r.body, "probe_ip_addr_hash"))) << r.body;
  EXPECT_EQ(r.body.find("probe_failure_info"), std::string::npos) << r.body;
}

TEST_F(UnixIntegration, QueryResponseExpectLabelsAndSend) {
  HttpResult r = Probe("unix_greeting", e().Path("greet.sock"));
  EXPECT_EQ(Sample(r.body, "probe_success"), 1)
      << r.body << Debug("unix_greeting", e().Path("greet.sock"));
  EXPECT_EQ(Sample(r.body, "probe_expect_info{version=\"3\"}"), 1) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_failed_due_to_regex"), 0) << r.body;
  // The script echoed what was sent (the expanded ${1}).
  std::string dbg = Debug("unix_greeting", e().Path("greet.sock"));
  EXPECT_NE(dbg.find("line=\"got:hello v3\""), std::string::npos) << dbg;
}

TEST_F(UnixIntegration, ExpectBytes) {
  HttpResult ok = Probe("unix_bytes", e().Path("greet.sock"));
  EXPECT_EQ(Sample(ok.body, "probe_success"), 1) << ok.body;
  EXPECT_EQ(Sample(ok.body, "probe_failed_due_to_bytes"), 0) << ok.body;
  HttpResult bad = Probe("unix_bytes_fail", e().Path("greet.sock"));
  EXPECT_EQ(Sample(bad.body, "probe_success"), 0) << bad.body;
  EXPECT_EQ(Sample(bad.body, "probe_failed_due_to_bytes"), 1) << bad.body;
  EXPECT_EQ(Sample(bad.body, "probe_failure_info{reason=\"bytes\"}"), 1)
      << bad.body;
}

TEST_F(UnixIntegration, RegexNotMatched) {
  HttpResult r = Probe("unix_regex_fail", e().Path("greet.sock"));
  EXPECT_EQ(Sample(r.body, "probe_success"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_failed_due_to_regex"), 1) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_failure_info{reason=\"regex\"}"), 1)
      << r.body;
}

TEST_F(UnixIntegration, TlsOverUnixSocket) {
  HttpResult r = Probe("unix_tls", e().Path("tls.sock"));
  EXPECT_EQ(Sample(r.body, "probe_success"), 1)
      << r.body << Debug("unix_tls", e().Path("tls.sock"));
  const double enddate = std::stod(ReadFile(e().Path("server.enddate")));
  EXPECT_EQ(Sample(r.body, "probe_ssl_earliest_cert_expiry"), enddate)
      << r.body;
  EXPECT_EQ(Sample(r.body, "probe_ssl_last_chain_expiry_timestamp_seconds"),
            enddate)
      << r.body;
  EXPECT_NE(r.body.find("probe_tls_version_info{version=\"TLS 1."),
            std::string::npos)
      << r.body;
  // As upstream: tcp's probe_tls_cipher_info is an http series only.
  EXPECT_EQ(r.body.find("probe_tls_cipher_info"), std::string::npos) << r.body;
}

TEST_F(UnixIntegration, TlsServerNameDefaultsToThePath) {
  // Go's tls.Dial takes the address (the path) as the server name: the
  // certificate for "localhost" does not match it.
  HttpResult r = Probe("unix_tls_no_name", e().Path("tls.sock"));
  EXPECT_EQ(Sample(r.body, "probe_success"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_failure_info{reason=\"tls\"}"), 1) << r.body;
}

TEST_F(UnixIntegration, MissingSocket) {
  const std::string path = e().Path("nothing-here.sock");
  HttpResult r = Probe("unix_connect", path);
  EXPECT_EQ(Sample(r.body, "probe_success"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_failure_info{reason=\"connect\"}"), 1)
      << r.body;
  EXPECT_TRUE(std::isnan(Sample(r.body, "probe_failed_due_to_regex")))
      << r.body;
  std::string dbg = Debug("unix_connect", path);
  EXPECT_NE(
      dbg.find("dial unix " + path + ": connect: no such file or directory"),
      std::string::npos)
      << dbg;
}

TEST_F(UnixIntegration, NotASocket) {
  HttpResult r = Probe("unix_connect", e().Path("greet.sh"));
  EXPECT_EQ(Sample(r.body, "probe_success"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_failure_info{reason=\"connect\"}"), 1)
      << r.body;
}

TEST_F(UnixIntegration, PathTooLong) {
  HttpResult r = Probe("unix_connect", "/tmp/" + std::string(200, 'x'));
  EXPECT_EQ(Sample(r.body, "probe_success"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_failure_info{reason=\"target\"}"), 1)
      << r.body;
}

TEST_F(UnixIntegration, SilentServerEndsAtTheDeadline) {
  const auto t0 = std::chrono::steady_clock::now();
  HttpResult r = Probe("unix_silent", e().Path("silent.sock"));
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_EQ(Sample(r.body, "probe_success"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_failure_info{reason=\"timeout\"}"), 1)
      << r.body;
  EXPECT_LT(took, 5.0);  // the module's 1s, not the daemon's 30s
}

// An exporterd running as nobody (setpriv) against a socket root owns with
// mode 0600: connect() is refused with EACCES.
TEST_F(UnixIntegration, PermissionDeniedAsNobody) {
  TempDir cfg;
  chmod(cfg.path().c_str(), 0755);
  cfg.Write("blackbox.yml", e().Yml(), 0644);
  cfg.Write("exporterd.yml",
            "modules:\n  blackbox:\n    config_file: blackbox.yml\n", 0644);
  DaemonProcess d;
  // The prefix execs setpriv itself; '#' comments out the kit's own exec.
  const std::string prefix =
      "exec setpriv --reuid=65534 --regid=65534 --clear-groups -- \"$0\" "
      "\"$@\" 2>>'" +
      d.dir().path() + "/stderr.log' #";
  ASSERT_TRUE(d.Start({"--config.file=" + cfg.path() + "/exporterd.yml",
                       "--module.dir=" BLACKBOX_MODULE_DIR},
                      prefix))
      << d.Log();
  const std::string path = e().Path("denied.sock");
  HttpResult r = d.Get("/probe?module=unix_connect&target=" + path);
  EXPECT_EQ(Sample(r.body, "probe_success"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "probe_failure_info{reason=\"connect\"}"), 1)
      << r.body;
  std::string dbg =
      d.Get("/probe?module=unix_connect&debug=true&target=" + path).body;
  EXPECT_NE(dbg.find("permission denied connecting to unix socket " + path),
            std::string::npos)
      << dbg;
  // The same daemon reaches the socket everyone may use.
  HttpResult ok =
      d.Get("/probe?module=unix_greeting&target=" + e().Path("greet.sock"));
  EXPECT_EQ(Sample(ok.body, "probe_success"), 1) << ok.body;
}

}  // namespace
}  // namespace exporterd::blackbox
