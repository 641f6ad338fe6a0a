// A real net-snmp agent for the client's integration tests: snmpd in the
// foreground (a ChildProcess), in its own TempDir, on a free port on 127.0.0.1
// (UDP and TCP) and [::1] (UDP), with
//   v2c community "public" (read-only),
//   v3 users benchuser (SHA/AES, authpass123/privpass123),
//            bench256 (SHA-256/AES, same passphrases),
//            authonly (SHA, authNoPriv, authpass123),
//   a pass_persist table of kBigRows rows x 5 columns under kBigTable
//   (python3): col 1 INTEGER i, 2 STRING "port%05d", 3 Counter64
//   i*1000003, 4 Gauge32 i%101, 5 INTEGER 1|2,
//   a broken subtree kLoopTable whose GETNEXT answers .1.5 for anything
//   before it and .1.3 after (OIDs that go backwards, forever).
// One agent per test process, started on first use, killed at exit.
#ifndef EXPORTERD_SNMP_TESTS_SNMPD_ENV_H_
#define EXPORTERD_SNMP_TESTS_SNMPD_ENV_H_

#include <memory>
#include <string>
#include <vector>

#include "test_kit.h"

namespace exporterd::snmp::testing {

inline constexpr const char* kBigTable = "1.3.6.1.4.1.8072.9999.9999.7";
inline constexpr int kBigRows = 10000;
inline constexpr const char* kLoopTable = "1.3.6.1.4.1.8072.9999.9999.8";

class Snmpd {
 public:
  // The running agent; starts it on first call. Aborts the test process if
  // it cannot start (the message says why).
  static Snmpd& Get();

  int port() const { return port_; }
  std::string udp() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string udp6() const { return "udp6:[::1]:" + std::to_string(port_); }
  std::string tcp() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

  // A port nothing listens on (UDP, 127.0.0.1).
  static int DeadPort();

  void Stop();
  ~Snmpd();

 private:
  Snmpd() = default;
  void Start();

  std::unique_ptr<exporterd::testing::TempDir> dir_;
  int port_ = 0;
  exporterd::testing::ChildProcess agent_;
};

}  // namespace exporterd::snmp::testing

#endif  // EXPORTERD_SNMP_TESTS_SNMPD_ENV_H_
