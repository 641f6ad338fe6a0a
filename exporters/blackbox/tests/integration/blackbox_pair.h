// What every blackbox integration test file shares: the real exporterd with
// exporterd_blackbox.so and Debian's blackbox_exporter 0.23 side by side,
// each on its own blackbox.yml, and the parity view of an exposition.
//
//   BlackboxPair pair;
//   ASSERT_TRUE(pair.Start(ours_yml, peer_yml)) << pair.Log();
//   ProbePair p = pair.ExpectSame("dns_udp", "127.0.0.1:5353");
//   (both 200, equal Comparable() views; p.ours, p.theirs for more checks)
#ifndef EXPORTERD_BLACKBOX_TESTS_INTEGRATION_BLACKBOX_PAIR_H_
#define EXPORTERD_BLACKBOX_TESTS_INTEGRATION_BLACKBOX_PAIR_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_kit.h"

namespace exporterd::blackbox {

// name{labels} -> value, for the series that are not timings and exist in
// both 0.23 and 0.28 (probe_timeout_seconds, probe_tls_cipher_info,
// probe_failed_due_to_bytes, probe_expect_info (query_response labels)
// and the serialnumber label came after 0.23; probe_failure_info is
// ours). `skip`: more names to leave out.
inline std::map<std::string, double> Comparable(
    const std::string& text, const std::set<std::string>& skip = {}) {
  static const std::set<std::string> kSkip = {
      "probe_duration_seconds",      "probe_dns_lookup_time_seconds",
      "probe_http_duration_seconds", "probe_timeout_seconds",
      "probe_tls_cipher_info",       "probe_failed_due_to_bytes",
      "probe_failure_info",          "probe_expect_info"};
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    std::string series = line.substr(0, sp);
    std::string name = series.substr(0, series.find('{'));
    if (kSkip.count(name) || skip.count(name)) continue;
    size_t sn = series.find(",serialnumber=\"");
    if (sn != std::string::npos)
      series.erase(sn, series.find('"', sn + 15) + 1 - sn);
    out[series] = std::stod(line.substr(sp + 1));
  }
  return out;
}

// One probe on both daemons.
struct ProbePair {
  exporterd::testing::HttpResult ours, theirs;
};

class BlackboxPair {
 public:
  BlackboxPair() = default;
  BlackboxPair(const BlackboxPair&) = delete;
  BlackboxPair& operator=(const BlackboxPair&) = delete;

  // Writes both files into dir() and starts both; `peer_yml` empty: no
  // peer. `module_keys` go under modules.blackbox in exporterd.yml.
  bool Start(const std::string& ours_yml, const std::string& peer_yml,
             const std::string& module_keys = "    timeout: 30s\n") {
    dir_.Write("blackbox.yml", ours_yml, 0600);
    dir_.Write(
        "exporterd.yml",
        "modules:\n  blackbox:\n    config_file: blackbox.yml\n" + module_keys,
        0600);
    exporterd::testing::RaiseFdLimit();
    if (!d_.Start({"--config.file=" + dir_.path() + "/exporterd.yml",
                   "--module.dir=" BLACKBOX_MODULE_DIR},
                  "ulimit -n 8192;"))
      return false;
    if (peer_yml.empty()) return true;
    dir_.Write("peer.yml", peer_yml, 0600);
    peer_port_ = exporterd::testing::FreePort();
    peer_.Start(
        {"prometheus-blackbox-exporter",
         "--config.file=" + dir_.path() + "/peer.yml",
         "--web.listen-address=127.0.0.1:" + std::to_string(peer_port_)},
        dir_.path() + "/peer.log");
    for (int i = 0; i < 200; ++i) {
      if (PeerUp()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  bool PeerUp() const {
    return peer_port_ != 0 &&
           exporterd::testing::Curl(PeerUrl("/-/healthy")).status == 200;
  }
  void StopPeer() { peer_.Stop(); }

  exporterd::testing::HttpResult Ours(
      const std::string& module, const std::string& target,
      std::vector<std::string> args = {}) const {
    return d_.Get("/probe?module=" + module + "&target=" + target,
                  std::move(args));
  }
  exporterd::testing::HttpResult Theirs(const std::string& module,
                                        const std::string& target) const {
    return exporterd::testing::Curl(
        PeerUrl("/probe?module=" + module + "&target=" + target));
  }
  // Probes both; the test fails (non-fatally) unless both answer 200 and
  // their Comparable() views, less `skip` and after `adjust` on the peer's,
  // are equal.
  ProbePair ExpectSame(
      const std::string& module, const std::string& target,
      const std::set<std::string>& skip = {},
      const std::function<void(std::map<std::string, double>*)>& adjust =
          nullptr) const {
    ProbePair p{Ours(module, target), Theirs(module, target)};
    EXPECT_EQ(p.ours.status, 200) << p.ours.body << Log();
    EXPECT_EQ(p.theirs.status, 200) << p.theirs.body;
    auto theirs = Comparable(p.theirs.body, skip);
    if (adjust) adjust(&theirs);
    EXPECT_EQ(Comparable(p.ours.body, skip), theirs)
        << "ours:\n"
        << p.ours.body << "\ntheirs:\n"
        << p.theirs.body;
    return p;
  }
  std::string PeerUrl(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(peer_port_) + path;
  }
  // Both logs, for a failure message.
  std::string Log() const {
    return "exporterd:\n" + d_.Log() + "\nblackbox_exporter:\n" +
           exporterd::testing::ReadFile(dir_.path() + "/peer.log");
  }

  exporterd::testing::DaemonProcess& daemon() { return d_; }
  const exporterd::testing::TempDir& dir() const { return dir_; }

 private:
  exporterd::testing::TempDir dir_;
  exporterd::testing::DaemonProcess d_;
  uint16_t peer_port_ = 0;
  exporterd::testing::ChildProcess peer_;
};

}  // namespace exporterd::blackbox

#endif  // EXPORTERD_BLACKBOX_TESTS_INTEGRATION_BLACKBOX_PAIR_H_
