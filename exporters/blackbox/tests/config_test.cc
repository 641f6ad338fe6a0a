// blackbox.yml: defaults, every prober from example.yml, and errors.
#include "config.h"

#include <gtest/gtest.h>

#include <string>

namespace exporterd::blackbox {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Fixture(const std::string& name) {
  return std::string(BLACKBOX_FIXTURE_DIR) + "/" + name;
}

Config MustParse(const std::string& yaml) {
  ConfigErrors errors;
  auto config = ParseConfig(yaml, "t.yml", &errors);
  EXPECT_TRUE(config.has_value()) << errors.ToString();
  return config ? *config : Config{};
}

// The errors of a config that must not load.
ConfigErrors MustFail(const std::string& yaml) {
  ConfigErrors errors;
  auto config = ParseConfig(yaml, "t.yml", &errors);
  EXPECT_FALSE(config.has_value()) << yaml;
  return errors;
}

// True if some error has `key` and a message containing `fragment`.
bool HasError(const ConfigErrors& errors, const std::string& key,
              const std::string& fragment, int line = 0) {
  for (const auto& e : errors.list)
    if (e.key == key && e.message.find(fragment) != std::string::npos &&
        (line == 0 || e.line == line))
      return true;
  return false;
}

#define EXPECT_ERROR(errors, key, fragment) \
  EXPECT_TRUE(HasError(errors, key, fragment)) << errors.ToString()

// --- defaults ---------------------------------------------------------------

TEST(Defaults, Http) {
  Config c = MustParse("modules:\n  m:\n    prober: http\n    http:\n");
  const Module& m = c.modules.at("m");
  EXPECT_EQ(m.prober, "http");
  EXPECT_EQ(m.timeout.count(), 0);
  EXPECT_EQ(m.line, 2);
  const HttpProbe& h = m.http;
  EXPECT_EQ(h.method, "GET");
  EXPECT_TRUE(h.valid_status_codes.empty());  // 2xx
  EXPECT_TRUE(h.valid_http_versions.empty());
  EXPECT_EQ(h.preferred_ip_protocol, IpProtocol::kIp6);
  EXPECT_TRUE(h.ip_protocol_fallback);
  EXPECT_TRUE(h.http_client_config.follow_redirects);
  EXPECT_TRUE(h.http_client_config.enable_http2);
  EXPECT_FALSE(h.enable_http3);
  EXPECT_FALSE(h.fail_if_ssl);
  EXPECT_FALSE(h.fail_if_not_ssl);
  EXPECT_FALSE(h.skip_resolve_phase_with_proxy);
  EXPECT_EQ(h.compression_kind, Compression::kNone);
  EXPECT_EQ(h.body_size_limit, 0);
  EXPECT_FALSE(h.http_client_config.authorization.has_value());
  EXPECT_TRUE(m.unsupported_reason.empty());
}

TEST(Defaults, SectionAbsentIsDefaults) {
  Config c = MustParse("modules:\n  m:\n    prober: http\n");
  EXPECT_EQ(c.modules.at("m").http.method, "GET");
  EXPECT_TRUE(c.modules.at("m").http.ip_protocol_fallback);
}

TEST(Defaults, Tcp) {
  Config c = MustParse("modules:\n  m:\n    prober: tcp\n    tcp: {}\n");
  const TcpProbe& t = c.modules.at("m").tcp;
  EXPECT_EQ(t.preferred_ip_protocol, IpProtocol::kIp6);
  EXPECT_TRUE(t.ip_protocol_fallback);
  EXPECT_FALSE(t.tls);
  EXPECT_TRUE(t.query_response.empty());
  EXPECT_TRUE(t.source_ip_address.empty());
}

TEST(Defaults, Icmp) {
  Config c = MustParse("modules:\n  m:\n    prober: icmp\n    icmp: {}\n");
  const IcmpProbe& i = c.modules.at("m").icmp;
  EXPECT_EQ(i.ttl, 64);
  EXPECT_EQ(i.payload_size, 0);
  EXPECT_FALSE(i.dont_fragment);
  EXPECT_TRUE(i.ip_protocol_fallback);
  EXPECT_EQ(i.preferred_ip_protocol, IpProtocol::kIp6);
  EXPECT_EQ(i.packets, 1);
  EXPECT_EQ(i.interval, std::chrono::seconds(1));
}

// exporterd's own icmp keys (issue 14): several echoes per probe.
TEST(Icmp, PacketsAndInterval) {
  Config c = MustParse(
      "modules:\n  m:\n    prober: icmp\n    icmp:\n      packets: 10\n"
      "      interval: 200ms\n");
  EXPECT_EQ(c.modules.at("m").icmp.packets, 10);
  EXPECT_EQ(c.modules.at("m").icmp.interval, std::chrono::milliseconds(200));
  EXPECT_ERROR(MustFail("modules:\n  m:\n    prober: icmp\n    icmp:\n"
                        "      packets: 0\n"),
               "modules.m.icmp.packets", "between 1 and 1000, got 0");
  EXPECT_ERROR(MustFail("modules:\n  m:\n    prober: icmp\n    icmp:\n"
                        "      interval: 1ms\n"),
               "modules.m.icmp.interval", "at least 10ms");
  EXPECT_ERROR(MustFail("modules:\n  m:\n    prober: icmp\n    icmp:\n"
                        "      interval: 5\n"),
               "modules.m.icmp.interval", "expected a duration");
}

// exporterd's own prober: traceroute.
TEST(Defaults, Traceroute) {
  Config c = MustParse("modules:\n  m:\n    prober: traceroute\n");
  const TracerouteProbe& t = c.modules.at("m").traceroute;
  EXPECT_EQ(t.method, TraceMethod::kIcmp);
  EXPECT_EQ(t.first_hop, 1);
  EXPECT_EQ(t.max_hops, 30);
  EXPECT_EQ(t.probes_per_hop, 3);
  EXPECT_EQ(t.probe_timeout, std::chrono::seconds(2));
  EXPECT_EQ(t.interval, std::chrono::milliseconds(100));
  EXPECT_EQ(t.port, 0);
  EXPECT_EQ(t.preferred_ip_protocol, IpProtocol::kIp6);
}

TEST(Traceroute, OptionsAndErrors) {
  Config c = MustParse(
      "modules:\n  m:\n    prober: traceroute\n    traceroute:\n"
      "      method: udp\n      port: 33000\n      first_hop: 2\n"
      "      max_hops: 12\n      probes_per_hop: 5\n"
      "      probe_timeout: 500ms\n      preferred_ip_protocol: ip4\n"
      "      source_ip_address: 127.0.0.1\n");
  const TracerouteProbe& t = c.modules.at("m").traceroute;
  EXPECT_EQ(t.method, TraceMethod::kUdp);
  EXPECT_EQ(t.port, 33000);
  EXPECT_EQ(t.first_hop, 2);
  EXPECT_EQ(t.max_hops, 12);
  EXPECT_EQ(t.probes_per_hop, 5);
  EXPECT_EQ(t.probe_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(t.preferred_ip_protocol, IpProtocol::kIp4);
  EXPECT_EQ(t.source_ip_address, "127.0.0.1");
  const std::string head =
      "modules:\n  m:\n    prober: traceroute\n    traceroute:\n";
  EXPECT_ERROR(MustFail(head + "      method: sctp\n"),
               "modules.m.traceroute.method", "not valid");
  EXPECT_ERROR(MustFail(head + "      max_hops: 256\n"),
               "modules.m.traceroute.max_hops", "between 1 and 255");
  EXPECT_ERROR(MustFail(head + "      first_hop: 9\n      max_hops: 4\n"),
               "modules.m.traceroute.first_hop", "cannot exceed");
  EXPECT_ERROR(MustFail(head + "      port: 80\n"), "modules.m.traceroute.port",
               "udp and tcp methods only");
  EXPECT_ERROR(MustFail(head + "      probe_timeout: 0s\n"),
               "modules.m.traceroute.probe_timeout", "must be positive");
  EXPECT_ERROR(MustFail(head + "      bogus: 1\n"),
               "modules.m.traceroute.bogus", "unknown key");
}

TEST(Defaults, Dns) {
  Config c = MustParse(
      "modules:\n  m:\n    prober: dns\n    dns:\n      query_name: a.b\n");
  const DnsProbe& d = c.modules.at("m").dns;
  EXPECT_EQ(d.query_name, "a.b");
  EXPECT_EQ(d.query_type, "ANY");
  EXPECT_EQ(d.query_type_code, 255);
  EXPECT_EQ(d.query_class, "IN");
  EXPECT_EQ(d.query_class_code, 1);
  EXPECT_TRUE(d.recursion_desired);
  EXPECT_EQ(d.transport_protocol, "udp");
  EXPECT_FALSE(d.dns_over_tls);
  EXPECT_EQ(d.valid_rcodes, std::vector<std::string>{"NOERROR"});
  EXPECT_TRUE(d.ip_protocol_fallback);
  EXPECT_EQ(d.preferred_ip_protocol, IpProtocol::kIp6);
}

TEST(Defaults, DnsSectionNullSkipsValidation) {
  // Upstream: a null `dns:` keeps the defaults without UnmarshalYAML, so no
  // query_name check; `dns: {}` runs it.
  MustParse("modules:\n  m:\n    prober: dns\n    dns:\n");
  ConfigErrors e = MustFail("modules:\n  m:\n    prober: dns\n    dns: {}\n");
  EXPECT_ERROR(e, "modules.m.dns.query_name", "query name must be set");
}

TEST(Defaults, DnsEmptyRcodeListIsKept) {
  Config c = MustParse(
      "modules:\n  m:\n    prober: dns\n    dns:\n      query_name: x\n"
      "      valid_rcodes: []\n");
  EXPECT_TRUE(c.modules.at("m").dns.valid_rcodes.empty());
  EXPECT_FALSE(c.warnings.empty());
}

TEST(Defaults, GrpcFallbackQuirk) {
  // DefaultModule carries no gRPC defaults: no section, no fallback.
  Config c = MustParse(
      "modules:\n  a:\n    prober: grpc\n  b:\n    prober: grpc\n"
      "    grpc: {}\n");
  EXPECT_FALSE(c.modules.at("a").grpc.ip_protocol_fallback);
  EXPECT_TRUE(c.modules.at("b").grpc.ip_protocol_fallback);
  EXPECT_EQ(c.modules.at("b").grpc.preferred_ip_protocol, IpProtocol::kIp6);
  EXPECT_FALSE(c.modules.at("b").grpc.tls);
}

TEST(Defaults, Unix) {
  Config c = MustParse("modules:\n  m:\n    prober: unix\n");
  EXPECT_FALSE(c.modules.at("m").unix_socket.tls);
  EXPECT_TRUE(c.modules.at("m").unix_socket.query_response.empty());
}

TEST(Defaults, WebsocketHttpConfigQuirk) {
  Config c = MustParse(
      "modules:\n  a:\n    prober: websocket\n  b:\n    prober: websocket\n"
      "    websocket:\n      http_config: {}\n");
  const WebsocketProbe& a = c.modules.at("a").websocket;
  EXPECT_FALSE(a.http_config.follow_redirects);
  EXPECT_FALSE(a.http_config.enable_http2);
  EXPECT_TRUE(a.ip_protocol_fallback);
  const WebsocketProbe& b = c.modules.at("b").websocket;
  EXPECT_TRUE(b.http_config.follow_redirects);
  EXPECT_TRUE(b.http_config.enable_http2);
}

TEST(Defaults, PreferredIpProtocol) {
  Config c = MustParse(
      "modules:\n"
      "  a:\n    prober: tcp\n    tcp:\n      preferred_ip_protocol: ip4\n"
      "  b:\n    prober: tcp\n    tcp:\n      preferred_ip_protocol: ip6\n"
      "  c:\n    prober: tcp\n    tcp:\n      preferred_ip_protocol: ipv6\n");
  EXPECT_EQ(c.modules.at("a").tcp.preferred_ip_protocol, IpProtocol::kIp4);
  EXPECT_EQ(c.modules.at("b").tcp.preferred_ip_protocol, IpProtocol::kIp6);
  // Upstream takes anything but ip6 as ip4; we warn.
  EXPECT_EQ(c.modules.at("c").tcp.preferred_ip_protocol, IpProtocol::kIp4);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].key, "modules.c.tcp.preferred_ip_protocol");
}

