#include "plan.h"

#include <gtest/gtest.h>

#include "snmp_config.h"

namespace exporterd::snmp {
namespace {

Config Parse(const std::string& yaml) {
  Config c;
  ConfigErrors e;
  EXPECT_TRUE(ParseConfigText(yaml, "t.yml", &c, &e)) << e.ToString();
  return c;
}

std::vector<std::string> Texts(const std::vector<Fetch>& f) {
  std::vector<std::string> out;
  for (const auto& x : f) out.push_back(OidToString(x.oid));
  return out;
}

Varbind Int(const std::string& oid, int64_t v) {
  Varbind vb;
  vb.oid = *ParseOid(oid);
  vb.type = PduType::kInteger;
  vb.int_value = v;
  return vb;
}

TEST(PlanTest, MergesNestedAndSharedSubtrees) {
  Config c = Parse(R"(modules:
  a:
    walk: [1.3.6.1.2.1.2, 1.3.6.1.2.1.31.1.1]
    get: [1.3.6.1.2.1.1.3.0, 1.3.6.1.2.1.2.1.0]
  b:
    walk: [1.3.6.1.2.1.2.2.1.2, 1.3.6.1.2.1.31.1.1, 1.3.6.1.2.1.25]
    get: [1.3.6.1.2.1.1.3.0]
)");
  Plan p = MergeFetches(
      {UnfilteredFetch(c.modules.at("a")), UnfilteredFetch(c.modules.at("b"))});
  EXPECT_EQ(Texts(p.walks),
            (std::vector<std::string>{"1.3.6.1.2.1.2", "1.3.6.1.2.1.25",
                                      "1.3.6.1.2.1.31.1.1"}));
  EXPECT_EQ(p.walks[0].modules, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(p.walks[1].modules, (std::vector<size_t>{1}));
  EXPECT_EQ(p.walks[2].modules, (std::vector<size_t>{0, 1}));
  // 1.3.6.1.2.1.2.1.0 comes back with the walk of 1.3.6.1.2.1.2.
  EXPECT_EQ(Texts(p.gets), (std::vector<std::string>{"1.3.6.1.2.1.1.3.0"}));
  EXPECT_EQ(p.gets[0].modules, (std::vector<size_t>{0, 1}));
  // b sees ifDescr but not ifType, which only a walked.
  ASSERT_EQ(p.scopes.size(), 2u);
  EXPECT_TRUE(p.scopes[1].Contains(*ParseOid("1.3.6.1.2.1.2.2.1.2.5")));
  EXPECT_FALSE(p.scopes[1].Contains(*ParseOid("1.3.6.1.2.1.2.2.1.3.5")));
  EXPECT_TRUE(p.scopes[0].Contains(*ParseOid("1.3.6.1.2.1.2.2.1.3.5")));
  EXPECT_TRUE(p.scopes[1].Contains(*ParseOid("1.3.6.1.2.1.1.3.0")));
  EXPECT_FALSE(p.scopes[1].Contains(*ParseOid("1.3.6.1.2.1.1.3")));
}

// Upstream's dynamic filter semantics (collector.go ScrapeTarget).
TEST(PlanTest, DynamicFilters) {
  Config c = Parse(R"(modules:
  m:
    walk: [1.3.6.1.2.1.2.2.1.4, 1.3.6.1.2.1.2.2.1.10, 1.3.6.1.2.1.2.2.1.7]
    get: [1.3.6.1.2.1.2.2.1.10.9, 1.3.6.1.2.1.2.2.1.100.1, 1.3.6.1.2.1.1.3.0]
    filters:
    - oid: 1.3.6.1.2.1.2.2.1.7
      targets: [1.3.6.1.2.1.2.2.1.4, 1.3.6.1.2.1.2.2.1.10]
      values: ["^1$"]
    - oid: 1.3.6.1.2.1.2.2.1.8
      targets: [1.3.6.1.2.1.2.2.1.10]
      values: ["1", "2"]
    - oid: 1.3.6.1.2.1.2.2.1.99
      targets: [1.3.6.1.2.1.2.2.1.4]
      values: [".*"]
)");
  const Module& m = c.modules.at("m");
  auto walks = FilterWalks({&m});
  ASSERT_EQ(walks.size(), 3u);
  ModuleFetch f = ApplyDynamicFilters(
      m, {std::vector<Varbind>{Int("1.3.6.1.2.1.2.2.1.7.1", 1),
                               Int("1.3.6.1.2.1.2.2.1.7.2", 2),
                               Int("1.3.6.1.2.1.2.2.1.7.3", 1)},
          std::vector<Varbind>{Int("1.3.6.1.2.1.2.2.1.8.1", 1),
                               Int("1.3.6.1.2.1.2.2.1.8.2", 1),
                               Int("1.3.6.1.2.1.2.2.1.8.3", 7)},
          std::nullopt});  // the third filter's walk failed: ignored
  // Targets leave the walk list; the filter OID itself stays walked.
  EXPECT_EQ(f.walk, (std::vector<std::string>{"1.3.6.1.2.1.2.2.1.7"}));
  // Gets starting with a target's text go (also ...1.100.1: a string
  // prefix, as upstream); allowed indexes are added, ANDed per target.
  EXPECT_EQ(f.get, (std::vector<std::string>{
                       "1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.2.2.1.4.1",
                       "1.3.6.1.2.1.2.2.1.4.3", "1.3.6.1.2.1.2.2.1.10.1"}));
}

TEST(PlanTest, NoFilterMatchesMeansNothingFetched) {
  Config c = Parse(R"(modules:
  m:
    walk: [1.3.6.1.2.1.2.2.1.4]
    filters:
    - oid: 1.3.6.1.2.1.2.2.1.7
      targets: [1.3.6.1.2.1.2.2.1.4]
      values: ["^1$"]
)");
  ModuleFetch f = ApplyDynamicFilters(
      c.modules.at("m"),
      {std::vector<Varbind>{Int("1.3.6.1.2.1.2.2.1.7.1", 2)}});
  EXPECT_TRUE(f.walk.empty());
  EXPECT_TRUE(f.get.empty());
}

}  // namespace
}  // namespace exporterd::snmp
