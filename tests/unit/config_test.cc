// Config parsing: typed values, durations, and errors that name file, line
// and key.
#include "config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "app.h"
#include "exporterd/config_reader.h"
#include "test_kit.h"

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

// Issue 16: "999999999999y" was signed overflow (UB) in ParseDuration.
TEST(DurationTest, NeverOverflows) {
  EXPECT_EQ(ParseDuration("100y"), kMaxDuration);
  EXPECT_EQ(ParseDuration("99y51w"),
            milliseconds(99 * 31536000000LL + 51 * 604800000LL));
  for (const char* too_long :
       {"999999999999y", "101y", "100y1ms", "300y", "5300w",
        "9223372036854775807ms", "99999999999999999999999s", "1y99999999999d",
        "3153600000001ms"})
    EXPECT_FALSE(ParseDuration(too_long)) << too_long;
  EXPECT_EQ(ParseDuration("3153600000000ms"), kMaxDuration);
  EXPECT_EQ(ParseDuration("0000000000000000000001s"), milliseconds(1000));
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

// Issue 16: a 0-byte or comment-only file (a truncated write) used to load
// as "no modules", also on reload.
TEST(ConfigTest, EmptyFileIsAnError) {
  for (const char* text :
       {"", "\n\n   \n", "# modules:\n#   raid: {}\n", "---\n", "~\n"}) {
    EXPECT_EQ(Errors(text),
              std::vector<std::string>{
                  "cfg.yml: empty configuration file; list modules under "
                  "modules: (`modules: {}` for none)"})
        << "'" << text << "'";
  }
}

TEST(ConfigTest, NoModulesIsSpelledExplicitly) {
  ConfigErrors errors;
  auto cfg = ParseConfig("modules: {}\n", "cfg.yml", &errors);
  ASSERT_TRUE(cfg) << errors.ToString();
  EXPECT_TRUE(cfg->modules.empty());
  // `modules:` without a value is a truncated file as often as not.
  EXPECT_EQ(Errors("# header\nmodules:\n"),
            std::vector<std::string>{
                "cfg.yml:2: modules: has no value; list modules under it "
                "(`modules: {}` for none)"});
}

TEST(ConfigTest, DocumentMustBeAMapping) {
  EXPECT_EQ(Errors("- raid\n- ceph\n"),
            std::vector<std::string>{
                "cfg.yml:1: expected a mapping with a modules: key"});
  EXPECT_EQ(Errors("raid\n"),
            std::vector<std::string>{
                "cfg.yml:1: expected a mapping with a modules: key"});
}

TEST(ConfigTest, UnknownTopLevelKeyNamesLine) {
  EXPECT_EQ(Errors("modules: {}\nmodulez: {}\n"),
            std::vector<std::string>{
                "cfg.yml:2: modulez: unknown key (expected modules)"});
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
  EXPECT_EQ(errs[3], "cfg.yml:6: extra: unknown key (expected modules)");
}

// Issue 16: "timeout: 300y" passed --config.check and then every collection
// timed out in 2 ms; "min_interval: 300y" made the refresh loop spin.
TEST(ConfigTest, DurationKeysAreBounded) {
  EXPECT_EQ(Errors("modules:\n"
                   "  raid:\n"
                   "    timeout: 300y\n"
                   "    min_interval: 300y\n"
                   "  ceph:\n"
                   "    timeout: 999999999999y\n"
                   "    min_interval: 25h\n"
                   "  bacula:\n"
                   "    timeout: 0s\n"
                   "  snmp:\n"
                   "    timeout: 1h1ms\n"),
            (std::vector<std::string>{
                "cfg.yml:3: modules.raid.timeout: must be between 1ms and 1h, "
                "got \"300y\"",
                "cfg.yml:4: modules.raid.min_interval: must be between 0s and "
                "1d, got \"300y\"",
                "cfg.yml:6: modules.ceph.timeout: must be between 1ms and 1h, "
                "got \"999999999999y\"",
                "cfg.yml:7: modules.ceph.min_interval: must be between 0s and "
                "1d, got \"25h\"",
                "cfg.yml:9: modules.bacula.timeout: must be between 1ms and "
                "1h, got \"0s\"",
                "cfg.yml:11: modules.snmp.timeout: must be between 1ms and "
                "1h, got \"1h1ms\""}));

  ConfigErrors errors;
  auto cfg = ParseConfig(
      "modules:\n  raid:\n    timeout: 1h\n    min_interval: 24h\n"
      "  ceph:\n    timeout: 1ms\n    min_interval: 0s\n",
      "cfg.yml", &errors);
  ASSERT_TRUE(cfg) << errors.ToString();
  EXPECT_EQ(cfg->modules[0].timeout, kMaxModuleTimeout);
  EXPECT_EQ(cfg->modules[0].min_interval, kMaxMinInterval);
  EXPECT_EQ(cfg->modules[1].timeout, kMinModuleTimeout);
  EXPECT_EQ(cfg->modules[1].min_interval, milliseconds(0));
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
            "/nonexistent/exporterd.yml: cannot read config file: No such "
            "file or directory");
}