// --- every prober from upstream's example.yml -------------------------------

class ExampleYml : public testing::Test {
 protected:
  void SetUp() override {
    ConfigErrors errors;
    auto c = LoadConfigFile(Fixture("example.yml"), &errors);
    ASSERT_TRUE(c.has_value()) << errors.ToString();
    config_ = *c;
  }
  const Module& M(const std::string& name) { return config_.modules.at(name); }
  Config config_;
};

TEST_F(ExampleYml, Http2xx) {
  const Module& m = M("http_2xx_example");
  EXPECT_EQ(m.timeout, seconds(5));
  const HttpProbe& h = m.http;
  EXPECT_EQ(h.valid_http_versions,
            (std::vector<std::string>{"HTTP/1.1", "HTTP/2.0"}));
  EXPECT_TRUE(h.valid_status_codes.empty());
  ASSERT_EQ(h.headers.size(), 2u);
  EXPECT_EQ(h.headers[0], std::make_pair(std::string("Host"),
                                         std::string("vhost.example.com")));
  ASSERT_TRUE(h.http_client_config.http_headers.has_value());
  ASSERT_EQ(h.http_client_config.http_headers->size(), 1u);
  EXPECT_EQ((*h.http_client_config.http_headers)[0].first, "Accept-Language");
  EXPECT_EQ((*h.http_client_config.http_headers)[0].second.values,
            std::vector<std::string>{"en-US"});
  ASSERT_EQ(h.fail_if_body_matches_regexp.size(), 1u);
  EXPECT_TRUE(RE2::PartialMatch("x Could not connect to database y",
                                h.fail_if_body_matches_regexp[0].re()));
  ASSERT_EQ(h.fail_if_header_matches.size(), 1u);
  EXPECT_EQ(h.fail_if_header_matches[0].header, "Set-Cookie");
  EXPECT_TRUE(h.fail_if_header_matches[0].allow_missing);
  ASSERT_EQ(h.fail_if_header_not_matches.size(), 1u);
  EXPECT_FALSE(h.fail_if_header_not_matches[0].allow_missing);
  EXPECT_TRUE(
      RE2::PartialMatch("*", h.fail_if_header_not_matches[0].regexp.re()));
  EXPECT_EQ(h.preferred_ip_protocol, IpProtocol::kIp4);
  EXPECT_FALSE(h.ip_protocol_fallback);
  EXPECT_FALSE(h.http_client_config.tls_config.insecure_skip_verify);
}

