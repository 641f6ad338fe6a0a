#include "snmpd_env.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "exporterd/runner.h"

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

void Snmpd::Start() {
  dir_ = std::make_unique<exporterd::testing::TempDir>();
  const std::string& d = dir_->path();
  dir_->Mkdir("persist");
  dir_->Write("bigtable.py", kBigTableHelper, 0755);
  dir_->Write("loop.py", kLoopHelper, 0755);
  port_ = FreePort();
  const std::string p = std::to_string(port_);
  std::ostringstream conf;
  conf << "[snmp] persistentDir " << d << "/persist\n"
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
       << "pass_persist ." << kBigTable << " " << d << "/bigtable.py\n"
       << "pass_persist ." << kLoopTable << " " << d << "/loop.py\n";
  const std::string conf_path = dir_->Write("snmpd.conf", conf.str(), 0600);
  const std::string log = d + "/snmpd.log";
  // env sets the table's size and execs snmpd: the child is snmpd itself.
  if (!agent_.Start(
          {"/usr/bin/env", "BIGTABLE_ROWS=" + std::to_string(kBigRows),
           "/usr/sbin/snmpd", "-f", "-C", "-c", conf_path, "-Lf", log, "-m", "",
           "-p", d + "/snmpd.pid"},
          d + "/stdout.log"))
    Die("cannot start /usr/sbin/snmpd");
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (exporterd::Run({"snmpget", "-v2c", "-c", "public", "-t", "0.2", "-r",
                        "0", "-m", "", udp(), "1.3.6.1.2.1.1.3.0"})
            .Success())
      return;
    if (!agent_.Alive()) {
      std::ifstream f(log);
      std::stringstream ss;
      ss << f.rdbuf();
      Die("snmpd exited (status " + std::to_string(agent_.exit_status()) +
          "): " + ss.str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Die("snmpd did not answer within 10 s (log in " + log + ")");
}

void Snmpd::Stop() {
  agent_.Stop(std::chrono::seconds(2));
  dir_.reset();
}

}  // namespace exporterd::snmp::testing
