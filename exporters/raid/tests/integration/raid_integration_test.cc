// The raid module through the real loader (build/modules/exporterd_raid.so
// in an in-process daemon), the real runner, the /metrics handler and the
// landing page, with fake vendor tools in the configured tool_dirs: small
// shell scripts that print a real capture, exit non-zero, or hang. The
// daemon's PATH holds a decoy that must never run.
#include <dirent.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "raid_test_util.h"
#include "test_kit.h"

namespace exporterd {
namespace {

using testing::PromtoolCheckMetrics;
using testing::Sample;
using testing::TestDaemon;

const std::string kFixtures = RAID_FIXTURE_DIR;
// The hanging tool sleeps this many seconds: unique enough to find it in
// /proc afterwards.
constexpr const char* kHangSeconds = "613";

// MegaCli from real captures; also records its working directory.
std::string MegacliScript(const std::string& cwd_file) {
  return "pwd > '" + cwd_file +
         "'\n"
         "case \"$1\" in\n"
         "  -LDInfo) cat '" +
         kFixtures +
         "/megacli/checkraid-issue45-ldinfo-7vd-optimal.txt' ;;\n"
         "  -PDList) cat '" +
         kFixtures +
         "/megacli/checkraid-issue45-pdlist-8pd-online.txt' ;;\n"
         "  -AdpBbuCmd) cat '" +
         kFixtures +
         "/megacli/checkraid-issue32-bbustatus-get-failed.txt'; exit 34 ;;\n"
         "  *) exit 2 ;;\n"
         "esac\n";
}

// Processes whose command line is "sleep <kHangSeconds>".
int HangingSleeps() {
  int n = 0;
  DIR* d = opendir("/proc");
  if (!d) return -1;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline",
                     std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
    if (cmd.find(std::string("sleep") + '\0' + kHangSeconds) !=
        std::string::npos)
      ++n;
  }
  closedir(d);
  return n;
}

class RaidIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = daemon_.dir().Mkdir("bin");
    decoy_ = daemon_.dir().Mkdir("decoy");
    // A storcli64 that reports being run, first in the daemon's PATH: the
    // module looks tools up only in tool_dirs, so it never runs.
    decoy_ran_ = daemon_.dir().path() + "/decoy.ran";
    daemon_.dir().Write("decoy/storcli64",
                        "#!/bin/sh\ntouch '" + decoy_ran_ + "'\nexit 1\n");
    old_path_ = getenv("PATH") ? getenv("PATH") : "";
    setenv("PATH", (decoy_ + ":" + old_path_).c_str(), 1);
    daemon_.flags().module_dirs = {RAID_MODULE_DIR};
  }
  void TearDown() override {
    daemon_.Stop();
    setenv("PATH", old_path_.c_str(), 1);
    EXPECT_FALSE(std::filesystem::exists(decoy_ran_))
        << "a tool from PATH was run";
  }

  // A fake tool in the tool_dirs directory: a shell script.
  void Tool(const std::string& name, const std::string& script) const {
    daemon_.dir().Write("bin/" + name, "#!/bin/sh\n" + script);
  }

  // The module's config with tool_dirs = the fake tools' directory.
  std::string RaidConfig(const std::string& keys) const {
    return "modules:\n  raid:\n    tool_dirs: ['" + bin_ + "']\n" + keys;
  }

  bool Start(const std::string& config) { return daemon_.Start(config); }

  HttpResponse Get(const std::string& path,
                   const std::string& scrape_timeout = "") {
    HttpRequest req;
    req.method = "GET";
    req.target = path;
    req.path = path;
    if (!scrape_timeout.empty())
      req.headers = {{"x-prometheus-scrape-timeout-seconds", scrape_timeout}};
    req.remote = "127.0.0.1";
    return daemon_.app().HandleNow(req);
  }

  HttpResponse Scrape(const std::string& timeout_seconds) {
    return Get("/metrics", timeout_seconds);
  }

  TestDaemon daemon_;
  std::string bin_;
  std::string decoy_;
  std::string decoy_ran_;
  std::string old_path_;
};