TEST_F(ExampleYml, HttpProxyBodyAuthCompression) {
  EXPECT_EQ(M("http_with_proxy").http.http_client_config.proxy.proxy_url,
            "http://127.0.0.1:3128");
  EXPECT_TRUE(M("http_with_proxy").http.skip_resolve_phase_with_proxy);
  const auto& pch = M("http_with_proxy_and_headers")
                        .http.http_client_config.proxy.proxy_connect_header;
  ASSERT_EQ(pch.size(), 1u);
  EXPECT_EQ(pch[0].first, "Proxy-Authorization");
  ASSERT_EQ(pch[0].second.size(), 1u);
  EXPECT_EQ(pch[0].second[0].value, "Bearer token");
  EXPECT_EQ(M("http_post_2xx").http.method, "POST");
  EXPECT_EQ(M("http_post_2xx").http.body, "{}");
  EXPECT_EQ(M("http_post_body_file").http.body_file, "/files/body.txt");
  const auto& basic = M("http_basic_auth_example").http.http_client_config;
  ASSERT_TRUE(basic.basic_auth.has_value());
  EXPECT_EQ(basic.basic_auth->username, "username");
  EXPECT_EQ(basic.basic_auth->password.value, "mysecret");
  EXPECT_EQ(M("http_gzip").http.compression_kind, Compression::kGzip);
  EXPECT_EQ(M("http_gzip_with_accept_encoding").http.compression, "gzip");
  EXPECT_EQ(
      M("http_custom_ca_example").http.http_client_config.tls_config.ca_file,
      "/certs/my_cert.crt");
  const auto& files = M("http_with_header_from_files")
                          .http.http_client_config.http_headers.value();
  EXPECT_EQ(files[0].second.files,
            std::vector<std::string>{"/path/to/api-key.txt"});
}

TEST_F(ExampleYml, HttpOAuth2) {
  const HttpProbe& h = M("http_2xx_oauth_client_credentials").http;
  EXPECT_EQ(h.valid_status_codes, (std::vector<int>{200, 201}));
  ASSERT_TRUE(h.http_client_config.oauth2.has_value());
  const OAuth2& o = *h.http_client_config.oauth2;
  EXPECT_EQ(o.client_id, "client_id");
  EXPECT_EQ(o.client_secret.value, "client_secret");
  EXPECT_EQ(o.token_url, "https://api.example.com/token");
  ASSERT_EQ(o.endpoint_params.size(), 1u);
  EXPECT_EQ(o.endpoint_params[0].second, "client_credentials");
}

TEST_F(ExampleYml, HttpCelLoadsButIsUnsupported) {
  const Module& m = M("http_json_cel_match");
  ASSERT_TRUE(m.http.fail_if_body_json_not_matches_cel.has_value());
  EXPECT_EQ(*m.http.fail_if_body_json_not_matches_cel,
            "body.foo == 'bar' && body.baz.startsWith('q')");
  EXPECT_NE(m.unsupported_reason.find("CEL"), std::string::npos);
  EXPECT_TRUE(M("http_2xx_example").unsupported_reason.empty());
}

TEST_F(ExampleYml, Tcp) {
  EXPECT_TRUE(M("tls_connect").tcp.tls);
  const TcpProbe& t = M("smtp_starttls").tcp;
  ASSERT_EQ(t.query_response.size(), 9u);
  EXPECT_TRUE(t.query_response[0].expect.ok());
  EXPECT_EQ(t.query_response[1].send, "EHLO prober\r");
  EXPECT_TRUE(t.query_response[5].starttls);
  EXPECT_FALSE(t.query_response[5].expect.set());
  const TcpProbe& r = M("rabbitmq").tcp;
  EXPECT_EQ(r.tls_config.ca_file, "/etc/blackbox_exporter/CA_cert.crt");
  EXPECT_TRUE(M("rabbitmq_insecure").tcp.tls_config.insecure_skip_verify);
  EXPECT_EQ(M("rabbitmq").timeout, seconds(30));
}

