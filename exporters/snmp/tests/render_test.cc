// Renderer unit tests on hand-built varbinds: for what a net-snmp agent
// cannot be made to return (Opaque Float/Double, NTP timestamps, odd
// strings, invalid UTF-8) and for the 0.21-vs-0.30 switches. Real captures
// are in golden_test.cc.
#include "render.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include "snmp_config.h"
#include "test_util.h"

namespace exporterd::snmp {
namespace {

using testing::GoText;

Module ParseModule(const std::string& yaml) {
  Config c;
  ConfigErrors e;
  EXPECT_TRUE(ParseConfigText("modules:\n  m:\n" + yaml, "t.yml", &c, &e))
      << e.ToString();
  return c.modules.count("m") ? c.modules.at("m") : Module{};
}

Varbind Bytes(const std::string& oid, std::string b,
              PduType t = PduType::kOctetString) {
  Varbind v;
  v.oid = *ParseOid(oid);
  v.type = t;
  v.bytes = std::move(b);
  return v;
}
Varbind Int(const std::string& oid, int64_t i) {
  Varbind v;
  v.oid = *ParseOid(oid);
  v.type = PduType::kInteger;
  v.int_value = i;
  return v;
}
Varbind Uint(const std::string& oid, PduType t, uint64_t u) {
  Varbind v;
  v.oid = *ParseOid(oid);
  v.type = t;
  v.uint_value = u;
  return v;
}
Varbind Float(const std::string& oid, PduType t, double f) {
  Varbind v;
  v.oid = *ParseOid(oid);
  v.type = t;
  v.float_value = f;
  return v;
}

std::string RenderText(const std::string& yaml, std::vector<Varbind> vbs,
                       Compat compat = Compat::kV0_21,
                       std::vector<std::string>* errors = nullptr) {
  Module m = ParseModule(yaml);
  VarbindTable t(std::move(vbs));
  RenderOptions o;
  o.compat = compat;
  RenderResult r = Render(m, t, nullptr, o);
  if (errors)
    *errors = r.errors;
  else
    EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  return GoText(r.families);
}

TEST(RenderTest, GoFloatFormatting) {
  EXPECT_EQ(testing::GoFloat(890296), "890296");
  EXPECT_EQ(testing::GoFloat(4277266), "4.277266e+06");
  EXPECT_EQ(testing::GoFloat(1e7), "1e+07");
  EXPECT_EQ(testing::GoFloat(0.5), "0.5");
  EXPECT_EQ(testing::GoFloat(0.0001), "0.0001");
  EXPECT_EQ(testing::GoFloat(0.00001), "1e-05");
  EXPECT_EQ(testing::GoFloat(-2.5), "-2.5");
}

// Opaque Float/Double: hand-built (snmpd's pass_persist cannot send them).
TEST(RenderTest, FloatDoubleScaleOffset) {
  const char* yaml = R"(    metrics:
    - {name: t, oid: 1.1, type: Float, help: temp, scale: 0.1, offset: -1}
    - {name: d, oid: 1.2, type: Double, help: dbl}
)";
  EXPECT_EQ(RenderText(yaml, {Float("1.1.0", PduType::kOpaqueFloat, 1.5),
                              Float("1.2.0", PduType::kOpaqueDouble, 0.1)}),
            "# HELP d dbl\n# TYPE d gauge\nd 0.1\n"
            "# HELP t temp\n# TYPE t gauge\nt -0.85\n");
}

TEST(RenderTest, Counter64WrapsAt2To53) {
  const char* yaml = "    metrics:\n    - {name: c, oid: 1.1, type: counter}\n";
  std::string out =
      RenderText(yaml, {Uint("1.1.1", PduType::kCounter64, (1ULL << 53) + 5)});
  EXPECT_NE(out.find("c{} 5") == std::string::npos ? out.find("c 5")
                                                   : std::string::npos,
            std::string::npos)
      << out;
  Module m = ParseModule(yaml);
  VarbindTable t({Uint("1.1", PduType::kCounter64, (1ULL << 53) + 5)});
  RenderOptions o;
  o.wrap_counters = false;
  RenderResult r = Render(m, t, nullptr, o);
  ASSERT_EQ(r.families.size(), 1u);
  EXPECT_EQ(r.families[0].metric[0].counter.value, 9007199254740997.0);
}

TEST(RenderTest, DateAndTimeAndNtpAndPattern) {
  const char* yaml = R"(    metrics:
    - {name: a, oid: 1.1, type: DateAndTime, help: a}
    - {name: b, oid: 1.2, type: DateAndTime, help: b}
    - {name: n, oid: 1.3, type: NTPTimeStamp, help: n}
    - {name: p, oid: 1.4, type: ParseDateAndTime, help: p, datetime_pattern: '%b %d %Y'}
    - {name: q, oid: 1.5, type: ParseDateAndTime, help: q, datetime_pattern: '%a %b %d %H:%M:%S %Y'}
    - {name: bad, oid: 1.6, type: DateAndTime, help: bad}
)";
  // 2024-02-29 12:34:56.7 +02:00; the same without a zone (UTC).
  std::string dt("\x07\xE8\x02\x1D\x0C\x22\x38\x07+\x02\x00", 11);
  std::string ntp("\xE9\x8A\x7F\x00\x80\x00\x00\x00", 8);  // 3918167808
  std::string out =
      RenderText(yaml, {Bytes("1.1.0", dt), Bytes("1.2.0", dt.substr(0, 8)),
                        Bytes("1.3.0", ntp), Bytes("1.4.0", "Mar 05 2021"),
                        Bytes("1.5.0", "Fri Mar 05 10:11:12 2021"),
                        Bytes("1.6.0", "short")});
  EXPECT_EQ(out,
            "# HELP a a\n# TYPE a gauge\na 1.709202896e+09\n"
            "# HELP b b\n# TYPE b gauge\nb 1.709210096e+09\n"
            "# HELP n n\n# TYPE n gauge\nn 1.709179008e+09\n"
            "# HELP p p\n# TYPE p gauge\np 1.6149024e+09\n"
            "# HELP q q\n# TYPE q gauge\nq 1.614939072e+09\n");
}

