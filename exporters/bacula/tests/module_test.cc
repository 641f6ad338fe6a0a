// Config binding and Collect() of the module, linked directly (no dlopen).
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <filesystem>
#include <sstream>

#include "bacula_module.h"
#include "test_catalog.h"

namespace bacula {
namespace {

using exporterd::CollectRequest;
using exporterd::CollectResult;
using exporterd::ConfigErrors;
using exporterd::ModuleEnv;
using testing::FixturePath;
using testing::TempDir;

class CaptureLogger : public exporterd::Logger {
 public:
  void Log(exporterd::LogLevel, std::string_view msg,
           const exporterd::LogFields&) noexcept override {
    lines.emplace_back(msg);
  }
  std::vector<std::string> lines;
};

struct Loaded {
  std::unique_ptr<exporterd::Module> module;
  ConfigErrors errors;
  CaptureLogger logger;
  BaculaModule* get() { return static_cast<BaculaModule*>(module.get()); }
};

std::unique_ptr<Loaded> Load(const std::string& yaml, bool embedded = false) {
  auto l = std::make_unique<Loaded>();
  YAML::Node root = YAML::Load(yaml);
  YAML::Node body = root["modules"]["bacula"];
  ModuleEnv env;
  env.name = "bacula";
  env.config = body.IsDefined() && !body.IsNull() ? &body : nullptr;
  env.config_file = "exporterd.yml";
  env.key_path = "modules.bacula";
  env.embedded_default = embedded;
  env.logger = &l->logger;
  l->module = BaculaModule::Create(env, l->errors);
  return l;
}

CollectResult CollectWithin(exporterd::Module* m, std::chrono::milliseconds d) {
  CollectRequest req;
  req.deadline = exporterd::Clock::now() + d;
  return m->Collect(req);
}

std::string Serialize(const std::vector<prometheus::MetricFamily>& f) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, f);
  return out.str();
}

TEST(BaculaConfigTest, SqliteDefaults) {
  auto l = Load(
      "modules:\n  bacula:\n    catalog: {sqlite: "
      "/var/lib/bacula/bacula.db}\n");
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  const Config& c = l->get()->config();
  EXPECT_EQ(c.backend, "sqlite");
  EXPECT_EQ(c.target, "/var/lib/bacula/bacula.db");
  EXPECT_EQ(c.lookback, std::chrono::hours(24 * 31));
  EXPECT_TRUE(l->module->HasCollect());
}

TEST(BaculaConfigTest, PostgresqlLookbackJobs) {
  auto l = Load(
      "modules:\n  bacula:\n"
      "    catalog:\n      postgresql: host=db dbname=bacula user=ro\n"
      "    lookback: 7d\n"
      "    jobs: {include: ['Backup.*'], exclude: ['.*Test']}\n");
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  const Config& c = l->get()->config();
  EXPECT_EQ(c.backend, "postgresql");
  EXPECT_EQ(c.lookback, std::chrono::hours(24 * 7));
  EXPECT_EQ(c.include, std::vector<std::string>{"Backup.*"});
  EXPECT_EQ(c.exclude, std::vector<std::string>{".*Test"});
  EXPECT_NE(l->module->Debug().find("dbname=bacula"), std::string::npos);
}

TEST(BaculaConfigTest, MysqlNotSupportedYet) {
  auto l = Load(
      "modules:\n  bacula:\n    catalog:\n      mysql: {host: db, user: ro}\n");
  ASSERT_FALSE(l->errors.empty());
  EXPECT_NE(l->errors.ToString().find("exporterd.yml:4: "
                                      "modules.bacula.catalog.mysql: "
                                      "MySQL/MariaDB catalogs are not "
                                      "supported yet"),
            std::string::npos)
      << l->errors.ToString();
}

