// The module linked directly (no dlopen): where it looks vendor tools up
// (tool_dirs, never the daemon's PATH), the tool_dirs configuration, and
// what Debug() (the landing page) shows. The fake storcli64 prints real
// captures from tests/fixtures/storcli.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <sstream>
#include <string>
#include <vector>

#include "raid_module.h"
#include "raid_test_util.h"

namespace exporterd::raid {
namespace {

using exporterd::testing::ExpectReadmeReference;
using exporterd::testing::Serialize;
using exporterd::testing::TempDir;

auto Load(const std::string& yaml) {
  return exporterd::testing::Load<RaidModule>("raid", yaml);
}

// The exposition of one collection.
std::string Scrape(exporterd::testing::LoadedModule<RaidModule>& l) {
  CollectResult r = l.Collect(std::chrono::seconds(10));
  EXPECT_TRUE(r.ok) << r.error;
  return Serialize(r.families);
}

// Whether one of `errors` reads `want` (or contains it).
::testing::AssertionResult HasError(const ConfigErrors& errors,
                                    const std::string& want) {
  const std::string all = errors.ToString();
  if (all.find(want) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no error \"" << want << "\" in:\n"
                                       << all;
}

// Lines of `text` that contain `needle`.
int CountLines(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) ++n;
  return n;
}

// Occurrences of `word` as a whole space-separated word.
int CountWords(const std::string& text, const std::string& word) {
  std::istringstream in(text);
  int n = 0;
  for (std::string w; in >> w;)
    if (w == word) ++n;
  return n;
}

class RaidModuleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path();
    on_path_ = tmp_.Mkdir("on-path");
    tool_dir_ = tmp_.Mkdir("tool-dir");
    const char* p = getenv("PATH");
    had_path_ = p != nullptr;
    old_path_ = p ? p : "";
    // The daemon's PATH starts with a directory holding a working storcli64.
    setenv("PATH", (on_path_ + ":" + on_path_ + ":" + old_path_).c_str(), 1);
  }
  void TearDown() override {
    if (had_path_)
      setenv("PATH", old_path_.c_str(), 1);
    else
      unsetenv("PATH");
  }

  // A fake storcli64 in on-path/ or tool-dir/.
  void WriteStorcli(const std::string& subdir) const {
    tmp_.Write(subdir + "/storcli64", testutil::FakeStorcli());
  }

  std::string Config(const std::string& extra) const {
    return "modules:\n  raid:\n    disabled_tools: [md]\n" + extra;
  }

  TempDir tmp_;
  std::string dir_, on_path_, tool_dir_, old_path_;
  bool had_path_ = false;
};

TEST_F(RaidModuleTest, ToolOnlyOnPathIsNotUsed) {
  WriteStorcli("on-path");
  auto l = Load(Config("    tool_dirs: ['" + tool_dir_ + "']\n"));
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  std::string m = Scrape(*l);
  EXPECT_EQ(m.find("raid_up{tool=\"storcli\"}"), std::string::npos) << m;
  std::string debug = l->module->Debug();
  EXPECT_EQ(debug.find(on_path_), std::string::npos) << debug;
  EXPECT_NE(debug.find("not installed: storcli"), std::string::npos) << debug;
}

TEST_F(RaidModuleTest, BareConfiguredNameIsNotLookedUpInPath) {
  WriteStorcli("on-path");
  auto l = Load(Config("    tool_dirs: ['" + tool_dir_ +
                       "']\n"
                       "    tools: {storcli: storcli64}\n"));
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  std::string m = Scrape(*l);
  EXPECT_NE(m.find("raid_up{tool=\"storcli\"} 0"), std::string::npos) << m;
  std::string debug = l->module->Debug();
  EXPECT_NE(debug.find("storcli: configured tool \"storcli64\" not found in "
                       "tool_dirs"),
            std::string::npos)
      << debug;
}