// Issue 16: a directory read as an empty config (0 modules, also on reload),
// /dev/zero aborted with bad_alloc, a FIFO hung.
TEST(ConfigTest, OnlyRegularFilesWithinTheCap) {
  testing::TempDir dir;
  auto error_of = [](const std::string& path) {
    ConfigErrors errors;
    EXPECT_FALSE(LoadConfigFile(path, &errors)) << path;
    return errors.ToString();
  };
  EXPECT_EQ(error_of(dir.path()),
            dir.path() + ": cannot read config file: is a directory\n");
  EXPECT_EQ(error_of("/dev/zero"),
            "/dev/zero: cannot read config file: is not a regular file "
            "(character device)\n");
  const std::string fifo = dir.path() + "/fifo.yml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(error_of(fifo),
            fifo + ": cannot read config file: is not a regular file (fifo)\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));

  const std::string big = dir.Write(
      "big.yml", "modules: {}\n#" + std::string(kMaxConfigFileBytes, 'x'));
  EXPECT_EQ(error_of(big),
            big +
                ": cannot read config file: is larger than the limit of "
                "4194304 bytes (4 MiB): 4194317 bytes\n");

  // A symlink to a regular file is followed; the error names the given path.
  const std::string good = dir.Write("good.yml", "modules:\n  raid: {}\n");
  const std::string link = dir.path() + "/link.yml";
  std::filesystem::create_symlink(good, link);
  ConfigErrors errors;
  auto cfg = LoadConfigFile(link, &errors);
  ASSERT_TRUE(cfg) << errors.ToString();
  EXPECT_EQ(cfg->file, link);
  ASSERT_EQ(cfg->modules.size(), 1u);
  const std::string dir_link = dir.path() + "/dir-link.yml";
  std::filesystem::create_directory_symlink(dir.path(), dir_link);
  EXPECT_EQ(error_of(dir_link),
            dir_link + ": cannot read config file: is a directory\n");
}

TEST(ReadConfigFileTest, GuardsAndCap) {
  testing::TempDir dir;
  std::string why;
  const std::string f = dir.Write("f.yml", "0123456789");
  EXPECT_EQ(ReadConfigFile(f, 10, &why), "0123456789") << why;
  EXPECT_EQ(ReadConfigFile(dir.Write("e.yml", ""), 10, &why), "") << why;
  EXPECT_FALSE(ReadConfigFile(f, 9, &why));
  EXPECT_EQ(why, "is larger than the limit of 9 bytes: 10 bytes");
  // A file whose size fstat does not tell (and one growing while read) is
  // cut at the cap + 1 byte, not read to the end.
  EXPECT_FALSE(ReadConfigFile("/proc/self/maps", 16, &why));
  EXPECT_EQ(why, "is larger than the limit of 16 bytes");
  EXPECT_TRUE(ReadConfigFile("/proc/self/maps", kMaxConfigFileBytes, &why))
      << why;
  EXPECT_FALSE(ReadConfigFile(dir.path() + "/missing", 10, &why));
  EXPECT_EQ(why, "No such file or directory");
  EXPECT_FALSE(ReadConfigFile("/dev/null", 10, &why));
  EXPECT_EQ(why, "is not a regular file (character device)");
  EXPECT_FALSE(ReadConfigFile(dir.path(), 10, &why));
  EXPECT_EQ(why, "is a directory");
  if (::geteuid() != 0) {
    const std::string secret = dir.Write("secret.yml", "x");
    ::chmod(secret.c_str(), 0);
    EXPECT_FALSE(ReadConfigFile(secret, 10, &why));
    EXPECT_EQ(why, "Permission denied");
  }
}

