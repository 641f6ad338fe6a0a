// The module linked directly (no dlopen): where it looks vendor tools up
// (tool_dirs, never the daemon's PATH), the tool_dirs configuration, and
// what Debug() (the landing page) shows. The fake storcli64 prints real
// captures from tests/fixtures/storcli.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "raid_module.h"

namespace exporterd::raid {
namespace {

namespace fs = std::filesystem;

const std::string kFixtures = RAID_FIXTURE_DIR;

class CaptureLogger : public Logger {
 public:
  void Log(LogLevel, std::string_view msg, const LogFields&) noexcept override {
    lines.emplace_back(msg);
  }
  std::vector<std::string> lines;
};

struct Loaded {
  std::unique_ptr<Module> module;
  ConfigErrors errors;
  CaptureLogger logger;
  RaidModule* get() { return static_cast<RaidModule*>(module.get()); }
};

std::unique_ptr<Loaded> Load(const std::string& yaml) {
  auto l = std::make_unique<Loaded>();
  YAML::Node root = YAML::Load(yaml);
  YAML::Node body = root["modules"]["raid"];
  ModuleEnv env;
  env.name = "raid";
  env.config = body.IsDefined() && !body.IsNull() ? &body : nullptr;
  env.config_file = "exporterd.yml";
  env.key_path = "modules.raid";
  env.logger = &l->logger;
  l->module = RaidModule::Create(env, l->errors);
  return l;
}

std::string Scrape(Module* m) {
  CollectRequest req;
  req.deadline = Clock::now() + std::chrono::seconds(10);
  CollectResult r = m->Collect(req);
  EXPECT_TRUE(r.ok) << r.error;
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, r.families);
  return out.str();
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
    std::string tmpl = (fs::temp_directory_path() / "raid-mt-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    on_path_ = dir_ + "/on-path";
    tool_dir_ = dir_ + "/tool-dir";
    fs::create_directories(on_path_);
    fs::create_directories(tool_dir_);
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
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A fake storcli64 in `dir` answering both commands from real captures.
  static void WriteStorcli(const std::string& dir) {
    std::string path = dir + "/storcli64";
    std::ofstream(path)
        << "#!/bin/sh\n"
           "case \"$1\" in\n"
           "  /call) cat '"
        << kFixtures
        << "/storcli/promcommunity-cALL-show-all.json' ;;\n"
           "  /call/eall/sall) cat '"
        << kFixtures
        << "/storcli/promcommunity-cALL-eALL-sALL-show-all.json' ;;\n"
           "  *) exit 2 ;;\n"
           "esac\n";
    chmod(path.c_str(), 0755);
  }

  std::string Config(const std::string& extra) const {
    return "modules:\n  raid:\n    disabled_tools: [md]\n" + extra;
  }

  std::string dir_, on_path_, tool_dir_, old_path_;
  bool had_path_ = false;
};

TEST_F(RaidModuleTest, ToolOnlyOnPathIsNotUsed) {
  WriteStorcli(on_path_);
  auto l = Load(Config("    tool_dirs: ['" + tool_dir_ + "']\n"));
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  std::string m = Scrape(l->module.get());
  EXPECT_EQ(m.find("raid_up{tool=\"storcli\"}"), std::string::npos) << m;
  std::string debug = l->module->Debug();
  EXPECT_EQ(debug.find(on_path_), std::string::npos) << debug;
  EXPECT_NE(debug.find("not installed: storcli"), std::string::npos) << debug;
}

TEST_F(RaidModuleTest, BareConfiguredNameIsNotLookedUpInPath) {
  WriteStorcli(on_path_);
  auto l = Load(Config("    tool_dirs: ['" + tool_dir_ +
                       "']\n"
                       "    tools: {storcli: storcli64}\n"));
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  std::string m = Scrape(l->module.get());
  EXPECT_NE(m.find("raid_up{tool=\"storcli\"} 0"), std::string::npos) << m;
  std::string debug = l->module->Debug();
  EXPECT_NE(debug.find("storcli: configured tool \"storcli64\" not found in "
                       "tool_dirs"),
            std::string::npos)
      << debug;
}

TEST_F(RaidModuleTest, ToolInToolDirsIsUsed) {
  WriteStorcli(on_path_);
  WriteStorcli(tool_dir_);
  auto l = Load(Config("    tool_dirs: ['" + tool_dir_ + "']\n"));
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  std::string m = Scrape(l->module.get());
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
  WriteStorcli(tool_dir_);
  auto l = Load(Config("    tool_dirs: ['" + tool_dir_ + "', '" + tool_dir_ +
                       "/', '" + dir_ + "/./tool-dir', /usr/bin, /usr/bin]\n"));
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  EXPECT_EQ(l->get()->tool_dirs(),
            (std::vector<std::string>{tool_dir_, "/usr/bin"}));
  Scrape(l->module.get());
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
  std::string err = l->errors.ToString();
  EXPECT_NE(err.find("exporterd.yml:5: modules.raid.tool_dirs[1]: \"bin\" is "
                     "not an absolute directory"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("exporterd.yml:6: modules.raid.tool_dirs[2]: \"\" is "
                     "not an absolute directory"),
            std::string::npos)
      << err;
  EXPECT_EQ(l->errors.list.size(), 2u) << err;
}

TEST_F(RaidModuleTest, ToolDirsMustBeAList) {
  auto l = Load("modules:\n  raid:\n    tool_dirs: /usr/sbin\n");
  EXPECT_NE(l->errors.ToString().find(
                "exporterd.yml:3: modules.raid.tool_dirs: expected a list"),
            std::string::npos)
      << l->errors.ToString();
}

TEST_F(RaidModuleTest, RelativeConfiguredToolPathIsAConfigError) {
  auto l = Load(
      "modules:\n"
      "  raid:\n"
      "    tools:\n"
      "      storcli: bin/storcli64\n"
      "      megacli: [sudo, -n, /opt/MegaRAID/MegaCli/MegaCli64]\n");
  std::string err = l->errors.ToString();
  EXPECT_NE(err.find("exporterd.yml:4: modules.raid.tools.storcli: "
                     "\"bin/storcli64\" must be an absolute path"),
            std::string::npos)
      << err;
  EXPECT_EQ(l->errors.list.size(), 1u) << err;
}

TEST_F(RaidModuleTest, EmptyToolDirsRunsOnlyAbsoluteConfiguredTools) {
  WriteStorcli(tool_dir_);
  auto l = Load(Config("    tool_dirs: []\n    tools: {storcli: '" + tool_dir_ +
                       "/storcli64'}\n"));
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  EXPECT_TRUE(l->get()->tool_dirs().empty());
  std::string m = Scrape(l->module.get());
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
  EXPECT_NE(both->errors.ToString().find("modules.raid.search_path: is the "
                                         "former name of tool_dirs"),
            std::string::npos)
      << both->errors.ToString();
  EXPECT_EQ(both->errors.list.size(), 1u) << both->errors.ToString();
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
