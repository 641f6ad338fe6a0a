// Config binding and Collect() of the module, linked directly (no dlopen).
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <filesystem>
#include <fstream>
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
using testing::MariaServer;
using testing::TempDir;

using exporterd::testing::PromtoolCheckMetrics;
using exporterd::testing::Serialize;

auto Load(const std::string& yaml, bool embedded = false) {
  return exporterd::testing::Load<BaculaModule>("bacula", yaml, embedded);
}

CollectResult CollectWithin(exporterd::testing::LoadedModule<BaculaModule>* l,
                            std::chrono::milliseconds d) {
  return l->Collect(d);
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

TEST(BaculaConfigTest, MysqlDefaults) {
  auto l = Load("modules:\n  bacula:\n    catalog:\n      mysql: {}\n");
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  const Config& c = l->get()->config();
  EXPECT_EQ(c.backend, "mysql");
  EXPECT_EQ(c.mysql.host, "localhost");
  EXPECT_EQ(c.mysql.port, 3306);
  EXPECT_EQ(c.mysql.socket, "");
  EXPECT_EQ(c.mysql.user, "bacula");
  EXPECT_EQ(c.mysql.password, "");
  EXPECT_EQ(c.mysql.database, "bacula");
  EXPECT_TRUE(l->module->HasCollect());
  EXPECT_NE(l->module->Debug().find(
                "catalog: mysql:host=localhost port=3306 database=bacula "
                "user=bacula\n"),
            std::string::npos)
      << l->module->Debug();
}

TEST(BaculaConfigTest, MysqlAllKeysAndPasswordFile) {
  TempDir dir;
  const std::string pw = dir.path() + "/bacula.pw";
  std::ofstream(pw) << "s3cret pass\r\nsecond line ignored\n";
  auto l = Load(
      "modules:\n  bacula:\n    catalog:\n      mysql:\n"
      "        host: db.example.org\n        port: 3307\n"
      "        user: exporter\n        password_file: " +
      pw + "\n        database: bacula_cat\n");
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  const Config& c = l->get()->config();
  EXPECT_EQ(c.mysql.host, "db.example.org");
  EXPECT_EQ(c.mysql.port, 3307);
  EXPECT_EQ(c.mysql.user, "exporter");
  EXPECT_EQ(c.mysql.password, "s3cret pass");
  EXPECT_EQ(c.mysql.database, "bacula_cat");
  EXPECT_EQ(c.password_file, pw);
  const std::string debug = l->module->Debug();
  EXPECT_NE(debug.find("mysql:host=db.example.org port=3307 "
                       "database=bacula_cat user=exporter"),
            std::string::npos)
      << debug;
  EXPECT_EQ(debug.find("s3cret"), std::string::npos) << debug;
  EXPECT_EQ(c.target.find("s3cret"), std::string::npos) << c.target;
  for (const std::string& line : l->logger.lines)
    EXPECT_EQ(line.find("s3cret"), std::string::npos) << line;
}

TEST(BaculaConfigTest, MysqlSocket) {
  auto l = Load(
      "modules:\n  bacula:\n    catalog:\n"
      "      mysql: {socket: /run/mysqld/mysqld.sock, user: ro}\n");
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  EXPECT_EQ(l->get()->config().mysql.socket, "/run/mysqld/mysqld.sock");
  EXPECT_NE(l->module->Debug().find("mysql:socket=/run/mysqld/mysqld.sock "
                                    "database=bacula user=ro"),
            std::string::npos)
      << l->module->Debug();
}

TEST(BaculaConfigTest, MysqlErrors) {
  TempDir dir;
  const std::string empty = dir.path() + "/empty.pw";
  std::ofstream(empty) << "";
  const std::string blank = dir.path() + "/blank.pw";
  std::ofstream(blank) << "\nsecond\n";
  struct Case {
    std::string yaml;
    std::string want;
  } cases[] = {
      {"modules:\n  bacula:\n    catalog:\n      mysql:\n"
       "        user: ro\n        password_file: /nonexistent/pw\n",
       "exporterd.yml:6: modules.bacula.catalog.mysql.password_file: "
       "/nonexistent/pw cannot be read: No such file or directory"},
      {"modules:\n  bacula:\n    catalog:\n      mysql:\n"
       "        password_file: " +
           dir.path() + "\n",
       "exporterd.yml:5: modules.bacula.catalog.mysql.password_file: " +
           dir.path() + " cannot be read"},
      {"modules:\n  bacula: {catalog: {mysql: {password_file: " + empty +
           "}}}\n",
       "modules.bacula.catalog.mysql.password_file: " + empty + " is empty"},
      {"modules:\n  bacula: {catalog: {mysql: {password_file: " + blank +
           "}}}\n",
       "modules.bacula.catalog.mysql.password_file: " + blank +
           " has an empty first line"},
      {"modules:\n  bacula: {catalog: {mysql: {password_file: rel.pw}}}\n",
       "modules.bacula.catalog.mysql.password_file: must be an absolute path"},
      {"modules:\n  bacula:\n    catalog:\n      mysql: {hots: db}\n",
       "exporterd.yml:4: modules.bacula.catalog.mysql.hots: unknown key"},
      {"modules:\n  bacula: {catalog: {mysql: {port: 70000}}}\n",
       "modules.bacula.catalog.mysql.port"},
      {"modules:\n  bacula: {catalog: {mysql: {host: '', user: ''}}}\n",
       "modules.bacula.catalog.mysql.host: must not be empty"},
      {"modules:\n  bacula: {catalog: {mysql: {user: ''}}}\n",
       "modules.bacula.catalog.mysql.user: must not be empty"},
      {"modules:\n  bacula: {catalog: {mysql: {database: ''}}}\n",
       "modules.bacula.catalog.mysql.database: must not be empty"},
      {"modules:\n  bacula: {catalog: {mysql: {socket: /s, host: db}}}\n",
       "modules.bacula.catalog.mysql.socket: set either socket or host/port"},
      {"modules:\n  bacula: {catalog: {mysql: {socket: run/s}}}\n",
       "modules.bacula.catalog.mysql.socket: must be the absolute path"},
      {"modules:\n  bacula: {catalog: {mysql: 'host=db'}}\n",
       "modules.bacula.catalog.mysql: expected a mapping"},
      {"modules:\n  bacula: {catalog: {sqlite: /a, mysql: {}}}\n",
       "set only one of sqlite, postgresql, mysql"},
  };
  for (const Case& c : cases) {
    auto l = Load(c.yaml);
    EXPECT_NE(l->errors.ToString().find(c.want), std::string::npos)
        << c.yaml << " -> " << l->errors.ToString();
    EXPECT_FALSE(l->ok()) << c.yaml;  // refused: no instance
  }
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
  CollectResult r = CollectWithin(l.get(), std::chrono::seconds(10));
  ASSERT_TRUE(r.ok) << r.error;
  exporterd::testing::ExpectGolden(FixturePath("golden/fixture.prom"),
                                   Serialize(r.families));
  EXPECT_NE(l->module->Debug().find("jobs=7"), std::string::npos)
      << l->module->Debug();
}

TEST_F(BaculaCollectTest, IncludeExclude) {
  auto l = Load("modules:\n  bacula:\n    catalog: {sqlite: " + db_ +
                "}\n    jobs: {include: ['.*Backup'], exclude: ['Db.*']}\n");
  ASSERT_TRUE(l->errors.empty()) << l->errors.ToString();
  CollectResult r = CollectWithin(l.get(), std::chrono::seconds(10));
  ASSERT_TRUE(r.ok) << r.error;
  const std::string text = Serialize(r.families);
  EXPECT_NE(text.find("job_name=\"WebBackup\""), std::string::npos);
  EXPECT_NE(text.find("job_name=\"CatalogBackup\""), std::string::npos);
  EXPECT_EQ(text.find("job_name=\"DbBackup\""), std::string::npos);
  EXPECT_EQ(text.find("job_name=\"RestoreFiles\""), std::string::npos);
}

TEST_F(BaculaCollectTest, RemovedCatalogIsAnError) {
  auto l = Load("modules:\n  bacula:\n    catalog: {sqlite: " + db_ + "}\n");
  ASSERT_TRUE(CollectWithin(l.get(), std::chrono::seconds(5)).ok);
  std::filesystem::remove(db_);
  const auto t0 = exporterd::Clock::now();
  CollectResult r = CollectWithin(l.get(), std::chrono::seconds(2));
  EXPECT_LT(exporterd::Clock::now() - t0, std::chrono::seconds(2));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("cannot open SQLite catalog"), std::string::npos)
      << r.error;
  EXPECT_TRUE(r.families.empty());
}