TEST_F(RaidModuleTest, ToolInToolDirsIsUsed) {
  WriteStorcli("on-path");
  WriteStorcli("tool-dir");
  auto l = Load(Config("    tool_dirs: ['" + tool_dir_ + "']\n"));
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  std::string m = Scrape(*l);
  EXPECT_NE(m.find("raid_up{tool=\"storcli\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("raid_controller_health{tool=\"storcli\",controller=\"0\"} "
                   "0"),
            std::string::npos)
      << m;
  std::string debug = l->module->Debug();
  EXPECT_NE(debug.find("  storcli: " + tool_dir_ + "/storcli64\n"),
            std::string::npos)
      << debug;
  EXPECT_EQ(debug.find(on_path_), std::string::npos) << debug;
  EXPECT_NE(debug.find("  storcli: up\n"), std::string::npos) << debug;
}

TEST_F(RaidModuleTest, DebugShowsNoEnvironmentAndEachDirectoryOnce) {
  WriteStorcli("tool-dir");
  auto l = Load(Config("    tool_dirs: ['" + tool_dir_ + "', '" + tool_dir_ +
                       "/', '" + dir_ + "/./tool-dir', /usr/bin, /usr/bin]\n"));
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  EXPECT_EQ(l->get()->tool_dirs(),
            (std::vector<std::string>{tool_dir_, "/usr/bin"}));
  Scrape(*l);
  std::string debug = l->module->Debug();
  EXPECT_EQ(debug.find("PATH="), std::string::npos) << debug;
  if (!old_path_.empty()) {
    EXPECT_EQ(debug.find(old_path_), std::string::npos) << debug;
  }
  EXPECT_EQ(debug.find("exporterd-raid-"), std::string::npos)
      << "the working directory is not shown\n"
      << debug;
  EXPECT_EQ(debug.find("workdir"), std::string::npos) << debug;
  EXPECT_EQ(CountWords(debug, tool_dir_), 1) << debug;
  EXPECT_EQ(CountWords(debug, "/usr/bin"), 1) << debug;
  // The directories are listed once, not per tool; the tool found once.
  EXPECT_EQ(CountLines(debug, "tool_dirs"), 1) << debug;
  EXPECT_EQ(CountLines(debug, tool_dir_ + "/storcli64"), 1) << debug;
}

TEST_F(RaidModuleTest, DefaultToolDirsAreTheFixedListNotPath) {
  auto l = Load("modules:\n  raid: {}\n");
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  const std::vector<std::string> want = {"/usr/local/sbin",
                                         "/usr/local/bin",
                                         "/usr/sbin",
                                         "/usr/bin",
                                         "/sbin",
                                         "/bin",
                                         "/opt/MegaRAID/storcli",
                                         "/opt/MegaRAID/perccli",
                                         "/opt/MegaRAID/MegaCli",
                                         "/usr/Arcconf"};
  EXPECT_EQ(l->get()->tool_dirs(), want);
  EXPECT_EQ(DefaultToolDirs(), want);
  std::string debug = l->module->Debug();
  EXPECT_EQ(debug.find(on_path_), std::string::npos) << debug;
  EXPECT_EQ(debug.find("PATH="), std::string::npos) << debug;
  for (const std::string& d : want) EXPECT_EQ(CountWords(debug, d), 1) << d;
}

TEST_F(RaidModuleTest, RelativeToolDirIsAConfigError) {
  auto l = Load(
      "modules:\n"
      "  raid:\n"
      "    tool_dirs:\n"
      "      - /usr/sbin\n"
      "      - bin\n"
      "      - ''\n");
  EXPECT_TRUE(HasError(l->errors,
                       "exporterd.yml:5: modules.raid.tool_dirs[1]: \"bin\" is "
                       "not an absolute directory"));
  EXPECT_TRUE(HasError(l->errors,
                       "exporterd.yml:6: modules.raid.tool_dirs[2]: \"\" is "
                       "not an absolute directory"));
  EXPECT_EQ(l->errors.list.size(), 2u) << l->errors.ToString();
}

TEST_F(RaidModuleTest, ToolDirsMustBeAList) {
  auto l = Load("modules:\n  raid:\n    tool_dirs: /usr/sbin\n");
  EXPECT_TRUE(HasError(
      l->errors, "exporterd.yml:3: modules.raid.tool_dirs: expected a list"));
}

TEST_F(RaidModuleTest, RelativeConfiguredToolPathIsAConfigError) {
  auto l = Load(
      "modules:\n"
      "  raid:\n"
      "    tools:\n"
      "      storcli: bin/storcli64\n"
      "      megacli: [sudo, -n, /opt/MegaRAID/MegaCli/MegaCli64]\n");
  EXPECT_TRUE(HasError(l->errors,
                       "exporterd.yml:4: modules.raid.tools.storcli: "
                       "\"bin/storcli64\" must be an absolute path"));
  EXPECT_EQ(l->errors.list.size(), 1u) << l->errors.ToString();
}

TEST_F(RaidModuleTest, EmptyToolDirsRunsOnlyAbsoluteConfiguredTools) {
  WriteStorcli("tool-dir");
  auto l = Load(Config("    tool_dirs: []\n    tools: {storcli: '" + tool_dir_ +
                       "/storcli64'}\n"));
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  EXPECT_TRUE(l->get()->tool_dirs().empty());
  std::string m = Scrape(*l);
  EXPECT_NE(m.find("raid_up{tool=\"storcli\"} 1"), std::string::npos) << m;
  EXPECT_EQ(CountLines(m, "raid_up{"), 1) << m;
  EXPECT_NE(l->module->Debug().find("tool_dirs (searched in this order; PATH "
                                    "is not): none\n"),
            std::string::npos)
      << l->module->Debug();
}

TEST_F(RaidModuleTest, SearchPathIsTheDeprecatedNameOfToolDirs) {
  auto l = Load(Config("    search_path: [/usr/sbin, /usr/sbin/]\n"));
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  EXPECT_EQ(l->get()->tool_dirs(), (std::vector<std::string>{"/usr/sbin"}));
  ASSERT_EQ(l->logger.lines.size(), 1u);
  EXPECT_NE(l->logger.lines[0].find("deprecated"), std::string::npos);

  auto both =
      Load(Config("    search_path: [/usr/sbin]\n"
                  "    tool_dirs: [/usr/bin]\n"));
  EXPECT_TRUE(HasError(both->errors,
                       "modules.raid.search_path: is the former name of "
                       "tool_dirs"));
  EXPECT_EQ(both->errors.list.size(), 1u) << both->errors.ToString();
}

TEST_F(RaidModuleTest, ToolsAndDisabledToolsErrors) {
  auto l = Load(
      "modules:\n"
      "  raid:\n"
      "    tools:\n"
      "      storcli: /opt/MegaRAID/storcli/storcli64\n"
      "      md: /sbin/mdadm\n"
      "      megacli: []\n"
      "    disabled_tools: [storcli, nosuch]\n");
  EXPECT_TRUE(HasError(l->errors,
                       "exporterd.yml:5: modules.raid.tools.md: unknown tool "
                       "(known: arcconf, areca, md, megacli, ssacli, storcli, "
                       "tw_cli)"));
  EXPECT_TRUE(HasError(l->errors,
                       "exporterd.yml:6: modules.raid.tools.megacli: must be a "
                       "path or a non-empty list of strings"));
  EXPECT_TRUE(HasError(l->errors,
                       "exporterd.yml:7: modules.raid.disabled_tools: unknown "
                       "tool \"nosuch\" (known: arcconf, areca, md, megacli, "
                       "ssacli, storcli, tw_cli)"));
  EXPECT_TRUE(HasError(l->errors,
                       "exporterd.yml:7: modules.raid.disabled_tools: "
                       "\"storcli\" is also set in tools"));
  EXPECT_EQ(l->errors.list.size(), 4u) << l->errors.ToString();

  auto not_a_map = Load("modules:\n  raid:\n    tools: [storcli]\n");
  EXPECT_EQ(not_a_map->errors.ToString(),
            "exporterd.yml:3: modules.raid.tools: must be a mapping of tool "
            "name to path or argv\n");
}

TEST(RaidConfigTest, Defaults) {
  auto l = Load("modules:\n  raid: {}\n");
  ASSERT_TRUE(l->ok()) << l->errors.ToString();
  const Config& c = l->get()->config();
  EXPECT_TRUE(c.tools.empty());
  EXPECT_FALSE(c.mdstat_path);
  EXPECT_TRUE(c.disabled_tools.empty());
  EXPECT_EQ(c.tool_dirs, DefaultToolDirs());
  EXPECT_NE(l->module->Debug().find("mdstat_path: /proc/mdstat\n"),
            std::string::npos);
}

TEST(RaidConfigTest, ReadmeCarriesTheConfigReference) {
  ExpectReadmeReference(RAID_FIXTURE_DIR "/../../README.md",
                        RaidModule::ConfigReference());
}

TEST(NormalizeToolDirTest, AbsoluteOnly) {
  EXPECT_EQ(NormalizeToolDir("/usr/sbin/"), "/usr/sbin");
  EXPECT_EQ(NormalizeToolDir("/usr//sbin"), "/usr/sbin");
  EXPECT_EQ(NormalizeToolDir("/usr/./lib/../sbin"), "/usr/sbin");
  EXPECT_EQ(NormalizeToolDir("/"), "/");
  EXPECT_EQ(NormalizeToolDir("sbin"), "");
  EXPECT_EQ(NormalizeToolDir("./sbin"), "");
  EXPECT_EQ(NormalizeToolDir(""), "");
}

}  // namespace
}  // namespace exporterd::raid
