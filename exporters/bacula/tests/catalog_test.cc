// The SQL layer against catalogs built from the Debian packages' schema
// files: SQLite in-process, PostgreSQL and MariaDB started on loopback. All
// must render the same exposition (tests/golden/fixture.prom).
#include "catalog.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include "catalog_reader.h"
#include "fuzz/catalog_answers.h"
#include "metrics.h"
#include "test_catalog.h"

namespace bacula {
namespace {

using exporterd::testing::ReadFile;
using testing::FileExists;
using testing::FixturePath;
using testing::MariaServer;
using testing::PgServer;
using testing::TempDir;

constexpr int64_t kNow = 1700000000;

Deadline In(std::chrono::milliseconds d) {
  return std::chrono::steady_clock::now() + d;
}

using exporterd::testing::Serialize;

// Scrapes `catalog` at kNow with a 31d lookback; fails the test on error.
std::string ScrapeText(Catalog& catalog) {
  std::string error;
  auto session = catalog.Open(In(std::chrono::seconds(10)), nullptr, &error);
  EXPECT_NE(session, nullptr) << error;
  if (!session) return {};
  ReadOptions opts;
  opts.now = kNow;
  opts.lookback_seconds = 31 * 86400;
  Snapshot snap;
  EXPECT_TRUE(ReadSnapshot(*session, opts, &snap, &error)) << error;
  return Serialize(BuildFamilies(snap));
}

void ExpectGolden(const std::string& got) {
  exporterd::testing::ExpectGolden(FixturePath("golden/fixture.prom"), got);
  EXPECT_EQ(exporterd::testing::PromtoolCheckMetrics(got), "");
}

// Checks run on every backend.
void CheckLookbackAndFilter(Catalog& catalog) {
  std::string error;
  auto s = catalog.Open(In(std::chrono::seconds(5)), nullptr, &error);
  ASSERT_NE(s, nullptr) << error;
  ReadOptions opts;
  opts.now = kNow;
  opts.lookback_seconds = 86400;  // only jobs after 2023-11-13 22:13:20
  opts.keep_job = [](const std::string& n) { return n == "WebBackup"; };
  Snapshot snap;
  ASSERT_TRUE(ReadSnapshot(*s, opts, &snap, &error)) << error;
  ASSERT_EQ(snap.last.size(), 1u);
  EXPECT_EQ(snap.last[0].job_id, 4);
  EXPECT_EQ(snap.last[0].status, 'E');
  ASSERT_EQ(snap.runs.size(), 1u);
  EXPECT_EQ(snap.runs.begin()->second,
            (std::map<std::string, int64_t>{{"error", 1}}));
  EXPECT_EQ(snap.running, 1);
  EXPECT_EQ(snap.waiting.at("media"), 0);  // DbBackup filtered out
}

// The incremental reader must match a full read after jobs are added,
// finish, and are deleted. `exec` runs writing SQL (';'-separated) on the
// catalog behind `catalog`.
void CheckIncrementalMatchesFullRead(
    Catalog& catalog, const std::function<void(const std::string&)>& exec) {
  ReadOptions opts;
  opts.now = kNow;
  opts.lookback_seconds = 31 * 86400;
  CatalogReader reader;
  auto read = [&](CatalogReader& r) {
    std::string error;
    auto s = catalog.Open(In(std::chrono::seconds(5)), nullptr, &error);
    EXPECT_NE(s, nullptr) << error;
    if (!s) return std::string();
    Snapshot snap;
    EXPECT_TRUE(r.Read(*s, opts, &snap, &error)) << error;
    return Serialize(BuildFamilies(snap));
  };
  auto fresh = [&] {
    CatalogReader r;
    return read(r);
  };
  EXPECT_EQ(read(reader), fresh());
  EXPECT_EQ(reader.last_mode(), "full");
  // The running WebBackup (13) finishes OK; a new DbBackup full succeeds.
  exec(
      "UPDATE Job SET JobStatus = 'T', EndTime = '2023-11-14 22:05:00', "
      "RealEndTime = '2023-11-14 22:05:00', JobTDate = 1699999500, "
      "JobBytes = 777 WHERE JobId = 13;"
      "INSERT INTO Job (JobId, Job, Name, Type, Level, ClientId, JobStatus, "
      "SchedTime, StartTime, EndTime, RealEndTime, JobTDate, JobFiles, "
      "JobBytes) VALUES (17, 'DbBackup.17', 'DbBackup', 'B', 'F', 2, 'T', "
      "'2023-11-14 22:06:00', '2023-11-14 22:06:00', '2023-11-14 22:07:00', "
      "'2023-11-14 22:07:00', 1699999620, 9, 99);"
      // Two VerifyWeb runs start (one group of two running jobs).
      "INSERT INTO Job (JobId, Job, Name, Type, Level, ClientId, JobStatus, "
      "SchedTime, StartTime, JobTDate) VALUES (18, 'VerifyWeb.18', "
      "'VerifyWeb', 'V', 'C', 1, 'R', '2023-11-14 22:08:00', "
      "'2023-11-14 22:08:00', 1699999680), (19, 'VerifyWeb.19', 'VerifyWeb', "
      "'V', 'C', 1, 'R', '2023-11-14 22:09:00', '2023-11-14 22:09:00', "
      "1699999740);");
  const std::string after = read(reader);
  EXPECT_EQ(reader.last_mode(), "delta from JobId 13");
  EXPECT_EQ(after, fresh());
  EXPECT_NE(after.find("bacula_job_last_bytes{job_name=\"WebBackup\","
                       "client=\"web-fd\"} 777"),
            std::string::npos);
  EXPECT_NE(after.find("\nbacula_jobs_running 2\n"), std::string::npos);
  EXPECT_NE(after.find("bacula_job_runs{job_name=\"WebBackup\","
                       "client=\"web-fd\",result=\"ok\"} 3"),
            std::string::npos);
  // The newest DbBackup is deleted: that read notices, the next is full.
  exec("DELETE FROM Job WHERE JobId = 17;");
  read(reader);
  const std::string healed = read(reader);
  EXPECT_EQ(reader.last_mode(), "full");
  EXPECT_EQ(healed, fresh());
  // An older WebBackup run in the lookback is pruned (not a remembered
  // newest job): the run counts drop on the next (delta) read.
  exec("DELETE FROM Job WHERE JobId = 2;");
  const std::string pruned = read(reader);
  EXPECT_EQ(reader.last_mode().rfind("delta", 0), 0u) << reader.last_mode();
  EXPECT_EQ(pruned, fresh());
  EXPECT_NE(pruned.find("bacula_job_runs{job_name=\"WebBackup\","
                        "client=\"web-fd\",result=\"ok\"} 2"),
            std::string::npos);
  // The window slides forward: WebBackup's E run (JobTDate 1699923630) is
  // the oldest job in it, then one second later out of it.
  opts.lookback_seconds = kNow - 1699923630;
  const std::string edge = read(reader);
  EXPECT_EQ(edge, fresh());
  EXPECT_NE(edge.find("bacula_job_runs{job_name=\"WebBackup\","
                      "client=\"web-fd\",result=\"error\"} 1"),
            std::string::npos);
  opts.now = kNow + 1;
  const std::string slid = read(reader);
  EXPECT_EQ(reader.last_mode().rfind("delta", 0), 0u) << reader.last_mode();
  EXPECT_EQ(slid, fresh());
  EXPECT_NE(slid.find("bacula_job_runs{job_name=\"WebBackup\","
                      "client=\"web-fd\",result=\"error\"} 0"),
            std::string::npos);
}

class SqliteCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FileExists(testing::SqliteSchemaPath()))
      GTEST_SKIP() << "no " << testing::SqliteSchemaPath()
                   << " (install bacula-director-sqlite3)";
    db_ = dir_.path() + "/bacula.db";
    ASSERT_EQ(
        testing::BuildSqliteCatalog(db_, {testing::SqliteSchemaPath(),
                                          FixturePath("fixtures/rows.sql")}),
        "");
  }
  TempDir dir_;
  std::string db_;
};

