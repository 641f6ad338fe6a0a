// The module without an agent: its keys, snmp.yml loading through the core's
// config parser, the built-in if_mib, and the /snmp query rules.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>

#include "snmp_module.h"
#include "test_kit.h"

namespace exporterd::snmp {
namespace {

using exporterd::testing::ExpectReadmeReference;
using exporterd::testing::TempDir;

auto Load(const std::string& yaml) {
  return exporterd::testing::Load<SnmpModule>("snmp", yaml);
}

std::string WithFile(const std::string& path, const std::string& extra = "") {
  return "modules:\n  snmp:\n    config_file: " + path + "\n" + extra;
}

// A TargetCall that keeps the reply (the 400s are answered synchronously).
class FakeCall : public TargetCall {
 public:
  explicit FakeCall(std::vector<std::pair<std::string, std::string>> params) {
    req_.path = "/snmp";
    req_.params = std::move(params);
    req_.deadline = Clock::now() + std::chrono::seconds(10);
  }
  const TargetRequest& request() const override { return req_; }
  void Reply(TargetResponse r) override {
    std::lock_guard<std::mutex> l(mu_);
    if (!replied_) response_ = std::move(r);
    replied_ = true;
  }
  bool cancelled() const override { return false; }
  void OnCancel(std::function<void()>) override {}
  boost::asio::io_context& loop() override { std::abort(); }
  bool replied() {
    std::lock_guard<std::mutex> l(mu_);
    return replied_;
  }
  TargetResponse response() {
    std::lock_guard<std::mutex> l(mu_);
    return response_;
  }

