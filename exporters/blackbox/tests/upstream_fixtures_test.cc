// Upstream's config tests (config/config_test.go) on upstream's own files:
// the good ones load, each bad one is refused with an error naming the
// file, the line and the dotted key, meaning what upstream's error means.
#include <gtest/gtest.h>

#include <string>

#include "config.h"

namespace exporterd::blackbox {
namespace {

std::string Fixture(const std::string& name) {
  return std::string(BLACKBOX_FIXTURE_DIR) + "/" + name;
}

TEST(UpstreamFixtures, GoodFilesLoad) {
  for (const char* name :
       {"blackbox.yml", "example.yml", "testdata/blackbox-good.yml"}) {
    ConfigErrors errors;
    auto config = LoadConfigFile(Fixture(name), &errors);
    EXPECT_TRUE(config.has_value()) << name << "\n" << errors.ToString();
    if (config) {
      EXPECT_FALSE(config->modules.empty()) << name;
    }
  }
}

struct BadCase {
  const char* file;
  int line;
  const char* key;
  const char* fragment;  // in the message
};

// Upstream's expected error for each, in comments.
const BadCase kBadCases[] = {
    // line 50: field invalid_extra_field not found in type config.plain
    {"blackbox-bad.yml", 50, "modules.dns_test.dns.invalid_extra_field",
     "unknown key"},
    // at most one of bearer_token & bearer_token_file must be configured
    {"blackbox-bad2.yml", 8, "modules.http_post_2xx.http.bearer_token_file",
     "at most one of bearer_token & bearer_token_file must be configured"},
    // prober 'invalid' is not valid
    {"invalid-prober.yml", 3, "modules.http_post_2xx.prober",
     "prober \"invalid\" is not valid"},
    // query name must be set for DNS module
    {"invalid-dns-module.yml", 6, "modules.dns_test.dns.query_name",
     "query name must be set for DNS module"},
    // query class 'X' is not valid
    {"invalid-dns-class.yml", 7, "modules.dns_test.dns.query_class",
     "query class \"X\" is not valid"},
    // query type 'X' is not valid
    {"invalid-dns-type.yml", 8, "modules.dns_test.dns.query_type",
     "query type \"X\" is not valid"},
    // regexp must be set for HTTP header matchers
    {"invalid-http-header-match.yml", 7,
     "modules.http_headers.http.fail_if_header_not_matches[0].regexp",
     "regexp must be set for HTTP header matchers"},
    // "Could not compile regular expression" regexp=":["
    {"invalid-http-body-match-regexp.yml", 7,
     "modules.http_headers.http.fail_if_body_matches_regexp[0]",
     "could not compile regular expression \":[\""},
    {"invalid-http-body-not-match-regexp.yml", 7,
     "modules.http_headers.http.fail_if_body_not_matches_regexp[0]",
     "could not compile regular expression \":[\""},
    {"invalid-http-header-match-regexp.yml", 9,
     "modules.http_headers.http.fail_if_header_not_matches[0].regexp",
     "could not compile regular expression \":[\""},
    // invalid configuration "Accept-Encoding: deflate", "compression: gzip"
    {"invalid-http-compression-mismatch.yml", 8,
     "modules.http_headers.http.headers.Accept-Encoding",
     "invalid configuration \"Accept-Encoding: deflate\", \"compression: "
     "gzip\""},
    // invalid configuration "accEpt-enCoding: deflate", "compression: gzip"
    {"invalid-http-compression-mismatch-special-case.yml", 8,
     "modules.http_headers.http.headers.accEpt-enCoding",
     "invalid configuration \"accEpt-enCoding: deflate\", \"compression: "
     "gzip\""},
    // invalid configuration "Accept-Encoding: *;q=0.0", "compression: gzip"
    {"invalid-http-request-compression-reject-all-encodings.yml", 10,
     "modules.http_headers.http.headers.Accept-Encoding",
     "invalid configuration \"Accept-Encoding: *;q=0.0\", \"compression: "
     "gzip\""},
    // HTTP/3 and HTTP/2.0/1.1 cannot be used together - only HTTP/3.0 is
    // allowed when enable_http3 is true
    {"invalid-http-http3-http2.yml", 8,
     "modules.http_headers.http.valid_http_versions",
     "HTTP/3 and HTTP/2.0/1.1 cannot be used together"},
    // when enable_http3 is true, enable_http2 must be set to false
    {"invalid-no-versions-http3-enabled.yml", 6,
     "modules.http_headers.http.enable_http3",
     "when enable_http3 is true, enable_http2 must be set to false"},
    // HTTP/3 and HTTP/2.0/1.1 cannot be used together ...
    {"invalid-http-http3-http2-version.yml", 8,
     "modules.http_headers.http.valid_http_versions",
     "HTTP/3 and HTTP/2.0/1.1 cannot be used together"},
    // when enable_http3 is true, enable_http2 must be set to false
    {"invalid-http-http3-http2-enabled.yml", 7,
     "modules.http_headers.http.enable_http2",
     "when enable_http3 is true, enable_http2 must be set to false"},
    // "ttl" cannot be negative
    {"invalid-icmp-ttl.yml", 5, "modules.icmp_test.icmp.ttl",
     "\"ttl\" cannot be negative"},
    // "ttl" cannot exceed 255
    {"invalid-icmp-ttl-overflow.yml", 5, "modules.icmp_test.icmp.ttl",
     "\"ttl\" cannot exceed 255"},
    // "Could not compile regular expression" regexp=":["
    {"invalid-tcp-query-response-regexp.yml", 7,
     "modules.tcp_test.tcp.query_response[0].expect",
     "could not compile regular expression \":[\""},
    {"invalid-unix-query-response-regexp.yml", 8,
     "modules.unix_socket_bad_regex.unix.query_response[0].expect",
     "could not compile regular expression \":[\""},
    {"invalid-websocket-query-response-regexp.yml", 7,
     "modules.websocket_test.websocket.query_response[0].expect",
     "could not compile regular expression \":[\""},
    // setting body and body_file both are not allowed
    {"invalid-http-body-config.yml", 7, "modules.http_test.http.body_file",
     "setting body and body_file both are not allowed"},
};

TEST(UpstreamFixtures, AllBadFilesCovered) {
  EXPECT_EQ(std::size(kBadCases), 23u);
}

class BadFile : public testing::TestWithParam<BadCase> {};

TEST_P(BadFile, RefusedWithFileLineAndKey) {
  const BadCase& c = GetParam();
  const std::string path = Fixture(std::string("testdata/") + c.file);
  ConfigErrors errors;
  auto config = LoadConfigFile(path, &errors);
  ASSERT_FALSE(config.has_value()) << c.file;
  bool found = false;
  for (const auto& e : errors.list) {
    if (e.key == c.key && e.message.find(c.fragment) != std::string::npos) {
      found = true;
      EXPECT_EQ(e.file, path);
      EXPECT_EQ(e.line, c.line) << e.ToString();
      EXPECT_NE(e.ToString().find(path + ":" + std::to_string(c.line) + ": " +
                                  c.key + ": "),
                std::string::npos)
          << e.ToString();
    }
  }
  EXPECT_TRUE(found) << c.file << ": want " << c.key << ": " << c.fragment
                     << "\ngot:\n"
                     << errors.ToString();
}

INSTANTIATE_TEST_SUITE_P(Upstream, BadFile, testing::ValuesIn(kBadCases),
                         [](const testing::TestParamInfo<BadCase>& p) {
                           std::string name = p.param.file;
                           name = name.substr(0, name.find('.'));
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch)))
                               ch = '_';
                           return name;
                         });

}  // namespace
}  // namespace exporterd::blackbox