TEST_F(SqliteCatalogTest, MatchesGolden) {
  auto catalog = NewSqliteCatalog(db_);
  ExpectGolden(ScrapeText(*catalog));
}

// Keeps what a session answered, in the catalog fuzz target's terms.
class RecordingSession : public CatalogSession {
 public:
  explicit RecordingSession(CatalogSession& inner) : inner_(inner) {}
  bool Query(const std::string& sql, std::vector<Row>* rows,
             std::string* error) override {
    if (!inner_.Query(sql, rows, error)) return false;
    answers.push_back(*rows);
    return true;
  }
  fuzz::Answers answers;

 private:
  CatalogSession& inner_;
};

// The catalog fuzz target's seed is what the fixture catalog answers to the
// target's two reads (fuzz/catalog_fuzz.cc: the same time, lookback and
// reader: a full read, then a delta one a minute later); replayed through
// the target's session, those answers give the golden exposition.
TEST_F(SqliteCatalogTest, FuzzSeedIsTheFixtureCatalogsAnswers) {
  auto catalog = NewSqliteCatalog(db_);
  std::string error;
  auto s = catalog->Open(In(std::chrono::seconds(10)), nullptr, &error);
  ASSERT_NE(s, nullptr) << error;
  RecordingSession recorder(*s);
  CatalogReader reader(600);
  ReadOptions opts;
  opts.now = kNow;
  opts.lookback_seconds = 31 * 86400;
  Snapshot snap;
  ASSERT_TRUE(reader.Read(recorder, opts, &snap, &error)) << error;
  const std::string full = Serialize(BuildFamilies(snap));
  opts.now += 60;
  ASSERT_TRUE(reader.Read(recorder, opts, &snap, &error)) << error;
  EXPECT_EQ(reader.last_mode().rfind("delta", 0), 0u) << reader.last_mode();

  const std::string text = fuzz::EncodeAnswers(recorder.answers);
  EXPECT_EQ(fuzz::DecodeAnswers(text), recorder.answers);
  exporterd::testing::ExpectGolden(
      FixturePath("../fuzz/seeds/fixture_catalog.txt"), text);

  fuzz::AnswerSession replay(fuzz::DecodeAnswers(text));
  CatalogReader replayed(600);
  opts.now = kNow;
  Snapshot again;
  ASSERT_TRUE(replayed.Read(replay, opts, &again, &error)) << error;
  EXPECT_EQ(Serialize(BuildFamilies(again)), full);
  ExpectGolden(full);
}