 private:
  TargetRequest req_;
  std::mutex mu_;
  bool replied_ = false;
  TargetResponse response_;
};

TEST(ModuleConfigTest, EmbeddedDefaultServesBuiltinIfMib) {
  auto l = Load("modules:\n  snmp: {}\n");
  ASSERT_TRUE(l->ok()) << l->errors.ToString();
  const Config& c = l->get()->config();
  ASSERT_EQ(c.modules.count("if_mib"), 1u);
  ASSERT_EQ(c.auths.count("public_v2"), 1u);
  EXPECT_EQ(c.auths.at("public_v2").version, 2);
  EXPECT_EQ(c.auths.at("public_v2").community, "public");
  const Module& m = c.modules.at("if_mib");
  EXPECT_EQ(m.metrics.size(), 20u);
  EXPECT_FALSE(m.legacy_auth);
  // Every metric carries upstream's if_mib labels.
  for (const Metric& x : m.metrics) {
    ASSERT_EQ(x.indexes.size(), 1u) << x.name;
    EXPECT_EQ(x.indexes[0].labelname, "ifIndex");
    ASSERT_EQ(x.lookups.size(), 3u) << x.name;
  }
  const ModuleOptions& o = l->get()->options();
  EXPECT_TRUE(o.config_file.empty());
  EXPECT_EQ(o.compat, "0.21");
  EXPECT_EQ(o.max_concurrent_walks_per_target, 4);
  EXPECT_FALSE(o.partial_results);
  EXPECT_TRUE(o.coalesce_requests);
  EXPECT_TRUE(o.wrap_large_counters);
  EXPECT_EQ(l->get()->Routes(), std::vector<std::string>{"/snmp"});
  EXPECT_TRUE(l->get()->Async());
}

TEST(ModuleConfigTest, ReadmeCarriesTheReference) {
  ExpectReadmeReference(SNMP_MODULE_DIR "/README.md",
                        SnmpModule::ConfigReference());
}

TEST(ModuleConfigTest, UpstreamSnmpYmlLoads) {
  auto l = Load(WithFile(SNMP_UPSTREAM_DIR "/snmp.yml"));
  ASSERT_TRUE(l->ok()) << l->errors.ToString();
  EXPECT_GE(l->get()->config().modules.size(), 47u);
}

TEST(ModuleConfigTest, ListOfFilesAndGlobsMerge) {
  auto l = Load(
      "modules:\n  snmp:\n    config_file:\n"
      "    - " SNMP_TEST_DIR
      "/fixtures/peers_snmp.yml\n"
      "    - " SNMP_TEST_DIR "/fixtures/rich_*.yml\n");
  ASSERT_TRUE(l->ok()) << l->errors.ToString();
  const Config& c = l->get()->config();
  EXPECT_EQ(c.modules.count("if_mib_v2"), 1u);
  EXPECT_EQ(c.modules.count("rich"), 1u);
}

TEST(ModuleConfigTest, BadSnmpYmlIsRefusedWithFileLineKey) {
  TempDir d;
  const std::string path = d.Write("snmp.yml",
                                   "auths:\n  a:\n    community: x\n"
                                   "modules:\n  m:\n    walk: [1.3.6.1]\n"
                                   "    bogus_key: 1\n");
  auto l = Load(WithFile(path));
  EXPECT_FALSE(l->ok());
  const std::string e = l->errors.ToString();
  EXPECT_NE(e.find(path + ":7"), std::string::npos) << e;
  EXPECT_NE(e.find("bogus_key"), std::string::npos) << e;
}

TEST(ModuleConfigTest, MissingFileAndOwnKeysAreChecked) {
  auto l = Load(WithFile("/nonexistent/snmp.yml"));
  EXPECT_FALSE(l->ok());
  EXPECT_NE(l->errors.ToString().find("/nonexistent/snmp.yml"),
            std::string::npos);

  l = Load(
      "modules:\n  snmp:\n    max_concurrent_walks_per_target: 0\n"
      "    compat: '0.22'\n    partial: true\n");
  EXPECT_FALSE(l->ok());
  const std::string e = l->errors.ToString();
  EXPECT_NE(e.find("max_concurrent_walks_per_target"), std::string::npos) << e;
  EXPECT_NE(e.find("compat"), std::string::npos) << e;
  EXPECT_NE(e.find("partial"), std::string::npos) << e;
}

TEST(ModuleConfigTest, OwnKeys) {
  auto l = Load(
      "modules:\n  snmp:\n    max_concurrent_walks_per_target: 1\n"
      "    compat: '0.30'\n    partial_results: true\n"
      "    coalesce_requests: false\n    wrap_large_counters: false\n");
  ASSERT_TRUE(l->ok()) << l->errors.ToString();
  const ScrapeOptions& s = l->get()->scrape_options();
  EXPECT_EQ(s.max_walks_per_target, 1u);
  EXPECT_TRUE(s.partial_results);
  EXPECT_EQ(s.render.compat, Compat::kV0_30);
  EXPECT_FALSE(s.render.wrap_counters);
}

TEST(ModuleConfigTest, EnvironmentExpansionInAuths) {
  TempDir d;
  const std::string path =
      d.Write("snmp.yml",
              "auths:\n  v3:\n    version: 3\n    username: ${SNMP_T_USER}\n"
              "modules:\n  m:\n    walk: [1.3.6.1.2.1.1]\n");
  setenv("SNMP_T_USER", "alice", 1);
  auto l = Load(WithFile(path, "    expand_environment_variables: true\n"));
  ASSERT_TRUE(l->ok()) << l->errors.ToString();
  EXPECT_EQ(l->get()->config().auths.at("v3").username, "alice");
  unsetenv("SNMP_T_USER");
  l = Load(WithFile(path, "    expand_environment_variables: true\n"));
  EXPECT_FALSE(l->ok());
}

// --- query rules -----------------------------------------------------------

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Config c;
    ConfigErrors e;
    const std::string current =
        "auths:\n  public_v2: {community: public, version: 2}\n"
        "  v3: {version: 3, username: u, security_level: authNoPriv, "
        "password: pppppppp, auth_protocol: SHA}\n"
        "modules:\n"
        "  if_mib: {walk: [1.3.6.1.2.1.2]}\n"
        "  system: {walk: [1.3.6.1.2.1.1]}\n"
        "  slow: {walk: [1.3.6.1.2.1.25], timeout: 20s}\n";
    const std::string legacy =
        "legacy:\n  version: 1\n  auth: {community: secret}\n"
        "  walk: [1.3.6.1.2.1.1]\n";
    ASSERT_TRUE(ParseConfigText(current, "a.yml", &c, &e)) << e.ToString();
    ASSERT_TRUE(ParseConfigText(legacy, "b.yml", &c, &e)) << e.ToString();
    config_ = std::make_shared<Config>(std::move(c));
  }
  ParsedQuery Parse(std::vector<std::pair<std::string, std::string>> params,
                    bool debug = false) {
    TargetRequest r;
    r.params = std::move(params);
    r.debug = debug;
    return ParseQuery(r, config_, {}, "instance");
  }
  std::shared_ptr<const Config> config_;
};