// The module on a MariaDB catalog read by a SELECT-only user with a
// password_file; then the server goes away (stopped, or hung): the scrape
// fails by its deadline with the reason.
class BaculaMysqlCollectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!MariaServer::Installed())
      GTEST_SKIP() << "mariadbd is not installed (mariadb-server)";
    ASSERT_TRUE(testing::FileExists(testing::MysqlSchemaPath()))
        << testing::MysqlSchemaPath();
    ASSERT_EQ(server_.Start(), "");
    ASSERT_EQ(
        server_.CreateDatabase("bacula", {testing::MysqlSchemaPath(),
                                          FixturePath("fixtures/rows.sql")}),
        "");
    ASSERT_EQ(server_.CreateReadOnlyUser("exporter", "pw-9f2c", "bacula"), "");
    std::ofstream(dir_.path() + "/pw") << "pw-9f2c\n";
    l_ = Load(
        "modules:\n  bacula:\n    catalog:\n      mysql:\n"
        "        host: 127.0.0.1\n        port: " +
        std::to_string(server_.port()) +
        "\n        user: exporter\n        password_file: " + dir_.path() +
        "/pw\n");
    ASSERT_TRUE(l_->errors.empty()) << l_->errors.ToString();
    l_->get()->SetClockForTest([] { return int64_t{1700000000}; });
  }
  MariaServer server_;
  TempDir dir_;
  std::unique_ptr<exporterd::testing::LoadedModule<BaculaModule>> l_;
};