// Counts and bytes a damaged catalog makes too large to add up stay at the
// int64 limit instead of overflowing; a newest JobId of 2^63-1 still lets
// the next read be a delta one.
TEST(CatalogReaderTest, HugeNumbersSaturate) {
  const std::string big = "9000000000000000000";
  const std::string max_id = "9223372036854775807";
  const fuzz::Answers answers = {
      {},  // clients
      {{"J", "1", "B", max_id, std::nullopt, std::nullopt, std::nullopt}},
      {{max_id, "F", "T", "1699999999", "1", big, "0", "0", std::nullopt,
        std::nullopt, std::nullopt}},  // last jobs
      {{"J", "1", "B", "T", "0", big, "1"},
       {"J", "1", "B", "T", "0", big, "2"}},                 // window
      {{"P", "Full", "1", big}, {"P", "Append", "1", big}},  // pools
      {},                                                    // 2: clients
      {},                                                    // groups
      {{max_id, "F", "T", "1699999999", "1", big, "0", "0", std::nullopt,
        std::nullopt, std::nullopt}},
      {},
      {}};
  fuzz::AnswerSession session(answers);
  CatalogReader reader(600);
  ReadOptions opts;
  opts.now = kNow;
  opts.lookback_seconds = 86400;
  Snapshot snap;
  std::string error;
  ASSERT_TRUE(reader.Read(session, opts, &snap, &error)) << error;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(snap.pool_bytes.at("P"), kMax);
  EXPECT_EQ(snap.runs.at(JobKey{"J", "", 'B'}).at("ok"), kMax);
  opts.now += 60;
  ASSERT_TRUE(reader.Read(session, opts, &snap, &error)) << error;
  EXPECT_EQ(reader.last_mode(), "delta from JobId " + max_id);
}

