#include "snmpd_env.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace exporterd::snmp::testing {
namespace {

// net-snmp pass_persist helper: the synthetic table.
constexpr const char* kBigTableHelper = R"PY(#!/usr/bin/python3
import os, sys, bisect
BASE = ".1.3.6.1.4.1.8072.9999.9999.7"
ROWS = int(os.environ.get("BIGTABLE_ROWS", "10000"))
bt = tuple(int(x) for x in BASE.strip(".").split("."))
vals = {}
for col in range(1, 6):
    for i in range(1, ROWS + 1):
        vals[bt + (1, col, i)] = [("integer", str(i)), ("string", "port%05d" % i),
            ("counter64", str(i * 1000003)), ("gauge", str(i % 101)),
            ("integer", "1" if i % 7 else "2")][col - 1]
keys = sorted(vals)
def parse(s): return tuple(int(x) for x in s.strip().strip(".").split(".") if x)
w = sys.stdout
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "PING": w.write("PONG\n"); w.flush(); continue
    if cmd in ("get", "getnext"):
        oid = parse(sys.stdin.readline())
        if cmd == "get": k = oid if oid in vals else None
        else:
            j = bisect.bisect_right(keys, oid); k = keys[j] if j < len(keys) else None
        if k is None: w.write("NONE\n")
        else: t, v = vals[k]; w.write(".%s\n%s\n%s\n" % (".".join(map(str, k)), t, v))
        w.flush(); continue
    if cmd == "set": sys.stdin.readline(); sys.stdin.readline(); w.write("not-writable\n"); w.flush(); continue
    if cmd == "": break
)PY";

// pass_persist helper for kLoopTable.
constexpr const char* kLoopHelper = R"PY(#!/usr/bin/python3
import sys
B = ".1.3.6.1.4.1.8072.9999.9999.8"
def parse(s): return tuple(int(x) for x in s.strip().strip(".").split(".") if x)
five = parse(B + ".1.5")
w = sys.stdout
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "PING": w.write("PONG\n"); w.flush(); continue
    if cmd in ("get", "getnext"):
        oid = parse(sys.stdin.readline())
        if cmd == "get": w.write("NONE\n")
        elif oid < five: w.write(B + ".1.5\ninteger\n5\n")
        else: w.write(B + ".1.3\ninteger\n3\n")
        w.flush(); continue
    if cmd == "set": sys.stdin.readline(); sys.stdin.readline(); w.write("not-writable\n"); w.flush(); continue
    if cmd == "": break
)PY";

[[noreturn]] void Die(const std::string& why) {
  fprintf(stderr, "snmpd_env: %s\n", why.c_str());
  std::_Exit(2);
}

// A port free for UDP and TCP on 127.0.0.1 and UDP on ::1.
int FreePort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      close(s);
      continue;
    }
    socklen_t len = sizeof(a);
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    const int port = ntohs(a.sin_port);
    int t = socket(AF_INET, SOCK_STREAM, 0);
    const bool tcp_ok = bind(t, reinterpret_cast<sockaddr*>(&a), len) == 0;
    int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
    sockaddr_in6 b{};
    b.sin6_family = AF_INET6;
    b.sin6_addr = in6addr_loopback;
    b.sin6_port = htons(port);
    const bool v6_ok =
        bind(u6, reinterpret_cast<sockaddr*>(&b), sizeof(b)) == 0;
    close(u6);
    close(t);
    close(s);
    if (tcp_ok && v6_ok) return port;
  }
  Die("no free port");
}

}  // namespace

Snmpd& Snmpd::Get() {
  static Snmpd* agent = [] {
    auto* a = new Snmpd();
    a->Start();
    // Stop at exit even when a test fails.
    std::atexit([] { Get().Stop(); });
    return a;
  }();
  return *agent;
}

Snmpd::~Snmpd() { Stop(); }

int Snmpd::DeadPort() {
  // Bound then closed: nothing listens there for the test's duration.
  return FreePort();
}

std::string Snmpd::Run(const std::vector<std::string>& argv, int* status) {
  int pipefd[2];
  if (pipe(pipefd) != 0) Die("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
  posix_spawn_file_actions_addclose(&fa, pipefd[0]);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  const int rc =
      posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(pipefd[1]);
  std::string out;
  if (rc == 0) {
    char buf[65536];
    ssize_t n;
    while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) out.append(buf, n);
  }
  close(pipefd[0]);
  int st = -1;
  if (rc == 0) waitpid(pid, &st, 0);
  if (status) *status = rc == 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

void Snmpd::Start() {
  char tmpl[] = "/tmp/snmp-client-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) Die("mkdtemp");
  dir_ = tmpl;
  std::filesystem::create_directories(dir_ + "/persist");
  {
    std::ofstream f(dir_ + "/bigtable.py");
    f << kBigTableHelper;
  }
  chmod((dir_ + "/bigtable.py").c_str(), 0755);
  {
    std::ofstream f(dir_ + "/loop.py");
    f << kLoopHelper;
  }
  chmod((dir_ + "/loop.py").c_str(), 0755);
  port_ = FreePort();
  const std::string p = std::to_string(port_);
  {
    std::ofstream f(dir_ + "/snmpd.conf");
    f << "[snmp] persistentDir " << dir_ << "/persist\n"
      << "agentAddress udp:127.0.0.1:" << p << ",udp6:[::1]:" << p
      << ",tcp:127.0.0.1:" << p << "\n"
      << "rocommunity public 127.0.0.1\n"
      << "rocommunity6 public ::1\n"
      << "createUser benchuser SHA \"authpass123\" AES \"privpass123\"\n"
      << "createUser bench256 SHA-256 \"authpass123\" AES \"privpass123\"\n"
      << "createUser authonly SHA \"authpass123\"\n"
      << "rouser benchuser priv\n"
      << "rouser bench256 priv\n"
      << "rouser authonly auth\n"
      << "sysLocation test-lab\n"
      << "sysContact test@example.invalid\n"
      << "sysName snmp-test\n"
      << "dontLogTCPWrappersConnects yes\n"
      << "pass_persist ." << kBigTable << " " << dir_ << "/bigtable.py\n"
      << "pass_persist ." << kLoopTable << " " << dir_ << "/loop.py\n";
  }
  const std::string conf = dir_ + "/snmpd.conf";
  const std::string log = dir_ + "/snmpd.log";
  std::vector<std::string> argv = {
      "/usr/sbin/snmpd",  "-f", "-C", "-c", conf, "-Lf", log, "-m", "", "-p",
      dir_ + "/snmpd.pid"};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::string rows = "BIGTABLE_ROWS=" + std::to_string(kBigRows);
  std::vector<char*> env;
  for (char** e = environ; *e; ++e)
    if (strncmp(*e, "BIGTABLE_ROWS=", 14) != 0) env.push_back(*e);
  env.push_back(rows.data());
  env.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, args[0], &fa, nullptr, args.data(), env.data()) != 0)
    Die("cannot start /usr/sbin/snmpd");
  posix_spawn_file_actions_destroy(&fa);
  pid_ = pid;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    Run({"snmpget", "-v2c", "-c", "public", "-t", "0.2", "-r", "0", "-m", "",
         udp(), "1.3.6.1.2.1.1.3.0"},
        &status);
    if (status == 0) return;
    int st;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream f(log);
      std::stringstream ss;
      ss << f.rdbuf();
      Die("snmpd exited: " + ss.str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Die("snmpd did not answer within 10 s (log in " + log + ")");
}

void Snmpd::Stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int st;
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &st, 0);
      pid_ = -1;
    }
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

}  // namespace exporterd::snmp::testing
