// Flags like the Go exporters' and logfmt/JSON log lines.
#include <gtest/gtest.h>

#include "flags.h"
#include "logger.h"

namespace exporterd {
namespace {

bool Parse(std::vector<std::string> args, Flags* f, std::string* err) {
  std::vector<char*> argv = {const_cast<char*>("exporterd")};
  for (auto& a : args) argv.push_back(a.data());
  return ParseFlags(static_cast<int>(argv.size()), argv.data(), f, err);
}

TEST(FlagsTest, Defaults) {
  Flags f;
  std::string err;
  ASSERT_TRUE(Parse({}, &f, &err));
  EXPECT_EQ(f.listen_addresses, std::vector<std::string>{":19400"});
  EXPECT_EQ(f.log_level, "info");
  EXPECT_EQ(f.log_format, "logfmt");
  EXPECT_TRUE(f.config_file.empty());
}

TEST(FlagsTest, BothSpellingsAndRepeats) {
  Flags f;
  std::string err;
  ASSERT_TRUE(Parse(
      {"--config.file=/etc/x.yml", "--web.listen-address", "127.0.0.1:1",
       "--web.listen-address=[::1]:2", "--config.check", "--log.format=json",
       "--log.level", "debug", "--module.dir=/a", "--module.dir=/b"},
      &f, &err))
      << err;
  EXPECT_EQ(f.config_file, "/etc/x.yml");
  EXPECT_EQ(f.listen_addresses,
            (std::vector<std::string>{"127.0.0.1:1", "[::1]:2"}));
  EXPECT_TRUE(f.config_check);
  EXPECT_EQ(f.log_format, "json");
  EXPECT_EQ(f.log_level, "debug");
  EXPECT_EQ(f.module_dirs, (std::vector<std::string>{"/a", "/b"}));
}

TEST(FlagsTest, Errors) {
  Flags f;
  std::string err;
  EXPECT_FALSE(Parse({"--nope"}, &f, &err));
  EXPECT_EQ(err, "unknown long flag '--nope', try --help");
  EXPECT_FALSE(Parse({"--log.level=loud"}, &f, &err));
  EXPECT_EQ(err,
            "invalid value 'loud' for flag '--log.level': expected debug, "
            "info, warn or error");
  EXPECT_FALSE(Parse({"--config.file"}, &f, &err));
  EXPECT_EQ(err, "expected argument for flag '--config.file'");
}

TEST(FlagsTest, UsageListsEveryFlag) {
  std::string u = FlagsUsage("exporterd");
  for (const char* flag :
       {"--config.file", "--config.check", "--web.listen-address",
        "--web.config.file", "--log.level", "--log.format", "--module.dir",
        "--version", "--help"})
    EXPECT_NE(u.find(flag), std::string::npos) << flag;
}

TEST(LogTest, Logfmt) {
  EXPECT_EQ(
      StderrLogger::Format(
          LogFormat::kLogfmt, LogLevel::kWarn, "module down",
          {{"module", "raid"}, {"err", "storcli: \"exit 1\""}, {"empty", ""}},
          "2026-11-22T05:00:00.000Z"),
      "ts=2026-11-22T05:00:00.000Z level=warn msg=\"module down\" "
      "module=raid err=\"storcli: \\\"exit 1\\\"\" empty=\"\"");
}

TEST(LogTest, Json) {
  EXPECT_EQ(StderrLogger::Format(LogFormat::kJson, LogLevel::kInfo, "a\nb",
                                 {{"k", "v\"\x01"}}, "T"),
            "{\"ts\":\"T\",\"level\":\"info\",\"msg\":\"a\\nb\",\"k\":"
            "\"v\\\"\\u0001\"}");
}

TEST(LogTest, LevelFilters) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* mem = open_memstream(&buf, &len);
  {
    StderrLogger l(LogLevel::kWarn, LogFormat::kLogfmt, mem);
    l.Info("hidden");
    l.Error("shown");
  }
  fclose(mem);
  std::string out(buf, len);
  free(buf);
  EXPECT_EQ(out.find("hidden"), std::string::npos);
  EXPECT_NE(out.find("level=error msg=shown"), std::string::npos);
}

}  // namespace
}  // namespace exporterd
