#include "snmp_config.h"

#include <gtest/gtest.h>

#include <map>

#include "test_util.h"

namespace exporterd::snmp {
namespace {

using testing::TestPath;

std::string Upstream(const std::string& f) {
  return std::string(SNMP_UPSTREAM_DIR) + "/" + f;
}

// Parses `text` as file "t.yml"; returns the errors, one per line.
std::string Errors(const std::string& text, Config* out = nullptr) {
  Config c;
  ConfigErrors e;
  ParseConfigText(text, "t.yml", &c, &e);
  FinishConfig({}, &c, &e);
  if (out) *out = std::move(c);
  return e.ToString();
}

TEST(SnmpConfigTest, UpstreamGeneratedConfigLoads) {
  Config c;
  ConfigErrors e;
  std::vector<std::string> warnings;
  ASSERT_TRUE(LoadConfigFiles({Upstream("snmp.yml")}, {}, &c, &e, &warnings))
      << e.ToString();
  EXPECT_EQ(c.modules.size(), 53u);
  ASSERT_EQ(c.auths.size(), 2u);
  EXPECT_EQ(c.auths.at("public_v1").version, 1);
  EXPECT_EQ(c.auths.at("public_v2").version, 2);
  const Module& ifm = c.modules.at("if_mib");
  EXPECT_FALSE(ifm.legacy_auth);
  EXPECT_EQ(ifm.walk_params.max_repetitions, 25u);
  EXPECT_EQ(ifm.walk_params.retries, 3);
  EXPECT_EQ(ifm.walk_params.timeout, std::chrono::seconds(5));
  bool saw_regex = false, saw_datetime = false, saw_scale = false;
  for (const auto& [name, m] : c.modules) {
    for (const auto& metric : m.metrics) {
      for (const auto& [suffix, alts] : metric.regex_extracts)
        for (const auto& a : alts) saw_regex = saw_regex || a.regex;
      saw_datetime = saw_datetime || !metric.datetime_pattern.empty();
      saw_scale = saw_scale || metric.scale != 0;
    }
  }
  EXPECT_TRUE(saw_regex);
  EXPECT_TRUE(saw_datetime);
  EXPECT_TRUE(saw_scale);
}

// Upstream's config_test.go expectations for its testdata.
TEST(SnmpConfigTest, UpstreamTestdataAuthLoads) {
  Config c;
  ConfigErrors e;
  ASSERT_TRUE(LoadConfigFiles({Upstream("snmp-auth.yml")}, {}, &c, &e, nullptr))
      << e.ToString();
  const Auth& a = c.auths.at("with_secret");
  EXPECT_EQ(a.community, "mysecret");
  EXPECT_EQ(a.version, 2);  // default; the odd security_level is not checked
  EXPECT_EQ(a.security_level, "SomethingReadOnly");
  EXPECT_EQ(a.auth_protocol, "SHA256");
}

TEST(SnmpConfigTest, UpstreamTestdataOverridesAndMultipleFiles) {
  Config c;
  ConfigErrors e;
  ASSERT_TRUE(LoadConfigFiles({Upstream("snmp-with-overrides.yml")}, {}, &c, &e,
                              nullptr))
      << e.ToString();
  const Metric& m = c.modules.at("default").metrics.at(0);
  ASSERT_EQ(m.regex_extracts.at("Temp").size(), 1u);
  EXPECT_EQ(m.regex_extracts.at("Temp")[0].regex, nullptr);  // `regex:` null
  EXPECT_EQ(m.regex_extracts.at("Temp")[0].value, "$1");

  Config both;
  ConfigErrors e2;
  ASSERT_TRUE(LoadConfigFiles(
      {Upstream("snmp-auth.yml"), Upstream("snmp-with-overrides.yml")}, {},
      &both, &e2, nullptr))
      << e2.ToString();
  EXPECT_EQ(both.auths.size(), 1u);
  EXPECT_EQ(both.modules.size(), 1u);
}

std::optional<std::string> FakeEnv(
    const std::map<std::string, std::string>& env, const std::string& n) {
  auto it = env.find(n);
  if (it == env.end()) return std::nullopt;
  return it->second;
}

TEST(SnmpConfigTest, UpstreamTestdataEnvSecrets) {
  std::map<std::string, std::string> env = {
      {"ENV_USERNAME", "username"},
      {"ENV_PASSWORD", "snmp_password"},
      {"ENV_PRIV_PASSWORD", "snmp_priv_password"}};
  LoadOptions o;
  o.expand_environment_variables = true;
  o.getenv = [&](const std::string& n) { return FakeEnv(env, n); };
  Config c;
  ConfigErrors e;
  ASSERT_TRUE(
      LoadConfigFiles({Upstream("snmp-auth-envvars.yml")}, o, &c, &e, nullptr))
      << e.ToString();
  const Auth& a = c.auths.at("with_secret");
  EXPECT_EQ(a.username, "snmp_username");
  EXPECT_EQ(a.password, "snmp_password");
  EXPECT_EQ(a.priv_password, "snmp_priv_password");
  EXPECT_EQ(a.community, "mysecret");  // never expanded

  // Set but empty: expands to "".
  env = {{"ENV_USERNAME", ""}, {"ENV_PASSWORD", ""}, {"ENV_PRIV_PASSWORD", ""}};
  Config c2;
  ConfigErrors e2;
  ASSERT_TRUE(LoadConfigFiles({Upstream("snmp-auth-envvars.yml")}, o, &c2, &e2,
                              nullptr))
      << e2.ToString();
  EXPECT_EQ(c2.auths.at("with_secret").username, "snmp_");
  EXPECT_EQ(c2.auths.at("with_secret").password, "");

  // Missing: an error naming the variable, at the auth.
  env = {{"ENV_PASSWORD", "p"}, {"ENV_PRIV_PASSWORD", "q"}};
  Config c3;
  ConfigErrors e3;
  EXPECT_FALSE(LoadConfigFiles({Upstream("snmp-auth-envvars.yml")}, o, &c3, &e3,
                               nullptr));
  EXPECT_NE(e3.ToString().find("snmp-auth-envvars.yml:2: "
                               "auths.with_secret.username: ENV_USERNAME "
                               "environment variable not found"),
            std::string::npos)
      << e3.ToString();

  // Without the flag nothing is expanded.
  Config c4;
  ConfigErrors e4;
  ASSERT_TRUE(LoadConfigFiles({Upstream("snmp-auth-envvars.yml")}, {}, &c4, &e4,
                              nullptr));
  EXPECT_EQ(c4.auths.at("with_secret").password, "${ENV_PASSWORD}");

  // v2 without credentials and the flag on: fine.
  Config c5;
  ConfigErrors e5;
  EXPECT_TRUE(LoadConfigFiles({Upstream("snmp-auth-v2nocreds.yml")}, o, &c5,
                              &e5, nullptr))
      << e5.ToString();
}

TEST(SnmpConfigTest, ExpandEnvFollowsGoOsExpand) {
  std::map<std::string, std::string> env = {
      {"A", "x"}, {"AB", "y"}, {"1", "one"}, {"$", "dollar"}};
  auto get = [&](const std::string& n) { return FakeEnv(env, n); };
  auto ex = [&](const std::string& s, std::string* missing) {
    missing->clear();
    return ExpandEnv(s, get, missing);
  };
  std::string missing;
  EXPECT_EQ(ex("$A-${A}b", &missing), "x-xb");
  EXPECT_EQ(ex("$AB", &missing), "y");
  EXPECT_EQ(ex("$1x", &missing), "onex");  // special one-character names
  EXPECT_EQ(ex("pa$$", &missing), "padollar");
  EXPECT_EQ(ex("end$", &missing), "end$");  // a trailing $ stays
  EXPECT_EQ(ex("a${}b", &missing), "ab");   // bad syntax is eaten
  EXPECT_EQ(ex("a${b", &missing), "ab");    // "${" eaten
  EXPECT_EQ(ex("a$-", &missing), "a");      // "$-" is a variable
  EXPECT_EQ(missing, "-");
  EXPECT_EQ(ex("$NOPE", &missing), "");
  EXPECT_EQ(missing, "NOPE");
  EXPECT_EQ(ex("a$ b", &missing), "a$ b");  // no name: $ kept
}

TEST(SnmpConfigTest, LegacyLayoutAsDebian021Reads) {
  Config c;
  std::string text = testing::ReadTestFile(TestPath("fixtures/peers_snmp.yml"));
  ConfigErrors e;
  ASSERT_TRUE(ParseConfigText(text, "peers_snmp.yml", &c, &e)) << e.ToString();
  ASSERT_EQ(c.modules.size(), 3u);
  const Module& v3 = c.modules.at("if_mib_v3");
  ASSERT_TRUE(v3.legacy_auth);
  EXPECT_EQ(v3.legacy_auth->version, 3);
  EXPECT_EQ(v3.legacy_auth->username, "benchuser");
  EXPECT_EQ(v3.legacy_auth->priv_protocol, "AES");
  EXPECT_EQ(v3.walk_params.retries, 1);
  const Module& big = c.modules.at("bigtable_v2");
  EXPECT_EQ(big.walk_params.max_repetitions, 50u);
  EXPECT_EQ(big.walk_params.timeout, std::chrono::seconds(20));
  EXPECT_EQ(big.legacy_auth->community, "public");
  EXPECT_TRUE(c.auths.empty());
}

TEST(SnmpConfigTest, Defaults) {
  Config c;
  EXPECT_EQ(Errors("modules:\n  m: {}\nauths:\n  a: {}\n", &c), "");
  const Module& m = c.modules.at("m");
  EXPECT_EQ(m.walk_params.max_repetitions, 25u);
  EXPECT_EQ(m.walk_params.retries, 3);
  EXPECT_EQ(m.walk_params.timeout, std::chrono::seconds(5));
  EXPECT_FALSE(m.walk_params.allow_nonincreasing_oids);
  EXPECT_FALSE(m.walk_params.use_unconnected_udp_socket);
  const Auth& a = c.auths.at("a");
  EXPECT_EQ(a.version, 2);
  EXPECT_EQ(a.community, "public");
  EXPECT_EQ(a.security_level, "noAuthNoPriv");
  EXPECT_EQ(a.auth_protocol, "MD5");
  EXPECT_EQ(a.priv_protocol, "DES");
  // Legacy defaults are the same, version included.
  Config l;
  EXPECT_EQ(Errors("m:\n  walk: [1.3.6.1.2.1.1]\n", &l), "");
  EXPECT_EQ(l.modules.at("m").legacy_auth->version, 2);
  EXPECT_EQ(l.modules.at("m").legacy_auth->community, "public");
}

TEST(SnmpConfigTest, WalkParamsAndEveryField) {
  Config c;
  const char* text = R"(modules:
  m:
    walk: [1.3.6.1.2.1.2, .1.3.6.1.2.1.31.1.1]
    get: [1.3.6.1.2.1.1.3.0]
    max_repetitions: 50
    retries: 0
    timeout: 1m30s
    allow_nonincreasing_oids: true
    use_unconnected_udp_socket: true
    filters:
    - oid: 1.3.6.1.2.1.2.2.1.7
      targets: [1.3.6.1.2.1.2.2.1.4]
      values: ["1", "2"]
    metrics:
    - name: x
      oid: 1.3.6.1.2.1.2.2.1.2
      type: DisplayString
      help: h
      indexes:
      - {labelname: ifIndex, type: gauge}
      - {labelname: s, type: DisplayString, fixed_size: 4, implied: false}
      - {labelname: e, type: EnumAsInfo, enum_values: {1: one, -2: minus}}
      lookups:
      - {labels: [ifIndex], labelname: ifName, oid: 1.3.6.1.2.1.31.1.1.1.1, type: DisplayString, display_hint: 255a}
      - {labels: [], labelname: ifIndex}
      regex_extracts:
        Temp:
        - {regex: '(\d+)', value: '$1'}
      datetime_pattern: '%Y'
      enum_values: {1: up}
      offset: -1.5
      scale: 0.1
      display_hint: "1x:"
auths:
  v3:
    version: 3
    username: u
    security_level: authPriv
    password: p
    auth_protocol: SHA512
    priv_protocol: AES256C
    priv_password: q
    context_name: ctx
)";
  ASSERT_EQ(Errors(text, &c), "");
  const Module& m = c.modules.at("m");
  EXPECT_EQ(m.walk,
            (std::vector<std::string>{"1.3.6.1.2.1.2", "1.3.6.1.2.1.31.1.1"}));
  EXPECT_EQ(m.walk_params.max_repetitions, 50u);
  EXPECT_EQ(m.walk_params.retries, 0);
  EXPECT_EQ(m.walk_params.timeout, std::chrono::seconds(90));
  EXPECT_TRUE(m.walk_params.allow_nonincreasing_oids);
  EXPECT_TRUE(m.walk_params.use_unconnected_udp_socket);
  ASSERT_EQ(m.filters.size(), 1u);
  EXPECT_EQ(m.filters[0].values.size(), 2u);
  const Metric& x = m.metrics.at(0);
  EXPECT_EQ(x.type, MetricType::kDisplayString);
  EXPECT_EQ(x.indexes.at(1).fixed_size, 4);
  EXPECT_EQ(x.indexes.at(2).enum_values.at(-2), "minus");
  EXPECT_EQ(x.lookups.at(0).display_hint, "255a");
  EXPECT_TRUE(x.lookups.at(1).labels.empty());
  EXPECT_DOUBLE_EQ(x.offset, -1.5);
  EXPECT_DOUBLE_EQ(x.scale, 0.1);
  EXPECT_EQ(x.display_hint, "1x:");
  EXPECT_EQ(c.auths.at("v3").context_name, "ctx");
}

// Numbers as yaml.v2 reads them (GoYamlInt, GoParseDuration: the SDK's).
TEST(SnmpConfigTest, YamlV2Numbers) {
  Config c;
  // A bare number in a time.Duration is nanoseconds; text is a Go duration.
  EXPECT_EQ(Errors("modules:\n  m:\n    timeout: 5\n", &c), "");
  EXPECT_EQ(c.modules.at("m").walk_params.timeout, std::chrono::nanoseconds(5));
  EXPECT_EQ(Errors("modules:\n  m:\n    timeout: 1m1.5s\n", &c), "");
  EXPECT_EQ(c.modules.at("m").walk_params.timeout,
            std::chrono::milliseconds(61500));
  EXPECT_EQ(Errors("modules:\n  m:\n    timeout: 1.5\n", &c), "");
  EXPECT_EQ(c.modules.at("m").walk_params.timeout, std::chrono::nanoseconds(1));
  EXPECT_NE(Errors("modules:\n  m:\n    timeout: '5'\n", &c), "");
  // Integer keys: 0x, 0o, 0b, 0-prefixed octal and '_', as strconv, or a
  // float, truncated; quoted keys are strings. snmp_exporter 0.21's
  // --dry-run takes and refuses the same documents.
  const char* kEnum =
      "modules:\n  m:\n    walk: [1.3]\n    metrics:\n    - name: x\n"
      "      oid: 1.3.1\n      type: gauge\n      enum_values: ";
  EXPECT_EQ(
      Errors(std::string(kEnum) + "{0x10: a, 010: b, 1_000: c, -0b11: d}\n",
             &c),
      "");
  const auto& e = c.modules.at("m").metrics.at(0).enum_values;
  EXPECT_EQ(e.at(16), "a");
  EXPECT_EQ(e.at(8), "b");
  EXPECT_EQ(e.at(1000), "c");
  EXPECT_EQ(e.at(-3), "d");
  EXPECT_EQ(Errors(std::string(kEnum) + "{1.9: a}\n", &c), "");
  EXPECT_EQ(c.modules.at("m").metrics.at(0).enum_values.at(1), "a");
  EXPECT_NE(Errors(std::string(kEnum) + "{'1': a}\n"), "");
  // Int fields (max_repetitions, retries, version, fixed_size) the same way
  // (0.21's --dry-run, on its own module format: takes 0x2, 2_5, 1e1 and
  // 2.5, refuses "3" and "25" quoted and -1 for max_repetitions).
  EXPECT_EQ(Errors("auths:\n  a:\n    version: 0x3\n    username: u\n"
                   "modules:\n  m:\n    max_repetitions: 2_5\n"
                   "    retries: 1e1\n",
                   &c),
            "");
  EXPECT_EQ(c.auths.at("a").version, 3);
  EXPECT_EQ(c.modules.at("m").walk_params.max_repetitions, 25u);
  EXPECT_EQ(c.modules.at("m").walk_params.retries, 10);
  EXPECT_EQ(Errors("modules:\n  m:\n    retries: '3'\n"),
            "t.yml:3: modules.m.retries: expected an integer (unquoted), got "
            "\"3\"\n");
}

// Bad configurations: each error names file:line: key.
struct BadCase {
  const char* yaml;
  const char* error;
};

class BadConfigTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfigTest, ReportsFileLineKey) {
  std::string errors = Errors(GetParam().yaml);
  EXPECT_NE(errors.find(GetParam().error), std::string::npos) << "got:\n"
                                                              << errors;
}