// Occurrences of `needle` in `text`.
int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = 0; (pos = text.find(needle, pos)) != std::string::npos;
       pos += needle.size())
    ++n;
  return n;
}

TEST_F(RaidIntegration, ToolsFromToolDirsAndAFailingOne) {
  std::string megacli_cwd = daemon_.dir().path() + "/megacli.cwd";
  daemon_.dir().Write("bin/storcli64", raid::testutil::FakeStorcli());
  Tool("MegaCli64", MegacliScript(megacli_cwd));
  // ssacli (when built in) exits non-zero: raid_up 0, not a module failure.
  Tool("ssacli", "echo 'Error: permission denied' >&2\nexit 1\n");
  ASSERT_TRUE(
      Start(RaidConfig("    timeout: 5s\n"
                       "    mdstat_path: " +
                       kFixtures +
                       "/mdstat/checkraid-white-mdstat-recovery.txt\n"
                       "    tools:\n"
                       "      megacli: MegaCli64\n")));
  HttpResponse r = Scrape("10");
  ASSERT_EQ(r.status, 200);
  const std::string& m = r.body;
  EXPECT_EQ(Sample(m, "exporterd_module_up{module=\"raid\"}"), 1) << m;
  EXPECT_EQ(Sample(m, "raid_up{tool=\"storcli\"}"), 1) << m;
  EXPECT_EQ(Sample(m, "raid_up{tool=\"megacli\"}"), 1) << m;
  EXPECT_EQ(Sample(m, "raid_up{tool=\"md\"}"), 1) << m;
  EXPECT_EQ(
      Sample(m, "raid_controller_health{tool=\"storcli\",controller=\"0\"}"),
      0);
  EXPECT_EQ(Sample(m,
                   "raid_physical_drive_temperature_celsius{tool=\"storcli\","
                   "controller=\"0\",drive=\"252:0\"}"),
            21);
  EXPECT_EQ(Sample(m,
                   "raid_logical_drive_health{tool=\"megacli\",controller="
                   "\"0\",drive=\"0/6\"}"),
            0);
  EXPECT_EQ(Sample(m,
                   "raid_rebuild_progress_ratio{tool=\"md\",controller="
                   "\"md126\",drive=\"md126\"}"),
            0.292);
  EXPECT_EQ(Sample(m, "node_md_disks{device=\"md126\",state=\"active\"}"), 1);
  if (m.find("raid_up{tool=\"ssacli\"}") != std::string::npos) {
    EXPECT_EQ(Sample(m, "raid_up{tool=\"ssacli\"}"), 0);
    EXPECT_EQ(Sample(m, "raid_health"), 3);  // a tool down: unknown
  } else {
    EXPECT_EQ(Sample(m, "raid_health"), 1);  // md recovery
  }
  // MegaCli ran in the module's private directory, not the daemon's cwd.
  std::ifstream in(megacli_cwd);
  std::string cwd;
  std::getline(in, cwd);
  EXPECT_NE(cwd.find("exporterd-raid-"), std::string::npos) << cwd;
  EXPECT_EQ(PromtoolCheckMetrics(m), "");

  // The landing page: each tool found once with its absolute path, the
  // directories once, and neither the daemon's PATH nor the working dir.
  HttpResponse landing = Get("/");
  ASSERT_EQ(landing.status, 200);
  const std::string& page = landing.body;
  EXPECT_EQ(Count(page, "storcli: " + bin_ + "/storcli64\n"), 1) << page;
  EXPECT_EQ(Count(page, "megacli: " + bin_ + "/MegaCli64 (from tools:)\n"), 1)
      << page;
  EXPECT_EQ(Count(page, bin_ + "/storcli64"), 1) << page;
  EXPECT_EQ(Count(page, bin_ + " "), 0) << page;  // directories: only once
  EXPECT_EQ(Count(page, bin_ + "\n"), 1) << page;
  EXPECT_EQ(Count(page, "PATH="), 0) << page;
  EXPECT_EQ(Count(page, decoy_), 0) << page;
  EXPECT_EQ(Count(page, "exporterd-raid-"), 0) << page;
}