TEST_F(QueryTest, TargetRequiredOnce) {
  for (auto params :
       std::vector<std::vector<std::pair<std::string, std::string>>>{
           {}, {{"target", ""}}, {{"target", "a"}, {"target", "b"}}}) {
    ParsedQuery q = Parse(params);
    EXPECT_EQ(q.status, 400);
    EXPECT_EQ(q.error, "'target' parameter must be specified once\n");
  }
}

TEST_F(QueryTest, UnknownModuleAndAuthAreNamed) {
  ParsedQuery q = Parse({{"target", "h"}, {"module", "if_mib,nope"}});
  EXPECT_EQ(q.status, 400);
  EXPECT_EQ(q.error.rfind("Unknown module 'nope' (known: if_mib, legacy, "
                          "slow, system)",
                          0),
            0u)
      << q.error;
  q = Parse({{"target", "h"}, {"auth", "nope"}});
  EXPECT_EQ(q.status, 400);
  EXPECT_EQ(q.error.rfind("Unknown auth 'nope'", 0), 0u) << q.error;
  q = Parse({{"target", "h"}, {"auth", "a"}, {"auth", "b"}});
  EXPECT_EQ(q.error, "'auth' parameter must only be specified once\n");
  q = Parse({{"target", "h"}, {"snmp_engineid", "zz"}});
  EXPECT_EQ(q.status, 400);
}

TEST_F(QueryTest, ModulesRepeatedCommaSeparatedDeduplicated) {
  ParsedQuery q = Parse({{"target", "h"},
                         {"module", "system,if_mib,,system"},
                         {"module", "if_mib"}});
  ASSERT_TRUE(q.request) << q.error;
  ASSERT_EQ(q.request->modules.size(), 2u);
  EXPECT_EQ(q.request->modules[0]->name, "system");
  EXPECT_EQ(q.request->modules[1]->name, "if_mib");
  // Same auth and walk parameters: one session.
  ASSERT_EQ(q.request->groups.size(), 1u);
  EXPECT_EQ(q.request->groups[0].modules.size(), 2u);
  EXPECT_EQ(q.request->groups[0].session.version, 2);
  EXPECT_EQ(q.request->groups[0].session.community, "public");
}

TEST_F(QueryTest, DefaultsAreIfMibAndPublicV2) {
  ParsedQuery q = Parse({{"target", "h"}});
  ASSERT_TRUE(q.request) << q.error;
  ASSERT_EQ(q.request->modules.size(), 1u);
  EXPECT_EQ(q.request->modules[0]->name, "if_mib");
  EXPECT_EQ(q.request->groups[0].auth_text, "auth public_v2, v2c");
}

TEST_F(QueryTest, SessionsSplitByWalkParamsAndAuth) {
  ParsedQuery q = Parse({{"target", "h"}, {"module", "if_mib,slow,legacy"}});
  ASSERT_TRUE(q.request) << q.error;
  ASSERT_EQ(q.request->groups.size(), 3u);
  EXPECT_EQ(q.request->groups[1].session.timeout, std::chrono::seconds(20));
  // A legacy module without ?auth= uses its own.
  EXPECT_EQ(q.request->groups[2].session.version, 1);
  EXPECT_EQ(q.request->groups[2].session.community, "secret");
  // ?auth= wins over a legacy module's own auth.
  q = Parse({{"target", "h"}, {"module", "legacy"}, {"auth", "v3"}});
  ASSERT_TRUE(q.request) << q.error;
  EXPECT_EQ(q.request->groups[0].session.version, 3);
  EXPECT_EQ(q.request->groups[0].session.security_level,
            SecurityLevel::kAuthNoPriv);
  EXPECT_EQ(q.request->groups[0].session.auth_protocol, "SHA");
}

