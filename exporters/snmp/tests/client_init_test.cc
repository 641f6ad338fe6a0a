// Process-wide init: the module is dlopen'd into a host that may use
// net-snmp itself. Each case runs in a fresh process (threadsafe death-test
// style re-executes the binary), since init_snmp() runs once per process.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "exporterd/asio.h"
#include "snmp_client.h"
#include "snmpd_env.h"

// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
// clang-format on

namespace exporterd::snmp {
namespace {

using testing::Snmpd;

// Walks system with v2c and v3 on `io`; 0 when both work.
int WalkBoth(boost::asio::io_context& io, Engine& engine) {
  const std::string target = Snmpd::Get().udp();
  SessionOptions v2;
  v2.target = target;
  v2.timeout = std::chrono::milliseconds(1000);
  SessionOptions v3 = v2;
  v3.version = 3;
  v3.username = "benchuser";
  v3.security_level = SecurityLevel::kAuthPriv;
  v3.auth_protocol = "SHA";
  v3.password = "authpass123";
  v3.priv_protocol = "AES";
  v3.priv_password = "privpass123";
  int ok = 0;
  for (const auto& o : {v2, v3}) {
    std::string err;
    auto s = engine.NewSession(o, &err);
    if (!s) return 10;
    s->Walk(*ParseOid("1.3.6.1.2.1.1"), [&](OpResult r) {
      if (r.ok() && r.varbinds.size() > 5) ++ok;
    });
  }
  io.run_for(std::chrono::seconds(5));
  return ok == 2 ? 0 : 20 + ok;
}

TEST(InitTest, OwnInitIsQuietAndWorks) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        boost::asio::io_context io;
        int rc;
        {
          Engine engine(io);
          rc = Engine::InitNote().empty() ? WalkBoth(io, engine) : 2;
          // Our init kept the host's locale.
          if (std::string(setlocale(LC_CTYPE, nullptr)) != "C") rc = 3;
        }
        Snmpd::Get().Stop();
        _exit(rc);
      },
      ::testing::ExitedWithCode(0), "^$");  // nothing on stderr
}

TEST(InitTest, HostInitializedNetSnmpFirst) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                               NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
        setenv("MIBS", "", 1);
        init_snmp("hostapp");
        boost::asio::io_context io;
        int rc;
        {
          Engine engine(io);
          rc = Engine::InitNote().find("\"hostapp\"") != std::string::npos
                   ? WalkBoth(io, engine)
                   : 2;
        }
        Snmpd::Get().Stop();
        _exit(rc);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(InitTest, OneIoContextPerProcess) {
  boost::asio::io_context a, b;
  Engine first(a);
  Engine same(a);  // fine: same loop
  EXPECT_THROW(Engine other(b), std::logic_error);
}

}  // namespace
}  // namespace exporterd::snmp
