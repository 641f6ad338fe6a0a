#include "text_util.h"

#include <gtest/gtest.h>

namespace exporterd::raid::text {
namespace {

TEST(TextUtil, LeadingNumber) {
  EXPECT_EQ(LeadingNumber("21C (69.80 F)"), 21);
  EXPECT_EQ(LeadingNumber(" 40 C"), 40);
  EXPECT_EQ(LeadingNumber("8.5"), 8.5);
  EXPECT_EQ(LeadingNumber("+3 %"), 3);
  EXPECT_EQ(LeadingNumber("-5C"), -5);
  EXPECT_EQ(LeadingNumber("1e3"), 1000);
  for (const char* no : {"", " ", "C", ".5", "inf", "-inf", "nan", "N/A", "+",
                         "-", "+-5", "1e999"})
    EXPECT_FALSE(LeadingNumber(no)) << no;
  EXPECT_EQ(LeadingNumber("0x1A"), 0);  // decimal only
  EXPECT_EQ(Leading<int>("3 controllers"), 3);
  EXPECT_EQ(Leading<int>("12.5"), 12);
  EXPECT_FALSE(Leading<int>("99999999999"));
}

TEST(TextUtil, CaseInsensitive) {
  EXPECT_TRUE(IStartsWith("Rebuilding (12%)", "rebuild"));
  EXPECT_FALSE(IStartsWith("Reb", "rebuild"));
  EXPECT_TRUE(IEquals("OPTIMAL", "Optimal"));
  EXPECT_FALSE(IEquals("Optimal ", "Optimal"));
  EXPECT_TRUE(IContains("Battery Failed", "fail"));
  EXPECT_TRUE(IContains("x", ""));
  EXPECT_FALSE(IContains("", "x"));
}

TEST(TextUtil, CollapseSpaces) {
  EXPECT_EQ(CollapseSpaces("  ATA     INTEL SSDSA2BZ10 \t"),
            "ATA INTEL SSDSA2BZ10");
  EXPECT_EQ(CollapseSpaces("a\t\tb\r\nc"), "a b c");
  EXPECT_EQ(CollapseSpaces(" \t "), "");
}

}  // namespace
}  // namespace exporterd::raid::text
