// Scratch catalogs built from the Debian packages' own schema files, and a
// throwaway PostgreSQL server on loopback.
#ifndef EXPORTERS_BACULA_TESTS_TEST_CATALOG_H_
#define EXPORTERS_BACULA_TESTS_TEST_CATALOG_H_

#include <string>
#include <vector>

namespace bacula::testing {

// bacula-director-sqlite3's schema (BACULA_SQLITE_SCHEMA overrides).
std::string SqliteSchemaPath();
// bacula-director-pgsql's schema (BACULA_PGSQL_SCHEMA overrides; the package
// conflicts with -sqlite3, so it may be unpacked elsewhere).
std::string PgsqlSchemaPath();
std::string FixturePath(const std::string& name);
std::string ReadFileOrDie(const std::string& path);
bool FileExists(const std::string& path);

// A directory under /tmp removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs each SQL file in order against a new SQLite database at `db`.
// Returns an error message, or empty.
std::string BuildSqliteCatalog(const std::string& db,
                               const std::vector<std::string>& sql_files);

// PostgreSQL 15 from Debian's postgresql package: initdb + pg_ctl in a temp
// dir on 127.0.0.1:<free port>, run as user postgres when we are root.
class PgServer {
 public:
  PgServer() = default;
  ~PgServer();
  // Returns an error message, or empty on success.
  std::string Start();
  // Creates database `db` and loads the SQL files into it with psql.
  std::string CreateDatabase(const std::string& db,
                             const std::vector<std::string>& sql_files);
  void Stop();
  std::string Conninfo(const std::string& db) const;
  int port() const { return port_; }

 private:
  std::string Run(const std::string& cmd) const;  // as the server's user
  std::string dir_;
  std::string bin_;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace bacula::testing

#endif  // EXPORTERS_BACULA_TESTS_TEST_CATALOG_H_
