// The SDK's Go behaviour (exporterd/go_compat.h): what Go and go-yaml give
// for the same text.
#include "exporterd/go_compat.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace exporterd {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(GoParseDuration, AsTimeParseDuration) {
  EXPECT_EQ(GoParseDuration("5s"), seconds(5));
  EXPECT_EQ(GoParseDuration("1.5s"), milliseconds(1500));
  EXPECT_EQ(GoParseDuration("-1.5h"), -seconds(5400));
  EXPECT_EQ(GoParseDuration("+250ms"), milliseconds(250));
  EXPECT_EQ(GoParseDuration("1h2m3s4ms5us6ns"), nanoseconds(3723004005006));
  EXPECT_EQ(GoParseDuration(".5s"), milliseconds(500));
  EXPECT_EQ(GoParseDuration("5.s"), seconds(5));
  EXPECT_EQ(GoParseDuration("1\xc2\xb5s"), std::chrono::microseconds(1));
  EXPECT_EQ(GoParseDuration("1\xce\xbcs"), std::chrono::microseconds(1));
  EXPECT_EQ(GoParseDuration("1s1s"), seconds(2));  // Go allows repeats
  EXPECT_EQ(GoParseDuration("0"), seconds(0));
  EXPECT_EQ(GoParseDuration("-0"), seconds(0));
  // A fraction's digits past what int64 holds are dropped, as Go does.
  EXPECT_EQ(GoParseDuration("0.10000000000000000000000001s"),
            milliseconds(100));
  // The int64 range, both ends exact.
  EXPECT_EQ(GoParseDuration("2562047h47m16.854775807s"), nanoseconds(kMax));
  EXPECT_EQ(GoParseDuration("-2562047h47m16.854775808s"), nanoseconds(kMin));
  EXPECT_EQ(GoParseDuration("-9223372036854775808ns"), nanoseconds(kMin));
  EXPECT_FALSE(GoParseDuration("2562047h47m16.854775808s"));
  EXPECT_FALSE(GoParseDuration("9223372036854775808ns"));
  EXPECT_FALSE(GoParseDuration("-9223372036854775809ns"));
  for (const char* bad : {"", "1", "5", ".s", "s", "1d", "-", "+", "1.5", "1 s",
                          " 1s", "1s ", "1S", "0x1s", "1e3s"})
    EXPECT_FALSE(GoParseDuration(bad)) << bad;
}

TEST(GoYamlInt, AsGoYamlIntoInt64) {
  EXPECT_EQ(GoYamlInt("0"), 0);
  EXPECT_EQ(GoYamlInt("-17"), -17);
  EXPECT_EQ(GoYamlInt("+17"), 17);
  EXPECT_EQ(GoYamlInt("0x1F"), 31);
  EXPECT_EQ(GoYamlInt("0X1f"), 31);
  EXPECT_EQ(GoYamlInt("-0x10"), -16);
  EXPECT_EQ(GoYamlInt("0o17"), 15);
  EXPECT_EQ(GoYamlInt("017"), 15);  // strconv's base 0: leading 0 is octal
  EXPECT_EQ(GoYamlInt("0b101"), 5);
  EXPECT_EQ(GoYamlInt("1_000_000"), 1000000);
  EXPECT_EQ(GoYamlInt("9223372036854775807"), kMax);
  EXPECT_EQ(GoYamlInt("-9223372036854775808"), kMin);
  EXPECT_EQ(GoYamlInt("0x7fffffffffffffff"), kMax);
  EXPECT_EQ(GoYamlInt("-0x8000000000000000"), kMin);
  // Not an int to strconv, but a YAML float: truncated into the int.
  EXPECT_EQ(GoYamlInt("1e3"), 1000);
  EXPECT_EQ(GoYamlInt("2.9"), 2);
  EXPECT_EQ(GoYamlInt("-2.9"), -2);
  EXPECT_EQ(GoYamlInt(".5"), 0);
  EXPECT_EQ(GoYamlInt("09"), 9);  // bad octal, good float
  EXPECT_EQ(GoYamlInt("9223372036854775808"), std::nullopt);  // 2^63
  EXPECT_EQ(GoYamlInt("0x8000000000000000"), std::nullopt);
  EXPECT_EQ(GoYamlInt("-9223372036854775809"), kMin);  // a float: -2^63
  EXPECT_EQ(GoYamlInt("1e19"), std::nullopt);
  for (const char* bad :
       {"", "-", "0x", "0b2", "0o8", "0xg", "1.2.3", "1e", ".", "e3", "inf",
        ".inf", "nan", "ten", " 1", "1 ", "0x1p3", "1,000", "١"})
    EXPECT_EQ(GoYamlInt(bad), std::nullopt) << bad;
}

TEST(GoBase64Decode, AsStdEncodingDecodeString) {
  auto decode = [](std::string_view in) -> std::optional<std::string> {
    std::string out = "stale";
    if (!GoBase64Decode(in, &out)) return std::nullopt;
    return out;
  };
  EXPECT_EQ(decode(""), "");
  EXPECT_EQ(decode("YQ=="), "a");
  EXPECT_EQ(decode("YWI="), "ab");
  EXPECT_EQ(decode("YWJj"), "abc");
  EXPECT_EQ(decode("dXNlcjpwYXNz"), "user:pass");
  EXPECT_EQ(decode("YW\r\nJj\n"), "abc");  // Go skips CR and LF anywhere
  EXPECT_EQ(decode("YR=="), "a");  // StdEncoding: trailing bits not checked
  EXPECT_EQ(decode("+/+/"), std::string("\xfb\xff\xbf"));
  EXPECT_EQ(decode("AA=="), std::string(1, '\0'));
  for (const char* bad :
       {"Y", "YQ", "YQ=", "YQ===", "Y===", "====", "YQ==YWJj", "YQ=a",
        "Y@==", "YW Jj", "YWJj\t", "-_-_", "YW\xc3\xa9"})
    EXPECT_EQ(decode(bad), std::nullopt) << bad;
}

}  // namespace
}  // namespace exporterd