// Values with the format's special characters survive a round trip.
TEST(CatalogAnswersTest, RoundTrip) {
  const fuzz::Answers answers = {
      {{std::string("a\tb"), std::nullopt, std::string("\\N")},
       {std::string("line\nnext\\"), std::string("tab\there")},
       {std::string("")},
       {std::string("\\.")}},
      {},
      {{std::nullopt}}};
  const std::string text = fuzz::EncodeAnswers(answers);
  EXPECT_EQ(fuzz::DecodeAnswers(text), answers) << text;
}

TEST_F(SqliteCatalogTest, OpensReadOnly) {
  auto catalog = NewSqliteCatalog(db_);
  std::string error;
  auto s = catalog->Open(In(std::chrono::seconds(5)), nullptr, &error);
  ASSERT_NE(s, nullptr) << error;
  std::vector<Row> rows;
  EXPECT_FALSE(s->Query("DELETE FROM Job", &rows, &error));
  EXPECT_NE(error.find("readonly"), std::string::npos) << error;
  ASSERT_TRUE(s->Query("SELECT COUNT(*) FROM Job", &rows, &error)) << error;
  EXPECT_EQ(rows.at(0).at(0).value_or(""), "16");
}

TEST_F(SqliteCatalogTest, MissingFileFailsFast) {
  auto catalog = NewSqliteCatalog(dir_.path() + "/gone.db");
  std::string error;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(catalog->Open(In(std::chrono::seconds(5)), nullptr, &error),
            nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  EXPECT_NE(error.find("gone.db"), std::string::npos) << error;
}

TEST_F(SqliteCatalogTest, DeadlineInterruptsLongQuery) {
  auto catalog = NewSqliteCatalog(db_);
  std::string error;
  auto s = catalog->Open(In(std::chrono::milliseconds(200)), nullptr, &error);
  ASSERT_NE(s, nullptr) << error;
  std::vector<Row> rows;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(s->Query(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
      "SELECT COUNT(*) FROM c",
      &rows, &error));
  EXPECT_LT(std::chrono::steady_clock::now() - t0,
            std::chrono::milliseconds(700));
  EXPECT_NE(error.find("deadline"), std::string::npos) << error;
}

TEST_F(SqliteCatalogTest, CancelledInterrupts) {
  auto catalog = NewSqliteCatalog(db_);
  std::atomic<bool> cancelled{true};
  std::string error;
  auto s = catalog->Open(In(std::chrono::seconds(5)), &cancelled, &error);
  ASSERT_NE(s, nullptr) << error;
  std::vector<Row> rows;
  EXPECT_FALSE(s->Query("SELECT 1", &rows, &error));
}

TEST_F(SqliteCatalogTest, LookbackAndFilter) {
  auto catalog = NewSqliteCatalog(db_);
  CheckLookbackAndFilter(*catalog);
}

TEST(PostgresCatalogTest, UnreachableFailsWithinDeadline) {
  // A port nobody listens on, and an address that drops packets.
  for (const char* conninfo :
       {"host=127.0.0.1 port=1 dbname=bacula connect_timeout=30",
        "host=10.255.255.1 port=5432 dbname=bacula connect_timeout=30"}) {
    auto catalog = NewPostgresCatalog(conninfo);
    std::string error;
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(
        catalog->Open(In(std::chrono::milliseconds(500)), nullptr, &error),
        nullptr);
    EXPECT_LT(std::chrono::steady_clock::now() - t0,
              std::chrono::milliseconds(1200))
        << conninfo;
    EXPECT_FALSE(error.empty());
  }
}

TEST(PostgresCatalogTest, DescribeHidesPassword) {
  auto c = NewPostgresCatalog(
      "host=db port=5433 dbname=bacula user=ro "
      "password=s3cret");
  const std::string d = c->Describe();
  EXPECT_EQ(d.find("s3cret"), std::string::npos) << d;
  EXPECT_NE(d.find("dbname=bacula"), std::string::npos) << d;
  EXPECT_NE(d.find("host=db"), std::string::npos) << d;
}

class PostgresServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!FileExists(testing::PgsqlSchemaPath())) {
      skip_ = "no " + testing::PgsqlSchemaPath() +
              " (unpack bacula-director-pgsql or set BACULA_PGSQL_SCHEMA)";
      return;
    }
    server_ = new PgServer();
    std::string e = server_->Start();
    if (e.empty())
      e = server_->CreateDatabase("bacula", {testing::PgsqlSchemaPath(),
                                             FixturePath("fixtures/rows.sql")});
    start_error_ = e;
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_EQ(start_error_, "");
  }
  static inline PgServer* server_ = nullptr;
  static inline std::string skip_;
  static inline std::string start_error_;
};