TEST_F(ExampleYml, TcpBinarySendAndExpectBytes) {
  const TcpProbe& t = M("postgresql").tcp;
  ASSERT_EQ(t.query_response.size(), 3u);
  EXPECT_EQ(t.query_response[0].send,
            std::string("\x00\x00\x00\x08\x04\xD2\x16\x2F", 8));
  EXPECT_EQ(t.query_response[1].expect_bytes, "S");
  EXPECT_TRUE(t.query_response[2].starttls);
}

TEST(Binary, Base64LikeGo) {
  auto send = [](const std::string& v) {
    ConfigErrors errors;
    auto c = ParseConfig(
        "modules:\n  m:\n    prober: tcp\n    tcp:\n      query_response:\n"
        "      - send: !!binary " +
            v + "\n",
        "t.yml", &errors);
    return c ? c->modules.at("m").tcp.query_response[0].send
             : "error: " + errors.ToString();
  };
  EXPECT_EQ(send("aGk="), "hi");
  EXPECT_EQ(send("aGk"),
            "error: t.yml:6: modules.m.tcp.query_response[0].send: "
            "!!binary value contains invalid base64 data\n");
  // Bytes >= 0x80 (yaml-cpp's own decoder reads out of bounds on them).
  EXPECT_NE(send("\"\xc3\xa9\xc3\xa9\"").find("invalid base64"),
            std::string::npos);
  EXPECT_NE(send("aG=k").find("invalid base64"), std::string::npos);
}

TEST_F(ExampleYml, Icmp) {
  const IcmpProbe& i = M("icmp_example").icmp;
  EXPECT_EQ(i.preferred_ip_protocol, IpProtocol::kIp4);
  EXPECT_EQ(i.source_ip_address, "127.0.0.1");
  EXPECT_EQ(i.ttl, 64);
}

TEST_F(ExampleYml, Dns) {
  const DnsProbe& d = M("dns_udp_example").dns;
  EXPECT_EQ(d.query_name, "www.prometheus.io");
  EXPECT_EQ(d.query_type, "A");
  EXPECT_EQ(d.query_type_code, 1);
  EXPECT_EQ(d.valid_rcodes, std::vector<std::string>{"NOERROR"});
  ASSERT_EQ(d.validate_answer_rrs.fail_if_not_matches_regexp.size(), 1u);
  EXPECT_EQ(d.validate_answer_rrs.fail_if_not_matches_regexp[0].pattern(),
            "www.prometheus.io.\t300\tIN\tA\t127.0.0.1");
  EXPECT_EQ(d.validate_answer_rrs.fail_if_none_matches_regexp.size(), 1u);
  EXPECT_EQ(d.validate_authority_rrs.fail_if_matches_regexp.size(), 1u);
  EXPECT_EQ(d.validate_additional_rrs.fail_if_matches_regexp.size(), 1u);
  EXPECT_EQ(M("dns_soa").dns.query_type_code, 6);
  EXPECT_EQ(M("dns_tcp_example").dns.transport_protocol, "tcp");
  EXPECT_EQ(M("dns_tcp_example").dns.preferred_ip_protocol, IpProtocol::kIp4);
}

TEST_F(ExampleYml, Unix) {
  const UnixProbe& u = M("unix_socket_ping").unix_socket;
  ASSERT_EQ(u.query_response.size(), 2u);
  EXPECT_EQ(u.query_response[0].send, "PING");
  EXPECT_EQ(u.query_response[1].expect.pattern(), "PONG");
}

TEST_F(ExampleYml, Websocket) {
  const WebsocketProbe& w = M("websocket_example_basic_auth").websocket;
  ASSERT_TRUE(w.http_config.basic_auth.has_value());
  EXPECT_EQ(w.http_config.basic_auth->username, "user");
  EXPECT_TRUE(w.http_config.tls_config.insecure_skip_verify);
  ASSERT_EQ(w.headers.size(), 1u);
  EXPECT_EQ(w.headers[0].second.values, std::vector<std::string>{"my_header"});
  ASSERT_EQ(w.query_response.size(), 2u);
  const auto& bearer = M("websocket_example_bearer_token").websocket;
  ASSERT_TRUE(bearer.http_config.authorization.has_value());
  EXPECT_EQ(bearer.http_config.authorization->type, "Bearer");
  EXPECT_EQ(bearer.http_config.authorization->credentials.value,
            "secret_token");
}

TEST(BlackboxYml, GrpcAndHttp3) {
  ConfigErrors errors;
  auto c = LoadConfigFile(Fixture("blackbox.yml"), &errors);
  ASSERT_TRUE(c.has_value()) << errors.ToString();
  const Module& g = c->modules.at("grpc");
  EXPECT_TRUE(g.grpc.tls);
  EXPECT_EQ(g.grpc.preferred_ip_protocol, IpProtocol::kIp4);
  EXPECT_EQ(c->modules.at("grpc_plain").grpc.service, "service1");
  EXPECT_EQ(c->modules.at("icmp_ttl5").icmp.ttl, 5);
  const Module& h3 = c->modules.at("http_3xx");
  EXPECT_TRUE(h3.http.enable_http3);
  EXPECT_FALSE(h3.http.http_client_config.enable_http2);
  EXPECT_EQ(h3.unsupported_reason,
            "HTTP/3: libcurl on this system has no HTTP/3 support");
  const auto& labels =
      c->modules.at("ssh_banner_extract").tcp.query_response[0].labels;
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0].name, "ssh_version");
  EXPECT_EQ(labels[0].value, "${1}");
}

TEST(BlackboxGood, GrpcMetadataAndHeaderMatch) {
  ConfigErrors errors;
  auto c = LoadConfigFile(Fixture("testdata/blackbox-good.yml"), &errors);
  ASSERT_TRUE(c.has_value()) << errors.ToString();
  const auto& md = c->modules.at("grpc_health").grpc.metadata;
  ASSERT_EQ(md.size(), 2u);
  EXPECT_EQ(md[0].first, "key");
  EXPECT_EQ(md[0].second, (std::vector<std::string>{"value1", "value2"}));
  EXPECT_EQ(c->modules.at("http_post_2xx").http.body_size_limit, 1 << 20);
  EXPECT_FALSE(c->modules.at("dns_test").dns.ip_protocol_fallback);
}