TEST(ConfigTest, EmbeddedDefaultParses) {
  ConfigErrors errors;
  auto cfg = ParseConfig(EmbeddedDefaultConfig(), kEmbeddedConfigName, &errors);
  ASSERT_TRUE(cfg) << errors.ToString();
  EXPECT_TRUE(cfg->embedded);
  std::vector<std::string> names;
  for (const auto& m : cfg->modules) names.push_back(m.name);
  // Exactly the module folders that carry a default.yml, in name order.
  std::vector<std::string> want;
  for (const auto& e :
       std::filesystem::directory_iterator(SOURCE_DIR "/exporters"))
    if (std::filesystem::exists(e.path() / "default.yml"))
      want.push_back(e.path().filename().string());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(names, want);
  EXPECT_NE(std::find(names.begin(), names.end(), "raid"), names.end());
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

// GoInt reads an upstream's YAML int as go-yaml does; Int stays decimal.
TEST(ConfigReaderTest, GoIntAsGoYaml) {
  YAML::Node n = YAML::Load(
      "hex: 0x10\nsep: 1_000\nexp: 1e3\nfloat: 2.9\noct: 010\n"
      "quoted: '10'\nword: ten\nbig: 0x100\nlist: [1]\n");
  ConfigErrors errors;
  ConfigReader r(n, "m.yml", "modules.x", &errors);
  EXPECT_EQ(r.GoInt("hex", 0), 16);
  EXPECT_EQ(r.GoInt("sep", 0), 1000);
  EXPECT_EQ(r.GoInt("exp", 0), 1000);
  EXPECT_EQ(r.GoInt("float", 0), 2);
  EXPECT_EQ(r.GoInt("oct", 0), 8);
  EXPECT_EQ(r.GoInt("quoted", 7), 7);
  EXPECT_EQ(r.GoInt("word", 7), 7);
  EXPECT_EQ(r.GoInt("big", 7, 0, 255), 7);
  EXPECT_EQ(r.GoInt("list", 7), 7);
  EXPECT_EQ(r.GoInt("absent", 3), 3);
  r.Finish();
  std::vector<std::string> got;
  for (const auto& e : errors.list) got.push_back(e.ToString());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "m.yml:6: modules.x.quoted: expected an integer "
                     "(unquoted), got \"10\"",
                     "m.yml:7: modules.x.word: expected an integer, got "
                     "\"ten\"",
                     "m.yml:8: modules.x.big: must be between 0 and 255, got "
                     "256",
                     "m.yml:9: modules.x.list: expected an integer, got a "
                     "list"}));
  // The SDK's own files stay decimal.
  ConfigErrors int_errors;
  ConfigReader ir(n, "m.yml", "modules.x", &int_errors);
  EXPECT_EQ(ir.Int("hex", 7), 7);
  EXPECT_EQ(ir.Int("quoted", 7), 10);
}

TEST(ConfigReaderTest, DurationBounds) {
  YAML::Node n =
      YAML::Load("a: 300y\nb: 5s\nc: 2s\nd: 999999999999y\ne: 90s\nf: 1h\n");
  ConfigErrors errors;
  ConfigReader r(n, "m.yml", "modules.x", &errors);
  using std::chrono::seconds;
  EXPECT_EQ(r.Duration("a", seconds(1)), seconds(1));  // default bounds
  EXPECT_EQ(r.Duration("b", seconds(1), seconds(1), seconds(10)), seconds(5));
  EXPECT_EQ(r.Duration("c", seconds(4), seconds(3), seconds(10)), seconds(4));
  EXPECT_EQ(r.Duration("d", seconds(1)), seconds(1));
  EXPECT_EQ(
      r.Duration("e", seconds(1), milliseconds(0), std::chrono::minutes(1)),
      seconds(1));
  EXPECT_EQ(r.Duration("f", seconds(1)), std::chrono::hours(1));
  r.Finish();
  std::vector<std::string> got;
  for (const auto& e : errors.list) got.push_back(e.ToString());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "m.yml:1: modules.x.a: must be between 0s and 100y, got "
                     "\"300y\"",
                     "m.yml:3: modules.x.c: must be between 3s and 10s, got "
                     "\"2s\"",
                     "m.yml:4: modules.x.d: must be between 0s and 100y, got "
                     "\"999999999999y\"",
                     "m.yml:5: modules.x.e: must be between 0s and 1m, got "
                     "\"90s\""}));
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
  EXPECT_EQ(errors.list[0].ToString(),
            "m.yml:3: modules.x.a.c: unknown key (expected b)");
  EXPECT_EQ(errors.list[1].ToString(),
            "m.yml:4: modules.x.d: unknown key (expected a)");
}