TEST_F(PostgresServerTest, MatchesGolden) {
  auto catalog = NewPostgresCatalog(server_->Conninfo("bacula"));
  ExpectGolden(ScrapeText(*catalog));
}

TEST_F(PostgresServerTest, IncrementalMatchesFullRead) {
  // A database of its own: the other tests keep the fixture rows.
  ASSERT_EQ(
      server_->CreateDatabase("bacula_inc", {testing::PgsqlSchemaPath(),
                                             FixturePath("fixtures/rows.sql")}),
      "");
  const std::string conninfo = server_->Conninfo("bacula_inc");
  auto catalog = NewPostgresCatalog(conninfo);
  CheckIncrementalMatchesFullRead(*catalog, [&](const std::string& sql) {
    PGconn* c = PQconnectdb(conninfo.c_str());
    ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
    PGresult* r = PQexec(c, sql.c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(c);
    PQclear(r);
    PQfinish(c);
  });
}

TEST_F(PostgresServerTest, SessionIsReadOnly) {
  auto catalog = NewPostgresCatalog(server_->Conninfo("bacula"));
  std::string error;
  auto s = catalog->Open(In(std::chrono::seconds(5)), nullptr, &error);
  ASSERT_NE(s, nullptr) << error;
  std::vector<Row> rows;
  EXPECT_FALSE(s->Query("DELETE FROM Job RETURNING JobId", &rows, &error));
  EXPECT_NE(error.find("read-only"), std::string::npos) << error;
}

TEST_F(PostgresServerTest, StatementTimeoutFromDeadline) {
  auto catalog = NewPostgresCatalog(server_->Conninfo("bacula"));
  std::string error;
  auto s = catalog->Open(In(std::chrono::milliseconds(800)), nullptr, &error);
  ASSERT_NE(s, nullptr) << error;
  std::vector<Row> rows;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(s->Query("SELECT pg_sleep(10)", &rows, &error));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_NE(error.find("statement timeout"), std::string::npos) << error;
}

TEST_F(PostgresServerTest, WrongDatabaseIsAnError) {
  auto catalog = NewPostgresCatalog(server_->Conninfo("nosuchdb"));
  std::string error;
  EXPECT_EQ(catalog->Open(In(std::chrono::seconds(5)), nullptr, &error),
            nullptr);
  EXPECT_NE(error.find("nosuchdb"), std::string::npos) << error;
}

TEST(MysqlCatalogTest, UnreachableFailsWithinDeadline) {
  // Refused, a missing socket, and an address that drops packets. The
  // client's timeouts are whole seconds rounded down: 1 s of a 1.5 s budget.
  MysqlOptions refused;
  refused.host = "127.0.0.1";
  refused.port = 1;
  MysqlOptions no_socket;
  no_socket.socket = "/nonexistent/mysqld.sock";
  MysqlOptions dropped;
  dropped.host = "10.255.255.1";
  for (const MysqlOptions& o : {refused, no_socket, dropped}) {
    auto catalog = NewMysqlCatalog(o);
    std::string error;
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(
        catalog->Open(In(std::chrono::milliseconds(1500)), nullptr, &error),
        nullptr);
    EXPECT_LT(std::chrono::steady_clock::now() - t0,
              std::chrono::milliseconds(1500))
        << catalog->Describe();
    EXPECT_NE(error.find("mysql connect (" + catalog->Describe() + "): "),
              std::string::npos)
        << error;
  }
}

TEST(MysqlCatalogTest, DescribeHidesPassword) {
  MysqlOptions o;
  o.host = "db";
  o.port = 3307;
  o.user = "ro";
  o.password = "s3cret";
  auto c = NewMysqlCatalog(o);
  EXPECT_EQ(c->Describe(), "mysql:host=db port=3307 database=bacula user=ro");
  o.socket = "/run/mysqld/mysqld.sock";
  EXPECT_EQ(NewMysqlCatalog(o)->Describe(),
            "mysql:socket=/run/mysqld/mysqld.sock database=bacula user=ro");
}

// MariaDB (Debian's mariadb-server) with bacula-director-mysql's schema and
// the fixture rows; the module reads as a user with SELECT only.
class MariaDbServerTest : public ::testing::Test {
 protected:
  static constexpr char kUser[] = "exporter";
  static constexpr char kPassword[] = "pa'ss w0rd";

  static void SetUpTestSuite() {
    if (!MariaServer::Installed()) {
      skip_ = "mariadbd is not installed (Debian package mariadb-server)";
      return;
    }
    if (!FileExists(testing::MysqlSchemaPath())) {
      start_error_ = "no " + testing::MysqlSchemaPath() +
                     " (scripts/setup.sh unpacks bacula-director-mysql's "
                     "schema; or set BACULA_MYSQL_SCHEMA)";
      return;
    }
    server_ = new MariaServer();
    std::string e = server_->Start();
    if (e.empty())
      e = server_->CreateDatabase("bacula", {testing::MysqlSchemaPath(),
                                             FixturePath("fixtures/rows.sql")});
    if (e.empty()) e = server_->CreateReadOnlyUser(kUser, kPassword, "bacula");
    start_error_ = e;
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_EQ(start_error_, "");
  }
  static std::unique_ptr<Catalog> ReadOnly(const std::string& db = "bacula") {
    return NewMysqlCatalog(server_->Tcp(db, kUser, kPassword));
  }
  static std::unique_ptr<Catalog> Root() {
    MysqlOptions o;
    o.socket = server_->socket();
    o.user = "root";
    return NewMysqlCatalog(o);
  }
  static inline MariaServer* server_ = nullptr;
  static inline std::string skip_;
  static inline std::string start_error_;
};

TEST_F(MariaDbServerTest, MatchesGolden) {
  ExpectGolden(ScrapeText(*ReadOnly()));
}

TEST_F(MariaDbServerTest, MatchesGoldenOverSocket) {
  MysqlOptions o = server_->Tcp("bacula", kUser, kPassword);
  o.host = "localhost";
  o.socket = server_->socket();
  ExpectGolden(ScrapeText(*NewMysqlCatalog(o)));
}

TEST_F(MariaDbServerTest, LookbackAndFilter) {
  CheckLookbackAndFilter(*ReadOnly());
}

TEST_F(MariaDbServerTest, IncrementalMatchesFullRead) {
  // A database of its own: the other tests keep the fixture rows.
  ASSERT_EQ(
      server_->CreateDatabase("bacula_inc", {testing::MysqlSchemaPath(),
                                             FixturePath("fixtures/rows.sql")}),
      "");
  ASSERT_EQ(server_->Exec("", std::string("GRANT SELECT ON bacula_inc.* TO '") +
                                  kUser + "'@'127.0.0.1'"),
            "");
  auto catalog = ReadOnly("bacula_inc");
  CheckIncrementalMatchesFullRead(*catalog, [](const std::string& sql) {
    EXPECT_EQ(server_->Exec("bacula_inc", sql), "");
  });
}

// Passes queries on to a MySQL/MariaDB session and notes those after which
// the session's Created_tmp_disk_tables grew.
class DiskTableProbe : public CatalogSession {
 public:
  explicit DiskTableProbe(CatalogSession& s) : s_(s) {}
  bool Query(const std::string& sql, std::vector<Row>* rows,
             std::string* error) override {
    const int64_t before = DiskTables();
    if (!s_.Query(sql, rows, error)) return false;
    if (DiskTables() > before) on_disk.push_back(sql);
    return true;
  }
  std::vector<std::string> on_disk;

 private:
  int64_t DiskTables() {
    std::vector<Row> rows;
    std::string error;
    EXPECT_TRUE(s_.Query("SHOW SESSION STATUS LIKE 'Created_tmp_disk_tables'",
                         &rows, &error))
        << error;
    return rows.empty() ? -1 : std::stoll(rows[0].at(1).value_or("-1"));
  }
  CatalogSession& s_;
};

// The lookback read groups SUBSTR(Name, 1), a VARBINARY, so MariaDB keeps its
// temporary table in memory; a TINYBLOB (Name) forces an on-disk Aria one
// (README.md, "How it reads the catalog").
TEST_F(MariaDbServerTest, LookbackReadNeedsNoDiskTemporaryTable) {
  std::string error;
  auto s = ReadOnly()->Open(In(std::chrono::seconds(5)), nullptr, &error);
  ASSERT_NE(s, nullptr) << error;
  DiskTableProbe probe(*s);
  std::vector<Row> rows;
  ASSERT_TRUE(probe.Query("SELECT Name, COUNT(*) FROM Job GROUP BY Name", &rows,
                          &error))
      << error;
  ASSERT_EQ(probe.on_disk.size(), 1u);  // the probe sees a BLOB GROUP BY
  probe.on_disk.clear();
  ReadOptions opts;
  opts.now = kNow;
  opts.lookback_seconds = 31 * 86400;
  Snapshot snap;
  ASSERT_TRUE(ReadSnapshot(probe, opts, &snap, &error)) << error;
  EXPECT_FALSE(snap.runs.empty());
  for (const std::string& sql : probe.on_disk)
    EXPECT_EQ(sql.find("JobTDate >="), std::string::npos) << sql;
}

TEST_F(MariaDbServerTest, SessionIsReadOnly) {
  // Even root (all privileges) cannot write in the module's session.
  std::string error;
  auto s = Root()->Open(In(std::chrono::seconds(5)), nullptr, &error);
  ASSERT_NE(s, nullptr) << error;
  std::vector<Row> rows;
  EXPECT_FALSE(s->Query("DELETE FROM Job", &rows, &error));
  EXPECT_NE(error.find("READ ONLY"), std::string::npos) << error;
  ASSERT_TRUE(s->Query("SELECT COUNT(*) FROM Job", &rows, &error)) << error;
  EXPECT_EQ(rows.at(0).at(0).value_or(""), "16");
}

TEST_F(MariaDbServerTest, GrantIsSelectOnly) {
  std::string error;
  auto s = ReadOnly()->Open(In(std::chrono::seconds(5)), nullptr, &error);
  ASSERT_NE(s, nullptr) << error;
  std::vector<Row> rows;
  ASSERT_TRUE(s->Query("SHOW GRANTS", &rows, &error)) << error;
  std::string grants;
  for (const Row& r : rows) grants += r.at(0).value_or("") + "\n";
  EXPECT_NE(grants.find("GRANT SELECT ON `bacula`.*"), std::string::npos)
      << grants;
  EXPECT_FALSE(s->Query("SELECT COUNT(*) FROM mysql.user", &rows, &error));
  EXPECT_NE(error.find("denied"), std::string::npos) << error;
}

TEST_F(MariaDbServerTest, StatementTimeoutFromDeadline) {
  std::string error;
  auto s =
      ReadOnly()->Open(In(std::chrono::milliseconds(800)), nullptr, &error);
  ASSERT_NE(s, nullptr) << error;
  std::vector<Row> rows;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(s->Query("SELECT SLEEP(10)", &rows, &error));
  EXPECT_LT(std::chrono::steady_clock::now() - t0,
            std::chrono::milliseconds(900));
  EXPECT_NE(error.find("max_statement_time"), std::string::npos) << error;
}

TEST_F(MariaDbServerTest, CancelledStopsBeforeQuery) {
  std::atomic<bool> cancelled{false};
  std::string error;
  auto s = ReadOnly()->Open(In(std::chrono::seconds(5)), &cancelled, &error);
  ASSERT_NE(s, nullptr) << error;
  cancelled = true;
  std::vector<Row> rows;
  EXPECT_FALSE(s->Query("SELECT 1", &rows, &error));
}

TEST_F(MariaDbServerTest, WrongDatabaseIsAnError) {
  std::string error;
  EXPECT_EQ(
      ReadOnly("nosuchdb")->Open(In(std::chrono::seconds(5)), nullptr, &error),
      nullptr);
  EXPECT_NE(error.find("nosuchdb"), std::string::npos) << error;
}

TEST_F(MariaDbServerTest, WrongPasswordIsAnError) {
  auto catalog =
      NewMysqlCatalog(server_->Tcp("bacula", kUser, "not the password"));
  std::string error;
  EXPECT_EQ(catalog->Open(In(std::chrono::seconds(5)), nullptr, &error),
            nullptr);
  EXPECT_NE(error.find("Access denied"), std::string::npos) << error;
  EXPECT_EQ(error.find("not the password"), std::string::npos) << error;
}

// A server of its own, hung (SIGSTOP) after the session opened, then hung
// before connecting: both fail by the deadline.
TEST(MariaDbHungServerTest, FailsWithinDeadline) {
  if (!MariaServer::Installed()) GTEST_SKIP() << "mariadbd is not installed";
  MariaServer server;
  ASSERT_EQ(server.Start(), "");
  MysqlOptions o = server.Tcp("mysql", "root", "");
  auto catalog = NewMysqlCatalog(o);
  std::string error;
  auto s = catalog->Open(In(std::chrono::milliseconds(2500)), nullptr, &error);
  ASSERT_NE(s, nullptr) << error;
  std::vector<Row> rows;
  ASSERT_TRUE(s->Query("SELECT @@socket", &rows, &error)) << error;
  ASSERT_EQ(rows.at(0).at(0).value_or(""), server.socket());  // our server
  server.Pause();
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(s->Query("SELECT 1", &rows, &error));
  EXPECT_LT(std::chrono::steady_clock::now() - t0,
            std::chrono::milliseconds(2500));
  EXPECT_FALSE(error.empty());
  s.reset();
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(catalog->Open(In(std::chrono::milliseconds(2500)), nullptr, &error),
            nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - t0,
            std::chrono::milliseconds(2500));
  EXPECT_NE(error.find("mysql connect"), std::string::npos) << error;
  server.Resume();
}

}  // namespace
}  // namespace bacula

namespace bacula {
namespace {

TEST_F(SqliteCatalogTest, IncrementalMatchesFullRead) {
  auto catalog = NewSqliteCatalog(db_);
  CheckIncrementalMatchesFullRead(*catalog, [&](const std::string& sql) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &h), SQLITE_OK);
    char* msg = nullptr;
    EXPECT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &msg), SQLITE_OK)
        << (msg ? msg : "");
    sqlite3_free(msg);
    sqlite3_close(h);
  });
}

}  // namespace
}  // namespace bacula