// --- errors -----------------------------------------------------------------

TEST(Errors, BadRegexpEverywhere) {
  const std::string bad = "'a(b'";
  struct Case {
    std::string yaml;
    std::string key;
  } cases[] = {
      {"modules:\n  m:\n    prober: http\n    http:\n"
       "      fail_if_body_matches_regexp: [" +
           bad + "]\n",
       "modules.m.http.fail_if_body_matches_regexp[0]"},
      {"modules:\n  m:\n    prober: http\n    http:\n"
       "      fail_if_header_matches:\n      - header: X\n        regexp: " +
           bad + "\n",
       "modules.m.http.fail_if_header_matches[0].regexp"},
      {"modules:\n  m:\n    prober: tcp\n    tcp:\n      query_response:\n"
       "      - expect: " +
           bad + "\n",
       "modules.m.tcp.query_response[0].expect"},
      {"modules:\n  m:\n    prober: websocket\n    websocket:\n"
       "      query_response:\n      - expect: " +
           bad + "\n",
       "modules.m.websocket.query_response[0].expect"},
  };
  for (const auto& c : cases) {
    ConfigErrors e = MustFail(c.yaml);
    EXPECT_ERROR(e, c.key, "could not compile regular expression \"a(b\"");
  }
}

TEST(Errors, BadSectionOfAnotherProberStillRefused) {
  // Upstream decodes every section whatever `prober` says.
  ConfigErrors e = MustFail(
      "modules:\n  m:\n    prober: http\n    tcp:\n      query_response:\n"
      "      - expect: '['\n");
  EXPECT_ERROR(e, "modules.m.tcp.query_response[0].expect",
               "could not compile");
}

TEST(Errors, DnsValidatorRegexpLoadsAndFailsLater) {
  // Upstream compiles these per probe: the file loads, probes fail.
  Config c = MustParse(
      "modules:\n  m:\n    prober: dns\n    dns:\n      query_name: x\n"
      "      validate_answer_rrs:\n        fail_if_matches_regexp: ['(']\n");
  const auto& v = c.modules.at("m").dns.validate_answer_rrs;
  ASSERT_EQ(v.fail_if_matches_regexp.size(), 1u);
  EXPECT_TRUE(v.fail_if_matches_regexp[0].set());
  EXPECT_FALSE(v.fail_if_matches_regexp[0].ok());
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].key,
            "modules.m.dns.validate_answer_rrs.fail_if_matches_regexp[0]");
  EXPECT_EQ(c.warnings[0].line, 7);
}

TEST(Errors, UnknownKeyAtEachLevel) {
  struct Case {
    std::string yaml;
    std::string key;
    int line;
  } cases[] = {
      {"modules: {}\nbogus: 1\n", "bogus", 2},
      {"modules:\n  m:\n    prober: http\n    bogus: 1\n", "modules.m.bogus",
       4},
      {"modules:\n  m:\n    prober: http\n    http:\n      bogus: 1\n",
       "modules.m.http.bogus", 5},
      {"modules:\n  m:\n    prober: http\n    http:\n      tls_config:\n"
       "        bogus: 1\n",
       "modules.m.http.tls_config.bogus", 6},
      {"modules:\n  m:\n    prober: http\n    http:\n      basic_auth:\n"
       "        bogus: 1\n",
       "modules.m.http.basic_auth.bogus", 6},
      {"modules:\n  m:\n    prober: http\n    http:\n      oauth2:\n"
       "        client_id: a\n        token_url: b\n        bogus: 1\n",
       "modules.m.http.oauth2.bogus", 8},
      {"modules:\n  m:\n    prober: http\n    http:\n      http_headers:\n"
       "        X-A:\n          bogus: [1]\n",
       "modules.m.http.http_headers.X-A.bogus", 7},
      {"modules:\n  m:\n    prober: http\n    http:\n"
       "      fail_if_header_matches:\n      - header: a\n        regexp: b\n"
       "        bogus: 1\n",
       "modules.m.http.fail_if_header_matches[0].bogus", 8},
      {"modules:\n  m:\n    prober: tcp\n    tcp:\n      query_response:\n"
       "      - send: x\n        bogus: 1\n",
       "modules.m.tcp.query_response[0].bogus", 7},
      {"modules:\n  m:\n    prober: tcp\n    tcp:\n      query_response:\n"
       "      - expect: x\n        labels:\n        - name: a\n          "
       "bogus: "
       "1\n",
       "modules.m.tcp.query_response[0].labels[0].bogus", 9},
      {"modules:\n  m:\n    prober: icmp\n    icmp:\n      count: 3\n",
       "modules.m.icmp.count", 5},
      {"modules:\n  m:\n    prober: dns\n    dns:\n      query_name: x\n"
       "      validate_answer_rrs:\n        bogus: []\n",
       "modules.m.dns.validate_answer_rrs.bogus", 7},
      {"modules:\n  m:\n    prober: grpc\n    grpc:\n      bogus: 1\n",
       "modules.m.grpc.bogus", 5},
      {"modules:\n  m:\n    prober: unix\n    unix:\n      bogus: 1\n",
       "modules.m.unix.bogus", 5},
      {"modules:\n  m:\n    prober: websocket\n    websocket:\n"
       "      http_config:\n        bogus: 1\n",
       "modules.m.websocket.http_config.bogus", 6},
  };
  for (const auto& c : cases) {
    ConfigErrors e = MustFail(c.yaml);
    EXPECT_TRUE(HasError(e, c.key, "unknown key", c.line)) << c.key << "\n"
                                                           << e.ToString();
  }
}