INSTANTIATE_TEST_SUITE_P(
    SnmpConfig, BadConfigTest,
    ::testing::Values(
        BadCase{"modules:\n  m:\n    walkk: [1.3]\n",
                "t.yml:3: modules.m.walkk: unknown key"},
        BadCase{"auths:\n  a:\n    version: 4\n",
                "t.yml:3: auths.a.version: SNMP version must be 1, 2 or 3. "
                "Got: 4"},
        BadCase{"auths:\n  a:\n    version: 0\n",
                "t.yml:3: auths.a.version: SNMP version must be 1, 2 or 3. "
                "Got: 0"},
        BadCase{"auths:\n  a:\n    version: 3\n    security_level: authPriv\n"
                "    username: u\n    password: p\n",
                "t.yml:3: auths.a.priv_password: priv password is missing"},
        BadCase{"auths:\n  a:\n    version: 3\n    username: u\n"
                "    security_level: authNoPriv\n    password: p\n"
                "    auth_protocol: SHA1\n",
                "t.yml:7: auths.a.auth_protocol: auth protocol must be one "
                "of"},
        BadCase{"auths:\n  a:\n    version: 3\n    security_level: authPriv\n"
                "    username: u\n    password: p\n    priv_password: q\n"
                "    priv_protocol: 3DES\n",
                "t.yml:8: auths.a.priv_protocol: priv protocol must be one "
                "of"},
        BadCase{"auths:\n  a:\n    version: 3\n",
                "t.yml:3: auths.a.username: auth username is missing"},
        BadCase{"auths:\n  a:\n    version: 3\n    security_level: none\n",
                "t.yml:4: auths.a.security_level: security level must be "
                "one of"},
        BadCase{"auths:\n  a:\n    community: public\n    extra: 1\n",
                "t.yml:4: auths.a.extra: unknown key"},
        BadCase{"modules:\n  m:\n    max_repetitions: -1\n",
                "t.yml:3: modules.m.max_repetitions: must be between 0 and "
                "4294967295, got -1"},
        BadCase{"modules:\n  m:\n    retries: many\n",
                "t.yml:3: modules.m.retries: expected an integer"},
        BadCase{"modules:\n  m:\n    timeout: 5 s\n",
                "t.yml:3: modules.m.timeout: expected a duration"},
        BadCase{"modules:\n  m:\n    walk: [1.3.6.x]\n",
                "t.yml:3: modules.m.walk[0]: expected a numeric OID"},
        BadCase{"modules:\n  m:\n    metrics:\n    - name: a\n      oid: 1.2\n"
                "      type: Gauge\n",
                "t.yml:6: modules.m.metrics[0].type: invalid type \"Gauge\""},
        BadCase{"modules:\n  m:\n    metrics:\n    - name: a\n      oid: 1.2\n"
                "      type: gauge\n      indexes:\n"
                "      - labelname: i\n        type: DateAndTime\n",
                "t.yml:9: modules.m.metrics[0].indexes[0].type: invalid "
                "index type \"DateAndTime\""},
        BadCase{
            "modules:\n  m:\n    metrics:\n    - name: a-b\n      oid: 1.2\n"
            "      type: gauge\n",
            "t.yml:4: modules.m.metrics[0].name: invalid metric name"},
        BadCase{"modules:\n  m:\n    metrics:\n    - name: a\n      oid: 1.2\n"
                "      type: gauge\n      indexes:\n"
                "      - labelname: 9i\n        type: gauge\n",
                "t.yml:8: modules.m.metrics[0].indexes[0].labelname: "
                "invalid label name"},
        BadCase{"modules:\n  m:\n    metrics:\n    - name: a\n      oid: 1.2\n"
                "      type: DisplayString\n      regex_extracts:\n"
                "        T:\n        - regex: '(unclosed'\n",
                "t.yml:9: modules.m.metrics[0].regex_extracts.T[0].regex: "
                "invalid regular expression"},
        BadCase{"modules:\n  m:\n    metrics:\n    - name: a\n      oid: 1.2\n"
                "      type: gauge\n      enum_values: {x: y}\n",
                "t.yml:7: modules.m.metrics[0].enum_values.x: expected an "
                "integer key"},
        BadCase{"modules:\n  m:\n    metrics:\n    - name: a\n      type: "
                "gauge\n",
                "t.yml:4: modules.m.metrics[0].oid: missing"},
        BadCase{"modules:\n  m:\n    filters:\n    - oid: 1.2\n"
                "      values: ['[']\n",
                "t.yml:5: modules.m.filters[0].values: invalid regular "
                "expression"},
        BadCase{"modules:\n  m: {}\n  m: {}\n",
                "t.yml:3: modules.m: duplicate key (first at line 2)"},
        BadCase{"m:\n  version: 5\n",
                "t.yml:2: m.version: SNMP version must be 1, 2 or 3. Got: 5"},
        BadCase{"m:\n  auth:\n    comunity: x\n",
                "t.yml:3: m.auth.comunity: unknown key"},
        BadCase{"m:\n  version: 3\n  auth:\n    username: u\n"
                "    security_level: authNoPriv\n",
                "t.yml:4: m.auth.password: auth password is missing"},
        BadCase{"modules: [1]\n", "t.yml:1: modules: expected a mapping"},
        BadCase{"modules:\n  m:\n   walk: [\n", "t.yml:"}));