std::vector<std::string> Strings(const ConfigErrors& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors.list) out.push_back(e.ToString());
  return out;
}

// Finish() names the keys asked for, in the order asked, but not those
// handled elsewhere (Ignore); a mapping with no key asked for says just
// "unknown key".
TEST(ConfigReaderTest, UnknownKeyNamesExpectedKeys) {
  YAML::Node n = YAML::Load("colour: red\nsize: 2\nnmae: x\n");
  ConfigErrors errors;
  ConfigReader r(n, "m.yml", "modules.x", &errors);
  r.Ignore("timeout");
  r.String("name", "");
  r.Int("size", 0);
  r.Raw("tags");
  r.Child("limits").Finish();
  r.Ignore("name");  // asked for already: still listed, once
  r.Finish();
  ConfigReader bare(n, "m.yml", "y", &errors);
  bare.Finish();
  const std::string want =
      "unknown key (expected one of name, size, tags, limits)";
  EXPECT_EQ(Strings(errors), (std::vector<std::string>{
                                 "m.yml:1: modules.x.colour: " + want,
                                 "m.yml:3: modules.x.nmae: " + want,
                                 "m.yml:1: y.colour: unknown key",
                                 "m.yml:2: y.size: unknown key",
                                 "m.yml:3: y.nmae: unknown key",
                             }));
}

// A mapping that is not one says what it is instead, but not its value
// (it may be a secret written in the wrong place).
TEST(ConfigReaderTest, NotAMappingSaysWhatItIs) {
  YAML::Node n = YAML::Load("a: [1, 2]\nb: s3cret\nc: {}\nd:\n");
  ConfigErrors errors;
  ConfigReader r(n, "m.yml", "x", &errors);
  for (const char* key : {"a", "b", "c", "d", "e"}) r.Child(key).Finish();
  r.Finish();
  EXPECT_EQ(Strings(errors),
            (std::vector<std::string>{
                "m.yml:1: x.a: expected a mapping, got a list",
                "m.yml:2: x.b: expected a mapping, got a single value"}));
}

// Keys of an upstream format that exporterd does not implement: their own
// message when present, never "unknown", not listed as expected.
TEST(ConfigReaderTest, UnsupportedKeys) {
  YAML::Node n = YAML::Load("a: 1\nold: 2\nworse: 3\nb: 4\n");
  ConfigErrors errors;
  ConfigReader r(n, "m.yml", "x", &errors);
  r.Int("a", 0);
  r.Unsupported("old", "use a instead");
  r.Unsupported("worse", "");
  r.Unsupported("absent", "never reported");
  r.Finish();
  EXPECT_EQ(Strings(errors),
            (std::vector<std::string>{
                "m.yml:2: x.old: not supported by exporterd; use a instead",
                "m.yml:3: x.worse: not supported by exporterd",
                "m.yml:4: x.b: unknown key (expected a)"}));
}

// Missing(): a present key at its own line; an absent one at the line of
// the key its mapping sits under, not at the mapping's first key.
TEST(ConfigReaderTest, MissingKeyAtItsSection) {
  YAML::Node n = YAML::Load(
      "top: 1\n"
      "section:\n"
      "  other: 1\n"
      "  empty: ''\n");
  ConfigErrors errors;
  ConfigReader r(n, "m.yml", "x", &errors);
  ConfigReader s = r.Child("section");
  s.Missing("name", "is required");
  s.Missing("empty", "must not be empty");
  s.Error("name2", "is required");     // Error: the mapping's first line
  r.Missing("absent", "is required");  // the root: the mapping's line
  EXPECT_EQ(Strings(errors), (std::vector<std::string>{
                                 "m.yml:2: x.section.name: is required",
                                 "m.yml:4: x.section.empty: must not be empty",
                                 "m.yml:3: x.section.name2: is required",
                                 "m.yml:1: x.absent: is required"}));
  EXPECT_EQ(r.error_count(), 4u);
  EXPECT_EQ(s.error_count(), 4u);
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
  EXPECT_NE(out.str().find("(not installed, skipped: "), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find(" raid"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace exporterd