TEST(Errors, Durations) {
  struct Case {
    const char* value;
    bool ok;
    std::chrono::nanoseconds want;
  } cases[] = {
      {"5s", true, seconds(5)},
      {"1.5s", true, milliseconds(1500)},
      {"1m30s", true, seconds(90)},
      {"250ms", true, milliseconds(250)},
      {"\"0\"", true, seconds(0)},
      {"-1s", true, seconds(-1)},
      {"5", false, {}},    // yaml.v3 refuses an int for a Duration
      {"1.5", false, {}},  // and a float
      {"5d", false, {}},   // Go durations have no days
      {"5 s", false, {}},
      {"s", false, {}},
      {"[5s]", false, {}},
      {"99999999999h", false, {}},  // overflows int64 nanoseconds
  };
  for (const auto& c : cases) {
    std::string yaml = std::string("modules:\n  m:\n    prober: icmp\n") +
                       "    timeout: " + c.value + "\n";
    ConfigErrors errors;
    auto config = ParseConfig(yaml, "t.yml", &errors);
    if (c.ok) {
      ASSERT_TRUE(config.has_value()) << c.value << errors.ToString();
      EXPECT_EQ(config->modules.at("m").timeout, c.want) << c.value;
    } else {
      EXPECT_FALSE(config.has_value()) << c.value;
      EXPECT_TRUE(
          HasError(errors, "modules.m.timeout", "expected a duration", 4))
          << c.value << "\n"
          << errors.ToString();
    }
  }
}

TEST(Errors, ProberMissingOrUnknown) {
  EXPECT_ERROR(MustFail("modules:\n  m:\n    timeout: 5s\n"),
               "modules.m.prober", "prober must be set");
  EXPECT_ERROR(MustFail("modules:\n  m:\n"), "modules.m.prober",
               "prober must be set");
  EXPECT_ERROR(MustFail("modules:\n  m:\n    prober: mtr\n"),
               "modules.m.prober", "prober \"mtr\" is not valid");
}

TEST(Errors, TypeMismatches) {
  ConfigErrors e = MustFail(
      "modules:\n  m:\n    prober: icmp\n    icmp:\n      ttl: \"5\"\n"
      "      dont_fragment: maybe\n      payload_size: [1]\n");
  EXPECT_ERROR(e, "modules.m.icmp.ttl", "expected an integer");
  EXPECT_ERROR(e, "modules.m.icmp.dont_fragment", "expected true or false");
  EXPECT_ERROR(e, "modules.m.icmp.payload_size", "expected an integer");
  // yaml.v3 reads yes/no/on/off into a bool, and 0x/0o/_ integers.
  Config c = MustParse(
      "modules:\n  m:\n    prober: icmp\n    icmp:\n      ttl: 0x10\n"
      "      dont_fragment: yes\n      payload_size: 1_000\n");
  EXPECT_EQ(c.modules.at("m").icmp.ttl, 16);
  EXPECT_TRUE(c.modules.at("m").icmp.dont_fragment);
  EXPECT_EQ(c.modules.at("m").icmp.payload_size, 1000);
  EXPECT_ERROR(MustFail("modules:\n  m:\n    prober: icmp\n    icmp:\n"
                        "      payload_size: -1\n"),
               "modules.m.icmp.payload_size", "between 0 and");
  EXPECT_ERROR(MustFail("modules:\n  m:\n    prober: http\n    http: 5\n"),
               "modules.m.http", "expected a mapping");
  EXPECT_ERROR(MustFail("modules:\n  m:\n    prober: http\n    http:\n"
                        "      valid_status_codes: [200, x]\n"),
               "modules.m.http.valid_status_codes[1]", "expected an integer");
}

TEST(Errors, DuplicateKeys) {
  ConfigErrors e =
      MustFail("modules:\n  m:\n    prober: http\n    prober: tcp\n");
  EXPECT_ERROR(e, "modules.m.prober", "duplicate key");
  e = MustFail("modules:\n  m:\n    prober: http\n  m:\n    prober: tcp\n");
  EXPECT_ERROR(e, "modules.m", "duplicate key");
}

TEST(Errors, EmptyAndBrokenYaml) {
  ConfigErrors e = MustFail("");
  ASSERT_EQ(e.list.size(), 1u);
  EXPECT_NE(e.list[0].message.find("empty"), std::string::npos);
  e = MustFail("modules:\n  m: [\n");
  ASSERT_EQ(e.list.size(), 1u);
  EXPECT_GT(e.list[0].line, 0);
  e = MustFail("- a\n");
  EXPECT_ERROR(e, "", "expected a mapping");
}

TEST(Errors, MissingFile) {
  ConfigErrors e;
  EXPECT_FALSE(LoadConfigFile("/nonexistent/blackbox.yml", &e).has_value());
  ASSERT_EQ(e.list.size(), 1u);
  EXPECT_EQ(e.list[0].file, "/nonexistent/blackbox.yml");
  EXPECT_NE(e.list[0].message.find("No such file"), std::string::npos);
}

TEST(Errors, HttpClientConfig) {
  auto http = [](const std::string& body) {
    return "modules:\n  m:\n    prober: http\n    http:\n" + body;
  };
  EXPECT_ERROR(MustFail(http("      authorization:\n        type: basic\n")),
               "modules.m.http.authorization.type",
               "cannot be set to \"basic\"");
  EXPECT_ERROR(MustFail(http("      authorization:\n        credentials: a\n"
                             "      basic_auth:\n        username: u\n")),
               "modules.m.http.authorization",
               "at most one of basic_auth, oauth2 & authorization");
  EXPECT_ERROR(MustFail(http("      oauth2:\n        client_id: a\n")),
               "modules.m.http.oauth2.token_url",
               "oauth2 token_url must be configured");
  EXPECT_ERROR(MustFail(http("      no_proxy: localhost\n")),
               "modules.m.http.no_proxy",
               "if no_proxy is configured, proxy_url must also be configured");
  EXPECT_ERROR(MustFail(http("      proxy_url: http://a:b:c\n")),
               "modules.m.http.proxy_url", "invalid port");
  EXPECT_ERROR(MustFail(http("      proxy_connect_header:\n        A: [b]\n")),
               "modules.m.http.proxy_connect_header",
               "proxy_url or proxy_from_environment must also be configured");
  EXPECT_ERROR(MustFail(http("      http_headers:\n        host:\n"
                             "          values: [x]\n")),
               "modules.m.http.http_headers",
               "setting header \"Host\" is not allowed");
  EXPECT_ERROR(MustFail(http("      tls_config:\n        cert_file: c\n")),
               "modules.m.http.tls_config.key",
               "exactly one of key or key_file must be configured");
  EXPECT_ERROR(MustFail(http("      tls_config:\n        min_version: TLS9\n")),
               "modules.m.http.tls_config.min_version",
               "unknown TLS version: TLS9");
  EXPECT_ERROR(MustFail(http("      body_size_limit: 1000\n")),
               "modules.m.http.body_size_limit", "expected a size");
  EXPECT_ERROR(MustFail(http("      fail_if_body_json_matches_cel: ''\n")),
               "modules.m.http.fail_if_body_json_matches_cel",
               "could not compile CEL program");
  EXPECT_ERROR(MustFail(http("      fail_if_header_matches:\n"
                             "      - regexp: x\n")),
               "modules.m.http.fail_if_header_matches[0].header",
               "header name must be set");
  EXPECT_ERROR(MustFail(http("      valid_http_versions: [HTTP/3.0]\n")),
               "modules.m.http.valid_http_versions",
               "HTTP/3 cannot be used as a valid HTTP version when "
               "enable_http3 is false");
  EXPECT_ERROR(MustFail("modules:\n  m:\n    prober: tcp\n    tcp:\n"
                        "      query_response:\n      - expect: a\n"
                        "        expect_bytes: b\n"),
               "modules.m.tcp.query_response[0].expect_bytes",
               "mutually exclusive");
}

