// Scratch catalogs built from the Debian packages' own schema files, and
// throwaway PostgreSQL and MariaDB servers on loopback.
#ifndef EXPORTERS_BACULA_TESTS_TEST_CATALOG_H_
#define EXPORTERS_BACULA_TESTS_TEST_CATALOG_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "catalog.h"
#include "test_kit.h"

namespace bacula::testing {

// bacula-director-sqlite3's schema (BACULA_SQLITE_SCHEMA overrides).
std::string SqliteSchemaPath();
// bacula-director-pgsql's schema (BACULA_PGSQL_SCHEMA overrides; the package
// conflicts with -sqlite3, so it may be unpacked elsewhere).
std::string PgsqlSchemaPath();
// bacula-director-mysql's schema (BACULA_MYSQL_SCHEMA overrides; unpacked
// like the PostgreSQL one).
std::string MysqlSchemaPath();
std::string FixturePath(const std::string& name);
using exporterd::testing::ReadFile;
bool FileExists(const std::string& path);
using exporterd::testing::TempDir;

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
  std::unique_ptr<exporterd::testing::TempDir> tmp_;
  std::string dir_;  // tmp_'s path while started
  std::string bin_;
  int port_ = 0;
  bool running_ = false;
};

// MariaDB from Debian's mariadb-server: mariadb-install-db + mariadbd in a
// temp dir, on 127.0.0.1:<free port> and a Unix socket in that dir; root has
// no password. The server dies with the test process (PR_SET_PDEATHSIG).
class MariaServer {
 public:
  MariaServer() = default;
  ~MariaServer();
  MariaServer(const MariaServer&) = delete;
  MariaServer& operator=(const MariaServer&) = delete;
  // mariadbd (BACULA_MARIADBD overrides /usr/sbin/mariadbd) is installed.
  static bool Installed();
  // Returns an error message, or empty on success.
  std::string Start();
  // Creates database `db` and loads the SQL files into it as root.
  std::string CreateDatabase(const std::string& db,
                             const std::vector<std::string>& sql_files);
  // Runs SQL as root (mariadb client); returns an error message or empty.
  std::string Exec(const std::string& db, const std::string& sql);
  // 'user'@'127.0.0.1' and 'user'@'localhost' with SELECT on db.* only.
  std::string CreateReadOnlyUser(const std::string& user,
                                 const std::string& password,
                                 const std::string& db);
  void Pause() { server_.Pause(); }  // SIGSTOP, waited for: a hung server
  void Resume() { server_.Resume(); }
  // Shuts the server down (SIGTERM, waited for) and removes its files.
  void Stop();
  // TCP to 127.0.0.1:port.
  MysqlOptions Tcp(const std::string& db, const std::string& user,
                   const std::string& password) const;
  int port() const { return port_; }
  const std::string& socket() const { return socket_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string Launch(const std::string& user);      // mariadbd on a free port
  std::string Client(const std::string& db) const;  // mariadb command line
  std::string RunLogged(const std::string& cmd) const;
  std::unique_ptr<exporterd::testing::TempDir> tmp_;
  std::string dir_;  // tmp_'s path while started
  std::string socket_;
  int port_ = 0;
  exporterd::testing::ChildProcess server_;
};

}  // namespace bacula::testing

#endif  // EXPORTERS_BACULA_TESTS_TEST_CATALOG_H_