TEST(SnmpConfigTest, DuplicateAcrossFilesIsAnError) {
  Config c;
  ConfigErrors e;
  ASSERT_TRUE(
      ParseConfigText("modules:\n  m: {}\nauths:\n  a: {}\n", "a.yml", &c, &e));
  EXPECT_FALSE(
      ParseConfigText("auths:\n  a: {}\nmodules:\n  m: {}\n", "b.yml", &c, &e));
  const std::string s = e.ToString();
  EXPECT_NE(s.find("b.yml:2: auths.a: auth \"a\" is already defined"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("b.yml:4: modules.m: module \"m\" is already defined at "
                   "a.yml:2"),
            std::string::npos)
      << s;
}

TEST(SnmpConfigTest, LaterTopLevelVersionWins) {
  Config c;
  ConfigErrors e;
  ASSERT_TRUE(ParseConfigText("version: 2\n", "a.yml", &c, &e));
  ASSERT_TRUE(ParseConfigText("version: 3\nmodules: {}\n", "b.yml", &c, &e));
  EXPECT_EQ(c.version, 3);
}

TEST(SnmpConfigTest, GlobAndMissingPattern) {
  Config c;
  ConfigErrors e;
  std::vector<std::string> warnings;
  // snmp-auth-envvars.yml and snmp-auth.yml both define with_secret: an
  // error, as upstream's merge into one map.
  EXPECT_FALSE(
      LoadConfigFiles({Upstream("snmp-auth*.yml"), Upstream("nothing-*.yml")},
                      {}, &c, &e, &warnings));
  EXPECT_NE(e.ToString().find("auths.with_secret: auth \"with_secret\" is "
                              "already defined"),
            std::string::npos)
      << e.ToString();
  EXPECT_EQ(c.auths.count("v2_without_secret"), 1u);
  EXPECT_EQ(warnings.size(), 1u);
}

TEST(SnmpConfigTest, MissingFileIsAnError) {
  Config c;
  ConfigErrors e;
  EXPECT_FALSE(LoadConfigFiles({"/nonexistent/snmp.yml"}, {}, &c, &e, nullptr));
  EXPECT_NE(e.ToString().find("/nonexistent/snmp.yml"), std::string::npos);
}

}  // namespace
}  // namespace exporterd::snmp