TEST(RenderTest, StringTypesAndCombinedTypes) {
  const char* yaml = R"(    metrics:
    - name: addr
      oid: 1.1.2
      type: InetAddress
      indexes: [{labelname: i, type: gauge}]
    - name: port
      oid: 1.2.2
      type: LldpPortId
      indexes: [{labelname: i, type: gauge}]
    - name: hex
      oid: 1.3
      type: OctetString
      indexes: [{labelname: i, type: gauge}]
    - name: hint
      oid: 1.4
      type: OctetString
      display_hint: 1d.1d.1d.1d
)";
  std::vector<Varbind> vbs = {
      Int("1.1.1.1", 1),
      Bytes("1.1.2.1", std::string("\xC0\x00\x02\x01", 4)),
      Int("1.1.1.2", 2),
      Bytes("1.1.2.2", std::string(15, '\0') + "\x01"),
      Bytes("1.1.2.3", "\x01\x02"),  // no type column: OctetString
      Int("1.2.1.1", 3),
      Bytes("1.2.2.1", std::string("\x00\x1A\x2B\x3C\x4D\x5E", 6)),
      Int("1.2.1.2", 5),
      Bytes("1.2.2.2", "Gi0/1"),
      Bytes("1.3.1", "\xAB\x01"),
      Bytes("1.3.2", ""),
      Bytes("1.4.0", std::string("\x0A\x00\x00\x01", 4))};
  std::string out = RenderText(yaml, vbs, Compat::kV0_30);
  EXPECT_NE(out.find("addr{addr=\"192.0.2.1\",i=\"1\"} 1"), std::string::npos)
      << out;
  EXPECT_NE(out.find("addr{addr=\"0000:0000:0000:0000:0000:0000:0000:0001\","
                     "i=\"2\"} 1"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("addr{addr=\"0x0102\",i=\"3\"} 1"), std::string::npos);
  EXPECT_NE(out.find("port{i=\"1\",port=\"00:1A:2B:3C:4D:5E\"} 1"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("port{i=\"2\",port=\"Gi0/1\"} 1"), std::string::npos);
  EXPECT_NE(out.find("hex{hex=\"0xAB01\",i=\"1\"} 1"), std::string::npos);
  EXPECT_NE(out.find("hex{hex=\"\",i=\"2\"} 1"), std::string::npos);
  EXPECT_NE(out.find("hint{hint=\"10.0.0.1\"} 1"), std::string::npos) << out;
}

TEST(RenderTest, IndexDecoding) {
  std::vector<int64_t> used, rest;
  EXPECT_EQ(IndexToString({3, 'a', 'b', 'c', 7}, MetricType::kDisplayString, 0,
                          false, nullptr, &used, &rest),
            "abc");
  EXPECT_EQ(rest, (std::vector<int64_t>{7}));
  EXPECT_EQ(IndexToString({'a', 'b'}, MetricType::kDisplayString, 0, true,
                          nullptr, &used, &rest),
            "ab");
  EXPECT_EQ(IndexToString({1, 2}, MetricType::kOctetString, 4, false, nullptr,
                          &used, &rest),
            "0x01020000");  // short OIDs are zero-padded
  EXPECT_EQ(used, (std::vector<int64_t>{1, 2, 0, 0}));
  EXPECT_EQ(IndexToString({1, 2, 3}, MetricType::kPhysAddress48, 0, false,
                          nullptr, &used, &rest),
            "01:02:03:00:00:00");
  EXPECT_EQ(IndexToString({1, 4, 10, 0, 0, 1, 9}, MetricType::kInetAddress, 0,
                          false, nullptr, &used, &rest),
            "10.0.0.1");
  EXPECT_EQ(rest, (std::vector<int64_t>{9}));
  EXPECT_EQ(IndexToString({9, 10, 0, 0, 1}, MetricType::kInetAddressMissingSize,
                          0, false, nullptr, &used, &rest),
            "0x090A000001");  // unknown type with MissingSize: the rest
  EnumValues e = {{1, "one"}};
  EXPECT_EQ(
      IndexToString({1}, MetricType::kEnumAsInfo, 0, false, &e, &used, &rest),
      "one");
  EXPECT_EQ(
      IndexToString({2}, MetricType::kEnumAsInfo, 0, false, &e, &used, &rest),
      "2");
  // A bogus length does not allocate gigabytes.
  EXPECT_EQ(IndexToString({4000000000}, MetricType::kOctetString, 0, false,
                          nullptr, &used, &rest)
                .size(),
            2u + 2 * 4096);
}

TEST(RenderTest, EnumAsInfoNameAlreadyALabel) {
  const char* yaml = R"(    metrics:
    - name: st
      oid: 1.1
      type: EnumAsInfo
      indexes: [{labelname: st, type: gauge}]
)";
  std::vector<std::string> errors;
  RenderText(yaml, {Int("1.1.4", 1)}, Compat::kV0_21, &errors);
  ASSERT_EQ(errors.size(), 1u);  // 0.21: duplicate label, scrape fails
  EXPECT_NE(errors[0].find("duplicate label name"), std::string::npos);
  EXPECT_EQ(RenderText(yaml, {Int("1.1.4", 1)}, Compat::kV0_30), "");
}

