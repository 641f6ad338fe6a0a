// Config parsing: typed values, durations, and errors that name file, line
// and key.
#include "config.h"

#include <gtest/gtest.h>

#include <sstream>

#include "app.h"
#include "exporterd/config_reader.h"
#include "test_util.h"

namespace exporterd {
namespace {

using std::chrono::milliseconds;

TEST(DurationTest, ParsesPrometheusDurations) {
  EXPECT_EQ(ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseDuration("4s"), milliseconds(4000));
  EXPECT_EQ(ParseDuration("1m"), milliseconds(60000));
  EXPECT_EQ(ParseDuration("1m30s"), milliseconds(90000));
  EXPECT_EQ(ParseDuration("1h"), milliseconds(3600000));
  EXPECT_EQ(ParseDuration("2d"), milliseconds(2 * 86400000LL));
  EXPECT_EQ(ParseDuration("1w"), milliseconds(7 * 86400000LL));
  EXPECT_EQ(ParseDuration("0"), milliseconds(0));
  EXPECT_EQ(ParseDuration("1s500ms"), milliseconds(1500));
}

TEST(DurationTest, RejectsMalformed) {
  for (const char* bad :
       {"", "5", "s", "1.5s", "-1s", "1x", "1s1m", "1s1s", "10 s", "1S"})
    EXPECT_FALSE(ParseDuration(bad)) << bad;
}

TEST(DurationTest, FormatsBack) {
  EXPECT_EQ(FormatDuration(milliseconds(90000)), "1m30s");
  EXPECT_EQ(FormatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
}

// Errors as printed: one per line, by line number.
std::vector<std::string> Errors(const std::string& yaml) {
  ConfigErrors errors;
  EXPECT_FALSE(ParseConfig(yaml, "cfg.yml", &errors));
  std::vector<std::string> out;
  std::istringstream in(errors.ToString());
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(ConfigTest, ParsesModulesWithCommonKeys) {
  ConfigErrors errors;
  auto cfg = ParseConfig(
      "modules:\n"
      "  raid:\n"
      "    timeout: 4s\n"
      "    min_interval: 1m\n"
      "  ceph: {}\n",
      "cfg.yml", &errors);
  ASSERT_TRUE(cfg) << errors.ToString();
  ASSERT_EQ(cfg->modules.size(), 2u);
  EXPECT_EQ(cfg->modules[0].name, "raid");
  EXPECT_EQ(cfg->modules[0].line, 2);
  EXPECT_EQ(cfg->modules[0].timeout, milliseconds(4000));
  EXPECT_EQ(cfg->modules[0].min_interval, milliseconds(60000));
  EXPECT_EQ(cfg->modules[1].timeout, kDefaultModuleTimeout);
  EXPECT_EQ(cfg->modules[1].min_interval, milliseconds(0));
}

TEST(ConfigTest, EmptyFileMeansNoModules) {
  ConfigErrors errors;
  auto cfg = ParseConfig("", "cfg.yml", &errors);
  ASSERT_TRUE(cfg);
  EXPECT_TRUE(cfg->modules.empty());
}

TEST(ConfigTest, UnknownTopLevelKeyNamesLine) {
  EXPECT_EQ(Errors("modules: {}\nmodulez: {}\n"),
            std::vector<std::string>{"cfg.yml:2: modulez: unknown key"});
}

TEST(ConfigTest, BadDurationNamesLineAndKey) {
  EXPECT_EQ(Errors("modules:\n  raid:\n    timeout: 10\n"),
            std::vector<std::string>{
                "cfg.yml:3: modules.raid.timeout: expected a duration like "
                "500ms, 4s or 1m, got \"10\""});
}

TEST(ConfigTest, EveryErrorIsReported) {
  auto errs = Errors(
      "modules:\n"
      "  raid:\n"
      "    timeout: soon\n"
      "    min_interval: [1]\n"
      "  Bad-Name: {}\n"
      "extra: 1\n");
  ASSERT_EQ(errs.size(), 4u);
  EXPECT_EQ(errs[0].rfind("cfg.yml:3: modules.raid.timeout:", 0), 0u);
  EXPECT_EQ(errs[1].rfind("cfg.yml:4: modules.raid.min_interval:", 0), 0u);
  EXPECT_EQ(errs[2].rfind("cfg.yml:5: modules.Bad-Name:", 0), 0u);
  EXPECT_EQ(errs[3], "cfg.yml:6: extra: unknown key");
}

TEST(ConfigTest, DuplicateKeysRejected) {
  auto errs = Errors("modules:\n  raid: {}\n  raid: {}\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0],
            "cfg.yml:3: modules.raid: duplicate key (first at line 2)");
}

TEST(ConfigTest, YamlSyntaxErrorHasLine) {
  auto errs = Errors("modules:\n  raid: {\n  ceph: [\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].rfind("cfg.yml:", 0), 0u);
  EXPECT_NE(errs[0].find("YAML syntax error"), std::string::npos);
}

TEST(ConfigTest, ModulesMustBeAMapping) {
  auto errs = Errors("modules: [raid]\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].rfind("cfg.yml:1: modules: expected a mapping", 0), 0u);
}

TEST(ConfigTest, MissingFileNamesIt) {
  ConfigErrors errors;
  EXPECT_FALSE(LoadConfigFile("/nonexistent/exporterd.yml", &errors));
  ASSERT_EQ(errors.list.size(), 1u);
  EXPECT_EQ(errors.list[0].ToString(),
            "/nonexistent/exporterd.yml: cannot read: No such file or "
            "directory");
}

TEST(ConfigTest, EmbeddedDefaultParses) {
  ConfigErrors errors;
  auto cfg = ParseConfig(EmbeddedDefaultConfig(), kEmbeddedConfigName, &errors);
  ASSERT_TRUE(cfg) << errors.ToString();
  EXPECT_TRUE(cfg->embedded);
  std::vector<std::string> names;
  for (const auto& m : cfg->modules) names.push_back(m.name);
  for (const char* want :
       {"raid", "postfix_qshape", "ceph", "blackbox", "snmp"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
}

TEST(ConfigReaderTest, TypedGettersReportBadValues) {
  YAML::Node n = YAML::Load(
      "count: ten\nflag: maybe\nmode: fast\nlist: x\nratio: abc\n"
      "range: 99\nok: 5\n");
  ConfigErrors errors;
  ConfigReader r(n, "m.yml", "modules.x", &errors);
  EXPECT_EQ(r.Int("count", 7), 7);
  EXPECT_TRUE(r.Bool("flag", true));
  EXPECT_EQ(r.Enum("mode", "slow", {"slow", "linear"}), "slow");
  EXPECT_EQ(r.StringList("list", {"d"}), std::vector<std::string>{"d"});
  EXPECT_EQ(r.Float("ratio", 0.5), 0.5);
  EXPECT_EQ(r.Int("range", 1, 0, 10), 1);
  EXPECT_EQ(r.Int("ok", 1), 5);
  EXPECT_EQ(r.Int("absent", 3), 3);
  r.Finish();
  std::vector<std::string> got;
  for (const auto& e : errors.list) got.push_back(e.ToString());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "m.yml:1: modules.x.count: expected an integer, got "
                     "\"ten\"",
                     "m.yml:2: modules.x.flag: expected true or false, got "
                     "\"maybe\"",
                     "m.yml:3: modules.x.mode: must be one of slow, linear, "
                     "got \"fast\"",
                     "m.yml:4: modules.x.list: expected a list of strings, "
                     "got \"x\"",
                     "m.yml:5: modules.x.ratio: expected a number, got "
                     "\"abc\"",
                     "m.yml:6: modules.x.range: must be between 0 and 10, got "
                     "99"}));
}

TEST(ConfigReaderTest, UnknownKeysInNestedMaps) {
  YAML::Node n = YAML::Load("a:\n  b: 1\n  c: 2\nd: 3\n");
  ConfigErrors errors;
  ConfigReader r(n, "m.yml", "modules.x", &errors);
  ConfigReader a = r.Child("a");
  a.Int("b", 0);
  a.Finish();
  r.Finish();
  ASSERT_EQ(errors.list.size(), 2u);
  EXPECT_EQ(errors.list[0].ToString(), "m.yml:3: modules.x.a.c: unknown key");
  EXPECT_EQ(errors.list[1].ToString(), "m.yml:4: modules.x.d: unknown key");
}

// Through the daemon: a module's own keys are checked by the module.
TEST(ConfigCheckTest, ReportsModuleErrorsWithLinesAndExitsNonZero) {
  testing::TempDir dir;
  Flags flags;
  flags.config_file = dir.Write("exporterd.yml",
                                "modules:\n"
                                "  testmod:\n"
                                "    series: many\n"
                                "    colour: blue\n"
                                "  nosuchmodule: {}\n");
  flags.module_dirs = {TEST_MODULE_DIR};
  StderrLogger logger(LogLevel::kError, LogFormat::kLogfmt);
  App app(flags, &logger);
  std::ostringstream out;
  EXPECT_EQ(app.CheckConfig(out), 1);
  const std::string f = flags.config_file;
  EXPECT_NE(out.str().find(f + ":3: modules.testmod.series: expected an "
                               "integer, got \"many\""),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find(f + ":4: modules.testmod.colour: unknown key"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find(f +
                           ":5: modules.nosuchmodule: module library "
                           "exporterd_nosuchmodule.so not found in " +
                           std::string(TEST_MODULE_DIR)),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("3 errors in configuration"), std::string::npos);
}

TEST(ConfigCheckTest, GoodConfigExitsZero) {
  testing::TempDir dir;
  Flags flags;
  flags.config_file =
      dir.Write("exporterd.yml", "modules:\n  testmod:\n    series: 2\n");
  flags.module_dirs = {TEST_MODULE_DIR};
  StderrLogger logger(LogLevel::kError, LogFormat::kLogfmt);
  App app(flags, &logger);
  std::ostringstream out;
  EXPECT_EQ(app.CheckConfig(out), 0) << out.str();
  EXPECT_NE(out.str().find("config OK"), std::string::npos);
}

TEST(ConfigCheckTest, EmbeddedDefaultSkipsModulesNotInstalled) {
  Flags flags;
  flags.module_dirs = {TEST_MODULE_DIR};
  StderrLogger logger(LogLevel::kError, LogFormat::kLogfmt);
  App app(flags, &logger);
  std::ostringstream out;
  EXPECT_EQ(app.CheckConfig(out), 0) << out.str();
  EXPECT_NE(out.str().find("not installed, skipped: raid"), std::string::npos)
      << out.str();
}

}  // namespace
}  // namespace exporterd