TEST_F(QueryTest, ContextAndEngineId) {
  ParsedQuery q = Parse({{"target", "h"},
                         {"auth", "v3"},
                         {"snmp_context", "vrf1"},
                         {"snmp_engineid", "80001f8880"}});
  ASSERT_TRUE(q.request) << q.error;
  EXPECT_EQ(q.request->groups[0].session.context_name, "vrf1");
  EXPECT_EQ(q.request->groups[0].session.context_engine_id,
            std::string("\x80\x00\x1f\x88\x80", 5));
  // Engine id only for v3, as upstream.
  q = Parse({{"target", "h"}, {"snmp_engineid", "80001f8880"}});
  ASSERT_TRUE(q.request) << q.error;
  EXPECT_EQ(q.request->groups[0].session.context_engine_id, "");
}

TEST_F(QueryTest, CoalescingKey) {
  auto key = [&](std::vector<std::pair<std::string, std::string>> p,
                 bool debug = false) {
    ParsedQuery q = Parse(std::move(p), debug);
    EXPECT_TRUE(q.request) << q.error;
    return q.request ? q.request->coalesce_key : "?";
  };
  const std::string a = key({{"target", "h"}, {"module", "if_mib,system"}});
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a,
            key({{"target", "h"}, {"module", "if_mib"}, {"module", "system"}}));
  EXPECT_NE(a, key({{"target", "h2"}, {"module", "if_mib,system"}}));
  EXPECT_NE(a, key({{"target", "h"}, {"module", "system,if_mib"}}));
  EXPECT_NE(
      a, key({{"target", "h"}, {"module", "if_mib,system"}, {"auth", "v3"}}));
  // ?debug=true never shares: its answer is its own exchange log.
  EXPECT_EQ(key({{"target", "h"}}, true), "");
}

TEST(ModuleHandleTest, BadRequestsAnswer400AtOnce) {
  auto l = Load("modules:\n  snmp: {}\n");
  ASSERT_TRUE(l->ok()) << l->errors.ToString();
  auto call = std::make_shared<FakeCall>(
      std::vector<std::pair<std::string, std::string>>{
          {"target", "127.0.0.1"}, {"module", "ucd_memory"}});
  l->get()->HandleAsync(call);
  ASSERT_TRUE(call->replied());
  EXPECT_EQ(call->response().status, 400);
  EXPECT_EQ(call->response().text,
            "Unknown module 'ucd_memory' (known: if_mib)\n");
  // Counted on /metrics as upstream's snmp_request_errors_total.
  CollectResult r = l->Collect();
  const std::string text = exporterd::testing::Serialize(r.families);
  EXPECT_GE(exporterd::testing::Sample(text, "snmp_request_errors_total"), 1);
  EXPECT_EQ(exporterd::testing::PromtoolCheckMetrics(text), "");
}

TEST(SelfSeriesTest, As021AndAs030) {
  std::vector<double> one{1};
  auto f = SelfSeries(Compat::kV0_21, {"if_mib"}, one, one, one, one, one);
  ASSERT_EQ(f.size(), 5u);
  EXPECT_TRUE(f[0].metric[0].label.empty());
  f = SelfSeries(Compat::kV0_30, {"if_mib"}, one, one, one, one, one);
  ASSERT_EQ(f[0].metric[0].label.size(), 1u);
  EXPECT_EQ(f[0].metric[0].label[0].name, "module");
  std::vector<double> two{1, 2};
  f = SelfSeries(Compat::kV0_21, {"a", "b"}, two, two, two, two, two);
  ASSERT_EQ(f[0].metric.size(), 2u);
  EXPECT_EQ(f[0].metric[1].label[0].value, "b");
  MergeSorted(&f, {});
  EXPECT_EQ(f[0].name, "snmp_scrape_duration_seconds");
  EXPECT_EQ(f[4].name, "snmp_scrape_walk_duration_seconds");
}

}  // namespace
}  // namespace exporterd::snmp