TEST(RenderTest, InvalidUtf8) {
  const char* yaml = R"(    metrics:
    - {name: s, oid: 1.1, type: DisplayString}
)";
  std::vector<std::string> errors;
  RenderText(yaml,
             {Bytes("1.1.0",
                    "a\xff\xfe"
                    "b")},
             Compat::kV0_21, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("not valid UTF-8"), std::string::npos);
  EXPECT_EQ(RenderText(yaml,
                       {Bytes("1.1.0",
                              "a\xff\xfe"
                              "b")},
                       Compat::kV0_30),
            "# HELP s \n# TYPE s gauge\ns{s=\"a\xEF\xBF\xBD"
            "b\"} 1\n");
}

TEST(RenderTest, TimeTicksAsTextDiffers) {
  const char* yaml = R"(    metrics:
    - {name: s, oid: 1.1, type: DisplayString}
)";
  EXPECT_EQ(RenderText(yaml, {Uint("1.1.0", PduType::kTimeTicks, 42)}),
            "# HELP s \n# TYPE s gauge\ns{s=\"%!s(uint32=42)\"} 1\n");
  EXPECT_EQ(RenderText(yaml, {Uint("1.1.0", PduType::kTimeTicks, 42)},
                       Compat::kV0_30),
            "# HELP s \n# TYPE s gauge\ns{s=\"42\"} 1\n");
}

TEST(RenderTest, LookupEnumAndCombinedTypeIn030) {
  const char* yaml = R"(    metrics:
    - name: v
      oid: 1.1
      type: gauge
      indexes: [{labelname: i, type: gauge}]
      lookups:
      - {labels: [i], labelname: state, oid: 1.2, type: EnumAsInfo, enum_values: {1: up}}
      - {labels: [i], labelname: addr, oid: 1.3.2, type: InetAddress}
      - {labels: [i], labelname: missing, oid: 1.9, type: DisplayString}
)";
  std::vector<Varbind> vbs = {
      Int("1.1.7", 5), Int("1.2.7", 1), Int("1.3.1.7", 1),
      Bytes("1.3.2.7", std::string("\x0A\x00\x00\x01", 4))};
  EXPECT_EQ(RenderText(yaml, vbs, Compat::kV0_30),
            "# HELP v \n# TYPE v gauge\n"
            "v{addr=\"10.0.0.1\",i=\"7\",missing=\"\",state=\"up\"} 5\n");
  // 0.21: the lookup value as text; InetAddress decoded straight from bytes
  // (type 10, length 0 -> OctetString of 2 bytes).
  EXPECT_EQ(RenderText(yaml, vbs, Compat::kV0_21),
            "# HELP v \n# TYPE v gauge\n"
            "v{addr=\"0x0A00\",i=\"7\",missing=\"\",state=\"1\"} 5\n");
}