TEST(BaculaConfigTest, Errors) {
  struct Case {
    const char* yaml;
    const char* want;
  } cases[] = {
      {"modules:\n  bacula: {lookback: 1d}\n", "catalog is required"},
      {"modules:\n  bacula: {catalog: {sqlite: rel.db}}\n",
       "modules.bacula.catalog.sqlite: must be the absolute path"},
      {"modules:\n  bacula: {catalog: {}}\n", "needs one of sqlite"},
      {"modules:\n  bacula: {catalog: {sqlite: /a, postgresql: x}}\n",
       "set only one of"},
      {"modules:\n  bacula: {catalog: {sqlite: /a}, lookback: 3x}\n",
       "modules.bacula.lookback"},
      {"modules:\n  bacula: {catalog: {sqlite: /a}, jobs: {include: ['(']}}\n",
       "modules.bacula.jobs.include: invalid regular expression"},
      {"modules:\n  bacula: {catalog: {sqlite: /a}, bogus: 1}\n",
       "modules.bacula.bogus"},
      {"modules:\n  bacula: {catalog: {sqlite: /a, user: x}}\n",
       "modules.bacula.catalog.user"},
  };
  for (const Case& c : cases) {
    auto l = Load(c.yaml);
    EXPECT_NE(l->errors.ToString().find(c.want), std::string::npos)
        << c.yaml << " -> " << l->errors.ToString();
  }
}

TEST(BaculaConfigTest, EmbeddedDefaultIsIdle) {
  auto l = Load("modules:\n  bacula:\n", /*embedded=*/true);
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  EXPECT_FALSE(l->module->HasCollect());
  ASSERT_EQ(l->logger.lines.size(), 1u);
  EXPECT_EQ(l->logger.lines[0], "no Bacula catalog configured, bacula is idle");
}

class BaculaCollectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::FileExists(testing::SqliteSchemaPath()))
      GTEST_SKIP() << "no " << testing::SqliteSchemaPath();
    db_ = dir_.path() + "/bacula.db";
    ASSERT_EQ(
        testing::BuildSqliteCatalog(db_, {testing::SqliteSchemaPath(),
                                          FixturePath("fixtures/rows.sql")}),
        "");
  }
  TempDir dir_;
  std::string db_;
};

TEST_F(BaculaCollectTest, CollectsTheGoldenExposition) {
  auto l = Load("modules:\n  bacula:\n    catalog: {sqlite: " + db_ + "}\n");
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  l->get()->SetClockForTest([] { return int64_t{1700000000}; });
  CollectResult r = CollectWithin(l->module.get(), std::chrono::seconds(10));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(Serialize(r.families),
            testing::ReadFileOrDie(FixturePath("golden/fixture.prom")));
  EXPECT_NE(l->module->Debug().find("jobs=7"), std::string::npos)
      << l->module->Debug();
}

TEST_F(BaculaCollectTest, IncludeExclude) {
  auto l = Load("modules:\n  bacula:\n    catalog: {sqlite: " + db_ +
                "}\n    jobs: {include: ['.*Backup'], exclude: ['Db.*']}\n");
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  CollectResult r = CollectWithin(l->module.get(), std::chrono::seconds(10));
  ASSERT_TRUE(r.ok) << r.error;
  const std::string text = Serialize(r.families);
  EXPECT_NE(text.find("job_name=\"WebBackup\""), std::string::npos);
  EXPECT_NE(text.find("job_name=\"CatalogBackup\""), std::string::npos);
  EXPECT_EQ(text.find("job_name=\"DbBackup\""), std::string::npos);
  EXPECT_EQ(text.find("job_name=\"RestoreFiles\""), std::string::npos);
}

TEST_F(BaculaCollectTest, RemovedCatalogIsAnError) {
  auto l = Load("modules:\n  bacula:\n    catalog: {sqlite: " + db_ + "}\n");
  ASSERT_TRUE(CollectWithin(l->module.get(), std::chrono::seconds(5)).ok);
  std::filesystem::remove(db_);
  const auto t0 = exporterd::Clock::now();
  CollectResult r = CollectWithin(l->module.get(), std::chrono::seconds(2));
  EXPECT_LT(exporterd::Clock::now() - t0, std::chrono::seconds(2));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("cannot open SQLite catalog"), std::string::npos)
      << r.error;
  EXPECT_TRUE(r.families.empty());
}

}  // namespace
}  // namespace bacula