TEST_F(RaidIntegration, NonZeroExitIsRaidUpZero) {
  Tool("storcli64",
       "echo 'storcli: cannot open /dev/megaraid_sas_ioctl_node' >&2\n"
       "exit 1\n");
  ASSERT_TRUE(Start(RaidConfig("    mdstat_path: " + kFixtures +
                               "/mdstat/checkraid-centos62-healthy.txt\n")));
  HttpResponse r = Scrape("10");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"raid\"}"), 1);
  EXPECT_EQ(Sample(r.body, "raid_up{tool=\"storcli\"}"), 0) << r.body;
  EXPECT_EQ(Sample(r.body, "raid_up{tool=\"md\"}"), 1);
  EXPECT_EQ(Sample(r.body, "raid_health"), 3);
  // Not installed and not configured: not reported at all.
  EXPECT_EQ(r.body.find("raid_up{tool=\"megacli\"}"), std::string::npos);
  EXPECT_EQ(PromtoolCheckMetrics(r.body), "");
  // The reason shows in the module's details on the landing page.
  HttpResponse landing = Get("/");
  EXPECT_NE(landing.body.find("storcli: DOWN (show_all: exit status 1: "
                              "storcli: cannot open "
                              "/dev/megaraid_sas_ioctl_node)"),
            std::string::npos)
      << landing.body;
}

TEST_F(RaidIntegration, HangingToolHonoursDeadlineAndLeavesNothing) {
  ASSERT_EQ(HangingSleeps(), 0);
  Tool("storcli64", std::string("sleep ") + kHangSeconds + "\n");
  Tool("MegaCli64", MegacliScript(daemon_.dir().path() + "/cwd"));
  ASSERT_TRUE(Start(
      RaidConfig("    timeout: 2s\n"
                 "    mdstat_path: " +
                 kFixtures + "/mdstat/checkraid-centos62-healthy.txt\n")));
  auto t0 = std::chrono::steady_clock::now();
  HttpResponse r = Scrape("10");
  double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  ASSERT_EQ(r.status, 200);
  EXPECT_LT(took, 2.5) << "scrape took " << took << "s with a 2s timeout";
  EXPECT_GT(took, 1.5);
  EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"raid\"}"), 1)
      << r.body;
  EXPECT_EQ(Sample(r.body, "raid_up{tool=\"storcli\"}"), 0) << r.body;
  // The other tool ran in parallel and still made it.
  EXPECT_EQ(Sample(r.body, "raid_up{tool=\"megacli\"}"), 1);
  EXPECT_EQ(Sample(r.body, "raid_up{tool=\"md\"}"), 1);
  // The whole process group (sh and its sleep) was killed and reaped.
  int left = -1;
  for (int i = 0; i < 20 && (left = HangingSleeps()) != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(left, 0);
  EXPECT_EQ(PromtoolCheckMetrics(r.body), "");
}

TEST_F(RaidIntegration, NothingFoundStillReportsHealth) {
  // The decoy storcli64 is in PATH, not in tool_dirs.
  ASSERT_TRUE(Start(RaidConfig("    disabled_tools: [md]\n")));
  HttpResponse r = Scrape("10");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"raid\"}"), 1);
  EXPECT_EQ(Sample(r.body, "raid_health"), 0);
  EXPECT_EQ(r.body.find("raid_up{"), std::string::npos) << r.body;
}

TEST_F(RaidIntegration, BadConfigIsRefusedWithKeyPath) {
  std::string err;
  EXPECT_FALSE(
      daemon_.Start("modules:\n  raid:\n    tools:\n      nosuch: /x\n"
                    "    colour: blue\n"
                    "    tool_dirs: [/usr/sbin, sbin]\n",
                    "", &err));
  EXPECT_NE(err.find("modules.raid.tools.nosuch"), std::string::npos) << err;
  EXPECT_NE(err.find("colour"), std::string::npos) << err;
  EXPECT_NE(
      err.find("exporterd.yml:6: modules.raid.tool_dirs[1]: \"sbin\" is not "
               "an absolute directory"),
      std::string::npos)
      << err;
}

}  // namespace
}  // namespace exporterd