TEST(RenderTest, DuplicateSeriesAndHelpMismatchAreErrors) {
  const char* yaml = R"(    metrics:
    - name: v
      oid: 1.1
      type: gauge
      help: one
      indexes: [{labelname: i, type: gauge}]
      lookups:
      - {labels: [i], labelname: name, oid: 1.2, type: DisplayString}
      - {labels: [], labelname: i}
    - {name: v, oid: 1.3, type: gauge, help: two}
)";
  std::vector<std::string> errors;
  RenderText(yaml,
             {Int("1.1.1", 1), Int("1.1.2", 2), Bytes("1.2.1", "eth"),
              Bytes("1.2.2", "eth"), Int("1.3.0", 3)},
             Compat::kV0_21, &errors);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("has help \"two\" but should have \"one\""),
            std::string::npos);
  EXPECT_NE(errors[1].find("was collected before"), std::string::npos);
}

TEST(RenderTest, MetricTrieShortestPrefixAndLastDuplicateWin) {
  const char* yaml = R"(    metrics:
    - {name: outer, oid: 1.1, type: gauge}
    - {name: inner, oid: 1.1.5, type: gauge}
    - {name: first, oid: 1.2, type: gauge}
    - {name: second, oid: 1.2, type: gauge}
)";
  EXPECT_EQ(RenderText(yaml, {Int("1.1.5.1", 1), Int("1.2.0", 2)}),
            "# HELP outer \n# TYPE outer gauge\nouter 1\n"
            "# HELP second \n# TYPE second gauge\nsecond 2\n");
}

TEST(RenderTest, RegexTemplateExpansion) {
  RE2 re("^(?:(?P<a>\\d+)-(\\d+))$");
  EXPECT_EQ(ExpandTemplate(re, "$1", "12-34"), "12");
  EXPECT_EQ(ExpandTemplate(re, "${2}.$a", "12-34"), "34.12");
  EXPECT_EQ(ExpandTemplate(re, "$1x", "12-34"), "");  // group "1x"
  EXPECT_EQ(ExpandTemplate(re, "$$1", "12-34"), "$1");
  EXPECT_EQ(ExpandTemplate(re, "${1", "12-34"), "${1");
  double v;
  EXPECT_TRUE(ParseGoFloat("1e3", &v));
  EXPECT_EQ(v, 1000);
  EXPECT_TRUE(ParseGoFloat("-Inf", &v));
  EXPECT_FALSE(ParseGoFloat(" 1", &v));
  EXPECT_FALSE(ParseGoFloat("1e400", &v));
  EXPECT_FALSE(ParseGoFloat("", &v));
}

TEST(RenderTest, DisplayHints) {
  std::string out;
  ASSERT_TRUE(ApplyDisplayHint("1x:", std::string("\x00\x1A\x2B", 3), &out));
  EXPECT_EQ(out, "00:1A:2B");
  ASSERT_TRUE(ApplyDisplayHint("255a", "Hello", &out));
  EXPECT_EQ(out, "Hello");
  ASSERT_TRUE(ApplyDisplayHint("2d-1d", std::string("\x01\x00\x05", 3), &out));
  EXPECT_EQ(out, "256-5");
  ASSERT_TRUE(
      ApplyDisplayHint("*1x:/", std::string("\x02\xAA\xBB\xCC", 4), &out));
  // The star spec repeats: 0xCC is read as the next repeat count.
  EXPECT_EQ(out, "AA:BB/");
  EXPECT_FALSE(ApplyDisplayHint("1q", "x", &out));
  EXPECT_FALSE(ApplyDisplayHint("0a", "x", &out));  // never consumes
}

TEST(RenderTest, BitsNeedsBytes) {
  const char* yaml = R"(    metrics:
    - {name: b, oid: 1.1, type: Bits, enum_values: {0: zero, 7: seven, 8: eight}}
)";
  EXPECT_EQ(RenderText(yaml, {Bytes("1.1.0", "\x81")}),
            "# HELP b  (Bits)\n# TYPE b gauge\nb{b=\"eight\"} 0\n"
            "b{b=\"seven\"} 1\nb{b=\"zero\"} 1\n");
  std::vector<std::string> errors;
  RenderText(yaml, {Int("1.1.0", 1)}, Compat::kV0_21, &errors);
  ASSERT_EQ(errors.size(), 1u);
}

TEST(RenderTest, Utf8Helpers) {
  EXPECT_TRUE(IsValidUtf8("h\xC3\xA9"));
  EXPECT_FALSE(IsValidUtf8("\xC0\x80"));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_EQ(ToValidUtf8("a\xff\xfe"
                        "b\xC3"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
}

}  // namespace
}  // namespace exporterd::snmp
