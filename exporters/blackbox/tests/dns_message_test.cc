// The dns prober's pure parts (dns_message.h) on real replies captured from
// dnsmasq (fixtures/dns, see SOURCES.md): libldns parses them, and each RR
// prints as miekg/dns printed the same reply in Debian's blackbox_exporter.
#include "dns_message.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "probe.h"
#include "test_kit.h"

namespace exporterd::blackbox {
namespace {

std::string ReadFixture(const std::string& file) {
  return exporterd::testing::ReadFile(BLACKBOX_FIXTURE_DIR "/dns/" + file);
}

struct Sections {
  std::vector<std::string> answer, authority, additional;
};

// <name>.rrs: "<section> <RR text>" per line, as miekg printed them.
Sections MiekgText(const std::string& name) {
  Sections s;
  std::istringstream in(ReadFixture(name + ".rrs"));
  std::string line;
  while (std::getline(in, line)) {
    size_t sp = line.find(' ');
    std::string section = line.substr(0, sp), text = line.substr(sp + 1);
    if (section == "answer") s.answer.push_back(text);
    if (section == "authority") s.authority.push_back(text);
    if (section == "additional") s.additional.push_back(text);
  }
  return s;
}

dns::Message Parse(const std::string& name) {
  std::string err;
  auto m = dns::ParseMessage(ReadFixture(name + ".bin"), &err);
  EXPECT_TRUE(m) << name << ": " << err;
  return m ? *m : dns::Message{};
}

class CapturedReply : public ::testing::TestWithParam<const char*> {};

TEST_P(CapturedReply, PrintsAsMiekg) {
  const std::string name = GetParam();
  dns::Message m = Parse(name);
  Sections want = MiekgText(name);
  ASSERT_FALSE(want.answer.empty() && want.authority.empty()) << name;
  EXPECT_EQ(m.id, 0x1234);
  EXPECT_EQ(m.answer, want.answer);
  EXPECT_EQ(m.authority, want.authority);
  EXPECT_EQ(m.additional, want.additional);
}

INSTANTIATE_TEST_SUITE_P(Dnsmasq, CapturedReply,
                         ::testing::Values("a", "aaaa", "any", "cname", "mx",
                                           "ns", "soa", "txt", "esc", "ptr",
                                           "srv", "nxdomain", "nodata"));

TEST(DnsMessage, TheTextsUsersMatch) {
  EXPECT_EQ(Parse("a").answer.at(0), "www.bb.test.\t300\tIN\tA\t192.0.2.1");
  EXPECT_EQ(Parse("mx").answer.at(0),
            "bb.test.\t300\tIN\tMX\t10 mail.bb.test.");
  EXPECT_EQ(Parse("esc").answer.at(0),
            "esc.bb.test.\t300\tIN\tTXT\t\"tab\\\\there back\\\\slash\" "
            "\"caf\\195\\169;(x)\"");
}

TEST(DnsMessage, RcodeAndSoaSerial) {
  EXPECT_EQ(Parse("a").rcode, 0);
  EXPECT_EQ(Parse("nxdomain").rcode, 3);
  EXPECT_EQ(dns::RcodeName(3), "NXDOMAIN");
  EXPECT_EQ(Parse("soa").soa_serial, 2024010203u);
  // An SOA in the authority section (NODATA) is no answer's serial.
  EXPECT_FALSE(Parse("nodata").soa_serial);
  EXPECT_TRUE(Parse("nodata").answer.empty());
}

TEST(DnsMessage, TruncatedReplyKeepsWhatFits) {
  dns::Message m = Parse("big");
  EXPECT_TRUE(m.truncated);
  EXPECT_FALSE(Parse("a").truncated);
  EXPECT_EQ(m.answer.size(), 30u);
  // The .rrs comes from another query: dnsmasq rotates the order.
  std::vector<std::string> got = m.answer, want = MiekgText("big").answer;
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got.size(), want.size());
  for (const auto& rr : got)
    EXPECT_EQ(rr.rfind("big.bb.test.\t300\tIN\tA\t198.51.100.", 0), 0u) << rr;
}

TEST(DnsMessage, BadBytesAreRefused) {
  std::string err;
  std::string a = ReadFixture("a.bin");
  EXPECT_FALSE(dns::ParseMessage(a.substr(0, a.size() - 3), &err));
  EXPECT_FALSE(err.empty());
  EXPECT_FALSE(dns::ParseMessage("", &err));
  EXPECT_FALSE(dns::ParseMessage(std::string(12, '\xff'), &err));
}

TEST(DnsMessage, QueryIsWhatMiekgSends) {
  std::string err;
  auto q = dns::BuildQuery(0x1234, "www.bb.test", 1, 1, true, &err);
  ASSERT_TRUE(q) << err;
  // The same bytes dns_capture.sh sent dnsmasq.
  const std::string want(
      "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
      "\x03www\x02"
      "bb\x04test\x00\x00\x01\x00\x01",
      29);
  EXPECT_EQ(*q, want);
  auto norec = dns::BuildQuery(7, "bb.test.", 6, 3, false, &err);
  ASSERT_TRUE(norec);
  EXPECT_EQ((*norec)[2], '\x00');  // RD clear
  auto back = dns::ParseMessage(*norec, &err);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, 7);
  EXPECT_FALSE(
      dns::BuildQuery(1, std::string(64, 'x') + ".test", 1, 1, true, &err));
}