TEST(Http, BearerTokenBecomesAuthorization) {
  Config c = MustParse(
      "modules:\n  m:\n    prober: http\n    http:\n      bearer_token: t\n"
      "  f:\n    prober: http\n    http:\n      bearer_token_file: /t\n");
  const auto& a = c.modules.at("m").http.http_client_config.authorization;
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->type, "Bearer");
  EXPECT_EQ(a->credentials.value, "t");
  EXPECT_EQ(
      c.modules.at("f").http.http_client_config.authorization->credentials_file,
      "/t");
}

TEST(Http, NoFollowRedirectsDeprecated) {
  Config c = MustParse(
      "modules:\n  m:\n    prober: http\n    http:\n"
      "      no_follow_redirects: true\n");
  EXPECT_FALSE(c.modules.at("m").http.http_client_config.follow_redirects);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].message.find("deprecated"), std::string::npos);
}

TEST(Http, BodySizeLimitUnits) {
  auto limit = [](const std::string& v) {
    Config c = MustParse(
        "modules:\n  m:\n    prober: http\n    http:\n"
        "      body_size_limit: " +
        v + "\n");
    return c.modules.count("m") ? c.modules.at("m").http.body_size_limit : -7;
  };
  EXPECT_EQ(limit("1MB"), 1 << 20);
  EXPECT_EQ(limit("1MiB"), 1 << 20);
  EXPECT_EQ(limit("512B"), 512);
  EXPECT_EQ(limit("1.5KB"), 1536);
  EXPECT_EQ(limit("0"), 0);
  EXPECT_EQ(limit("-1KB"), std::numeric_limits<int64_t>::max() - 1);
  EXPECT_FALSE(ParseBase2Bytes("1kB").has_value());  // SI k is refused
  EXPECT_FALSE(ParseBase2Bytes("10").has_value());
  EXPECT_FALSE(ParseBase2Bytes("").has_value());
  EXPECT_FALSE(ParseBase2Bytes("MB").has_value());
  EXPECT_FALSE(ParseBase2Bytes("100EB").has_value());  // overflow
}

TEST(Http, ProbeTimeFailuresLoadWithWarnings) {
  Config c = MustParse(
      "modules:\n  m:\n    prober: http\n    http:\n      method: 'GE T'\n"
      "      compression: zstd\n");
  EXPECT_EQ(c.modules.at("m").http.compression_kind, Compression::kUnsupported);
  EXPECT_EQ(c.modules.at("m").http.method, "GE T");
  EXPECT_EQ(c.warnings.size(), 2u);
  // Compression names are lower-cased like upstream's decoder does.
  Config g = MustParse(
      "modules:\n  m:\n    prober: http\n    http:\n      compression: GZIP\n");
  EXPECT_EQ(g.modules.at("m").http.compression_kind, Compression::kGzip);
  // Warnings only for the section the prober uses.
  Config other = MustParse(
      "modules:\n  m:\n    prober: tcp\n    http:\n      compression: zstd\n");
  EXPECT_TRUE(other.warnings.empty());
}

TEST(Http, SecretRefsUnsupported) {
  Config c = MustParse(
      "modules:\n  m:\n    prober: http\n    http:\n      basic_auth:\n"
      "        username: u\n        password_ref: vault/x\n");
  EXPECT_NE(c.modules.at("m").unsupported_reason.find("secret manager"),
            std::string::npos);
}

TEST(Regexp, GoSyntaxDifferences) {
  EXPECT_TRUE(Regexp::Compile("^+OK").ok());  // upstream's own blackbox.yml
  Regexp named = Regexp::Compile("(?<ver>[0-9]+)");  // Go 1.22+ syntax
  ASSERT_TRUE(named.ok()) << named.error();
  EXPECT_EQ(named.re().NamedCapturingGroups().at("ver"), 1);
  EXPECT_TRUE(Regexp::Compile("[(?<x>]").ok());  // inside a class: literal
  EXPECT_FALSE(Regexp::Compile("a\\Cb").ok());   // Go has no \C
  EXPECT_FALSE(Regexp::Compile("a**").ok());
  EXPECT_FALSE(Regexp::Compile("x{1001}").ok());
  Regexp empty;
  EXPECT_FALSE(empty.set());
}

TEST(Regexp, ExpandLikeGo) {
  Regexp re = Regexp::Compile("^SSH-2.0-(?P<ver>[^ -]+)(?: (.*))?$");
  ASSERT_TRUE(re.ok());
  std::vector<std::optional<std::string_view>> groups = {
      "SSH-2.0-OpenSSH_9.2", "OpenSSH_9.2", std::nullopt};
  EXPECT_EQ(re.Expand("${1}", groups), "OpenSSH_9.2");
  EXPECT_EQ(re.Expand("v=$ver!", groups), "v=OpenSSH_9.2!");
  EXPECT_EQ(re.Expand("${ver}x", groups), "OpenSSH_9.2x");
  EXPECT_EQ(re.Expand("$verx", groups), "");   // the name is "verx"
  EXPECT_EQ(re.Expand("[$2]", groups), "[]");  // did not take part
  EXPECT_EQ(re.Expand("$$1", groups), "$1");
  EXPECT_EQ(re.Expand("${1", groups), "${1");  // malformed: literal
  EXPECT_EQ(re.Expand("a$", groups), "a$");
  EXPECT_EQ(re.Expand("$01", groups), "");  // leading zero: a name
  EXPECT_EQ(re.Expand("PONG ${1}", groups), "PONG OpenSSH_9.2");
}