TEST_F(BaculaMysqlCollectTest, GoldenThenServerStopped) {
  CollectResult r = CollectWithin(l_.get(), std::chrono::seconds(10));
  ASSERT_TRUE(r.ok) << r.error;
  exporterd::testing::ExpectGolden(FixturePath("golden/fixture.prom"),
                                   Serialize(r.families));
  server_.Stop();
  const auto t0 = exporterd::Clock::now();
  r = CollectWithin(l_.get(), std::chrono::seconds(2));
  EXPECT_LT(exporterd::Clock::now() - t0, std::chrono::seconds(2));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("mysql connect (mysql:host=127.0.0.1 port="),
            std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("Can't connect"), std::string::npos) << r.error;
  EXPECT_TRUE(r.families.empty());
  EXPECT_NE(l_->module->Debug().find("error: mysql connect"), std::string::npos)
      << l_->module->Debug();
}

TEST_F(BaculaMysqlCollectTest, HungServerAnswersWithinDeadline) {
  ASSERT_TRUE(CollectWithin(l_.get(), std::chrono::seconds(10)).ok);
  server_.Pause();
  const auto t0 = exporterd::Clock::now();
  CollectResult r = CollectWithin(l_.get(), std::chrono::milliseconds(2500));
  EXPECT_LT(exporterd::Clock::now() - t0, std::chrono::milliseconds(2500));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("client timeout"), std::string::npos) << r.error;
  server_.Resume();
}

}  // namespace
}  // namespace bacula