TEST(DnsMessage, Fqdn) {
  EXPECT_EQ(dns::Fqdn("example.com"), "example.com.");
  EXPECT_EQ(dns::Fqdn("example.com."), "example.com.");
  EXPECT_EQ(dns::Fqdn("a\\."), "a\\..");
  EXPECT_EQ(dns::Fqdn("a\\\\."), "a\\\\.");
  EXPECT_EQ(dns::Fqdn(""), ".");
}

TEST(DnsMessage, ValidRcode) {
  ProbeLog log("m", "t");
  bool bad = false;
  EXPECT_TRUE(dns::ValidRcode(0, {"NOERROR"}, log, &bad));
  EXPECT_FALSE(dns::ValidRcode(3, {"NOERROR"}, log, &bad));
  EXPECT_FALSE(bad);
  EXPECT_TRUE(dns::ValidRcode(3, {"NOERROR", "NXDOMAIN"}, log, &bad));
  EXPECT_FALSE(dns::ValidRcode(2, {"NOERROR", "NXDOMAIN"}, log, &bad));
  EXPECT_FALSE(dns::ValidRcode(0, {}, log, &bad));  // valid_rcodes: []
  EXPECT_FALSE(dns::ValidRcode(0, {"NOPE", "NOERROR"}, log, &bad));
  EXPECT_TRUE(bad);
  EXPECT_NE(log.text().find("string_rcode=SERVFAIL valid_rcodes=\"[0 3]\""),
            std::string::npos)
      << log.text();
}

DnsRrValidator V(std::vector<std::string> matches,
                 std::vector<std::string> all_match,
                 std::vector<std::string> not_matches,
                 std::vector<std::string> none_matches) {
  DnsRrValidator v;
  for (auto& p : matches)
    v.fail_if_matches_regexp.push_back(Regexp::Compile(p));
  for (auto& p : all_match)
    v.fail_if_all_match_regexp.push_back(Regexp::Compile(p));
  for (auto& p : not_matches)
    v.fail_if_not_matches_regexp.push_back(Regexp::Compile(p));
  for (auto& p : none_matches)
    v.fail_if_none_matches_regexp.push_back(Regexp::Compile(p));
  return v;
}

TEST(DnsMessage, ValidRrs) {
  const std::vector<std::string> rrs = Parse("cname").answer;
  ASSERT_EQ(rrs.size(), 2u);  // CNAME, then A
  ProbeLog log("m", "t");
  bool bad = false;
  auto ok = [&](const std::vector<std::string>& r, const DnsRrValidator& v) {
    return dns::ValidRrs(r, v, log, &bad);
  };
  EXPECT_TRUE(ok(rrs, {}));
  EXPECT_FALSE(ok(rrs, V({"\\tA\\t192\\.0\\.2\\.1$"}, {}, {}, {})));
  EXPECT_TRUE(ok(rrs, V({"\\tAAAA\\t"}, {}, {}, {})));
  EXPECT_TRUE(ok(rrs, V({}, {"bb\\.test\\."}, {}, {})));
  EXPECT_FALSE(ok(rrs, V({}, {"\\tCNAME\\t"}, {}, {})));
  EXPECT_FALSE(ok(rrs, V({}, {}, {"\\tCNAME\\t"}, {})));
  EXPECT_TRUE(ok(rrs, V({}, {}, {"^\\S+\\.bb\\.test\\.\\t300\\tIN\\t"}, {})));
  EXPECT_TRUE(ok(rrs, V({}, {}, {}, {"\\tCNAME\\t", "nothing"})));
  EXPECT_FALSE(ok(rrs, V({}, {}, {}, {"\\tMX\\t"})));
  EXPECT_FALSE(bad);
  // No RRs: only the "must match" kinds fail.
  EXPECT_TRUE(ok({}, V({"x"}, {"x"}, {}, {})));
  EXPECT_FALSE(ok({}, V({}, {}, {"x"}, {})));
  EXPECT_FALSE(ok({}, V({}, {}, {}, {"x"})));
  EXPECT_FALSE(bad);
  // A regexp Go refuses fails when used, not before.
  EXPECT_TRUE(ok({}, V({"(?P<"}, {}, {}, {})));
  EXPECT_FALSE(bad);
  EXPECT_FALSE(ok(rrs, V({"(?P<"}, {}, {}, {})));
  EXPECT_TRUE(bad);
}

}  // namespace
}  // namespace exporterd::blackbox