// --- the timeout rule -------------------------------------------------------

TEST(Timeout, UpstreamRule) {
  std::string err;
  auto t = [&](std::chrono::nanoseconds module, std::string_view header,
               double offset = 0.5) {
    return ProbeTimeoutSeconds(module, header, offset, &err).value_or(-999);
  };
  EXPECT_DOUBLE_EQ(t(seconds(0), ""), 119.5);   // no header: 120 - offset
  EXPECT_DOUBLE_EQ(t(seconds(0), "0"), 119.5);  // 0 means absent
  EXPECT_DOUBLE_EQ(t(seconds(0), "10"), 9.5);
  EXPECT_DOUBLE_EQ(t(seconds(5), "10"), 5);     // module timeout smaller
  EXPECT_DOUBLE_EQ(t(seconds(15), "10"), 9.5);  // header wins
  EXPECT_DOUBLE_EQ(t(milliseconds(9500), "10"), 9.5);
  EXPECT_DOUBLE_EQ(t(seconds(5), "0.2"), 5);  // header - offset < 0
  EXPECT_DOUBLE_EQ(t(seconds(0), "0.2"), 0);  // ... even when unset
  EXPECT_DOUBLE_EQ(t(seconds(5), "10", 0), 5);
  EXPECT_DOUBLE_EQ(t(seconds(0), "10", 0), 10);
  EXPECT_DOUBLE_EQ(t(seconds(0), "1e1"), 9.5);
  EXPECT_DOUBLE_EQ(t(seconds(0), "+10"), 9.5);
  EXPECT_DOUBLE_EQ(t(seconds(-1), "10"), 9.5);  // negative: unset
  EXPECT_TRUE(std::isinf(t(seconds(0), "Inf")));
  EXPECT_TRUE(std::isnan(t(seconds(0), "NaN")));
  for (const char* bad : {"ten", " 10", "10s", "1_0", "1e400", "0x10"}) {
    err.clear();
    EXPECT_FALSE(ProbeTimeoutSeconds(seconds(0), bad, 0.5, &err).has_value())
        << bad;
    EXPECT_NE(err.find("strconv.ParseFloat"), std::string::npos) << bad;
  }
  EXPECT_DOUBLE_EQ(t(seconds(0), "0x1p3"), 7.5);  // Go takes hex floats
}

TEST(Timeout, Duration) {
  EXPECT_EQ(TimeoutDuration(9.5), milliseconds(9500));
  EXPECT_EQ(TimeoutDuration(0).count(), 0);
  EXPECT_EQ(TimeoutDuration(-1).count(), 0);
  EXPECT_EQ(TimeoutDuration(std::nan("")).count(), 0);
  EXPECT_EQ(TimeoutDuration(1e300).count(),
            std::numeric_limits<int64_t>::max());
}

// --- helpers ----------------------------------------------------------------

// Upstream's TestIsEncodingAcceptable table.
TEST(Helpers, CompressionAcceptable) {
  struct Case {
    const char* compression;
    const char* accept;
    bool want;
  } cases[] = {
      {"", "gzip", true},
      {"gzip", "gzip", true},
      {"gzip", "gzip;q=1.0", true},
      {"gzip", "gzip, compress", true},
      {"gzip", "compress, gzip", true},
      {"br", "gzip, compress", false},
      {"br", "gzip, compress, *", true},
      {"br", "gzip, compress, *;q=0.1", true},
      {"br", "gzip, compress, br;q=0.0", false},
      {"br", "gzip, compress, *;q=0.0", false},
      {"br", "gzip;q=1.0, compress;q=0.5, br;q=0.1, *;q=0.0", true},
      {"br", "*;q=0.0, compress;q=0.5, br;q=0.1, gzip;q=1.0", true},
      {"br", " gzip;q=1.0, compress; q=0.5, br;q=0.1, *; q=0.0 ", true},
  };
  for (const auto& c : cases)
    EXPECT_EQ(CompressionAcceptable(c.compression, c.accept), c.want)
        << c.compression << " / " << c.accept;
}

TEST(Helpers, CanonicalHeaderKeyAndMethod) {
  EXPECT_EQ(CanonicalHeaderKey("accEpt-enCoding"), "Accept-Encoding");
  EXPECT_EQ(CanonicalHeaderKey("x-api-key"), "X-Api-Key");
  EXPECT_EQ(CanonicalHeaderKey("bad key"), "bad key");
  EXPECT_TRUE(ValidHttpMethod("GET"));
  EXPECT_TRUE(ValidHttpMethod("get"));
  EXPECT_FALSE(ValidHttpMethod(""));
  EXPECT_FALSE(ValidHttpMethod("GE T"));
}

TEST(Helpers, DnsNames) {
  EXPECT_EQ(DnsTypeFromName("AAAA"), 28);
  EXPECT_EQ(DnsTypeFromName("NSAP-PTR"), 23);
  EXPECT_FALSE(DnsTypeFromName("aaaa").has_value());  // case-sensitive
  EXPECT_EQ(DnsClassFromName("CH"), 3);
  EXPECT_FALSE(DnsClassFromName("X").has_value());
  EXPECT_EQ(DnsRcodeFromName("NXDOMAIN"), 3);
  EXPECT_EQ(DnsRcodeFromName("NOTIMPL"), 4);
  EXPECT_FALSE(DnsRcodeFromName("BADVERS").has_value());
}

TEST(Helpers, ProberNames) {
  EXPECT_EQ(ProberNames(),
            (std::vector<std::string>{"http", "tcp", "icmp", "dns", "grpc",
                                      "unix", "websocket", "traceroute"}));
}

}  // namespace
}  // namespace exporterd::blackbox
