#include "test_catalog.h"

#include <mysql.h>
#include <pwd.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace bacula::testing {
namespace {

constexpr char kPgBinDir[] = "/usr/lib/postgresql/15/bin";
constexpr char kMariadbd[] = "/usr/sbin/mariadbd";

std::string EnvOr(const char* name, const std::string& def) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : def;
}

using exporterd::testing::FreePort;

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string SqliteSchemaPath() {
  return EnvOr("BACULA_SQLITE_SCHEMA",
               "/usr/share/dbconfig-common/data/bacula-director-sqlite3/"
               "install/sqlite3");
}

std::string PgsqlSchemaPath() {
  return EnvOr("BACULA_PGSQL_SCHEMA", BACULA_PGSQL_SCHEMA_DEFAULT);
}

std::string MysqlSchemaPath() {
  return EnvOr("BACULA_MYSQL_SCHEMA", BACULA_MYSQL_SCHEMA_DEFAULT);
}

std::string FixturePath(const std::string& name) {
  return std::string(BACULA_TEST_DIR) + "/" + name;
}

bool FileExists(const std::string& path) {
  return std::filesystem::exists(path);
}

std::string BuildSqliteCatalog(const std::string& db,
                               const std::vector<std::string>& sql_files) {
  sqlite3* h = nullptr;
  if (sqlite3_open(db.c_str(), &h) != SQLITE_OK) {
    sqlite3_close(h);
    return "cannot create " + db;
  }
  std::string error;
  for (const std::string& f : sql_files) {
    char* msg = nullptr;
    if (sqlite3_exec(h, ReadFile(f).c_str(), nullptr, nullptr, &msg) !=
        SQLITE_OK) {
      error = f + ": " + (msg ? msg : "error");
      sqlite3_free(msg);
      break;
    }
  }
  sqlite3_close(h);
  return error;
}

PgServer::~PgServer() { Stop(); }

std::string PgServer::Run(const std::string& cmd) const {
  std::string full =
      geteuid() == 0 ? "runuser -u postgres -- sh -c " + Quote(cmd) : cmd;
  full += " >>" + dir_ + "/cmd.log 2>&1";
  if (std::system(full.c_str()) != 0) {
    std::string log;
    try {
      log = ReadFile(dir_ + "/cmd.log");
    } catch (...) {
    }
    if (log.size() > 2000) log = log.substr(log.size() - 2000);
    return "command failed: " + cmd + "\n" + log;
  }
  return {};
}

std::string PgServer::Start() {
  bin_ = EnvOr("BACULA_PG_BINDIR", kPgBinDir);
  if (!FileExists(bin_ + "/initdb")) return "no " + bin_ + "/initdb";
  tmp_ = std::make_unique<exporterd::testing::TempDir>();
  dir_ = tmp_->path();
  if (geteuid() == 0) {
    std::string chown = "chown postgres: " + dir_;
    if (std::system(chown.c_str()) != 0) return "chown failed";
  }
  port_ = FreePort();
  if (std::string e = Run(bin_ + "/initdb -D " + dir_ +
                          "/data -A trust -U postgres --no-sync -E UTF8");
      !e.empty())
    return e;
  if (std::string e =
          Run(bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ +
              "/server.log -w -t 60 -o \"-p " + std::to_string(port_) + " -k " +
              dir_ + " -c listen_addresses=127.0.0.1 -c fsync=off\" start");
      !e.empty())
    return e;
  running_ = true;
  return {};
}

std::string PgServer::CreateDatabase(
    const std::string& db, const std::vector<std::string>& sql_files) {
  const std::string conn =
      " -h 127.0.0.1 -p " + std::to_string(port_) + " -U postgres ";
  if (std::string e = Run("/usr/bin/createdb" + conn + db); !e.empty())
    return e;
  for (const std::string& f : sql_files) {
    // psql as root cannot be read by postgres: copy the file first.
    std::string copy = dir_ + "/load.sql";
    std::filesystem::copy_file(
        f, copy, std::filesystem::copy_options::overwrite_existing);
    if (geteuid() == 0 && std::system(("chown postgres: " + copy).c_str()) != 0)
      return "chown failed";
    if (std::string e = Run("/usr/bin/psql -q -v ON_ERROR_STOP=1" + conn +
                            "-d " + db + " -f " + copy);
        !e.empty())
      return e;
  }
  return {};
}

void PgServer::Stop() {
  if (running_) {
    Run(bin_ + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop");
    running_ = false;
  }
  tmp_.reset();
  dir_.clear();
}

std::string PgServer::Conninfo(const std::string& db) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) +
         " user=postgres dbname=" + db;
}

}  // namespace bacula::testing

namespace bacula::testing {
namespace {

std::string Mariadbd() { return EnvOr("BACULA_MARIADBD", kMariadbd); }

std::string UserName() {
  const passwd* pw = getpwuid(geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

// Small files, fast start: the server only holds the test catalog.
const std::vector<std::string>& ServerOptions() {
  static const std::vector<std::string> v = {
      "--innodb-log-file-size=8M", "--innodb-buffer-pool-size=32M",
      "--innodb-data-file-path=ibdata1:4M:autoextend"};
  return v;
}

std::string SqlString(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

bool MariaServer::Installed() { return FileExists(Mariadbd()); }

MariaServer::~MariaServer() { Stop(); }

std::string MariaServer::RunLogged(const std::string& cmd) const {
  const std::string full = cmd + " >>" + dir_ + "/cmd.log 2>&1";
  if (std::system(full.c_str()) != 0) {
    std::string log;
    try {
      log = ReadFile(dir_ + "/cmd.log");
    } catch (...) {
    }
    if (log.size() > 2000) log = log.substr(log.size() - 2000);
    return "command failed: " + cmd + "\n" + log;
  }
  return {};
}

std::string MariaServer::Client(const std::string& db) const {
  return "/usr/bin/mariadb --no-defaults -S " + Quote(socket_) + " -u root" +
         (db.empty() ? "" : " " + Quote(db));
}

namespace {

// Logs in as root (socket, or TCP when `socket` is empty) and returns
// @@socket, or nullopt when the server does not answer.
std::optional<std::string> ServerSocket(int port, const std::string& socket) {
  MYSQL* m = mysql_init(nullptr);
  const unsigned one = 1;
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &one);
  mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &one);
  std::optional<std::string> out;
  if (mysql_real_connect(m, socket.empty() ? "127.0.0.1" : "localhost", "root",
                         nullptr, nullptr, port,
                         socket.empty() ? nullptr : socket.c_str(),
                         0) != nullptr &&
      mysql_query(m, "SELECT @@socket") == 0) {
    if (MYSQL_RES* r = mysql_store_result(m)) {
      if (MYSQL_ROW row = mysql_fetch_row(r); row != nullptr && row[0])
        out = row[0];
      mysql_free_result(r);
    }
  }
  mysql_close(m);
  return out;
}

}  // namespace

std::string MariaServer::Start() {
  tmp_ = std::make_unique<exporterd::testing::TempDir>();
  dir_ = tmp_->path();
  socket_ = dir_ + "/mysqld.sock";
  const std::string user = UserName();
  // A tmpdir of its own: servers bootstrapping at once in /tmp clash on
  // their temporary table names.
  std::filesystem::create_directory(dir_ + "/tmp");
  std::string opts = " --tmpdir=" + dir_ + "/tmp";
  for (const std::string& o : ServerOptions()) opts += " " + o;
  if (std::string e =
          RunLogged("/usr/bin/mariadb-install-db --no-defaults "
                    "--auth-root-authentication-method=normal --skip-test-db "
                    "--datadir=" +
                    dir_ + "/data --user=" + Quote(user) + opts);
      !e.empty())
    return e;
  // A free port can be taken by a test starting at the same time: then
  // mariadbd exits at startup, or the port answers for another server. Try
  // again on another port.
  std::string error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    error = Launch(user);
    if (error.empty()) return {};
    server_.Stop(std::chrono::seconds(0));
  }
  return error;
}

std::string MariaServer::Launch(const std::string& user) {
  port_ = FreePort();
  std::vector<std::string> args = {Mariadbd(),
                                   "--no-defaults",
                                   "--datadir=" + dir_ + "/data",
                                   "--socket=" + socket_,
                                   "--port=" + std::to_string(port_),
                                   "--bind-address=127.0.0.1",
                                   "--skip-log-bin",
                                   "--skip-name-resolve",
                                   "--user=" + user,
                                   "--pid-file=" + dir_ + "/mariadbd.pid",
                                   "--log-error=" + dir_ + "/server.log",
                                   "--tmpdir=" + dir_ + "/tmp",
                                   "--innodb-flush-log-at-trx-commit=0",
                                   "--innodb-doublewrite=0"};
  args.insert(args.end(), ServerOptions().begin(), ServerOptions().end());
  if (!server_.Start(args, dir_ + "/stdout.log")) return "fork failed";

  // Ready when root can log in over the socket, and the TCP port is ours.
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    if (ServerSocket(0, socket_)) {
      std::optional<std::string> tcp = ServerSocket(port_, "");
      if (tcp == socket_) return {};
      return "127.0.0.1:" + std::to_string(port_) + " is not our server (" +
             tcp.value_or("no answer") + ")";
    }
    if (!server_.Alive()) {
      std::string log;
      try {
        log = ReadFile(dir_ + "/server.log");
      } catch (...) {
      }
      if (log.size() > 2000) log = log.substr(log.size() - 2000);
      return "mariadbd exited during startup:\n" + log;
    }
    if (std::chrono::steady_clock::now() > until)
      return "mariadbd not ready after 60 s";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string MariaServer::CreateDatabase(
    const std::string& db, const std::vector<std::string>& sql_files) {
  if (std::string e = Exec("", "CREATE DATABASE `" + db + "`"); !e.empty())
    return e;
  for (const std::string& f : sql_files)
    if (std::string e = RunLogged(Client(db) + " <" + Quote(f)); !e.empty())
      return e;
  return {};
}

std::string MariaServer::Exec(const std::string& db, const std::string& sql) {
  return RunLogged(Client(db) + " -e " + Quote(sql));
}

std::string MariaServer::CreateReadOnlyUser(const std::string& user,
                                            const std::string& password,
                                            const std::string& db) {
  std::string sql;
  for (const char* host : {"127.0.0.1", "localhost"}) {
    const std::string who = SqlString(user) + "@" + SqlString(host);
    sql += "CREATE USER " + who + " IDENTIFIED BY " + SqlString(password) +
           "; GRANT SELECT ON `" + db + "`.* TO " + who + ";";
  }
  return Exec("", sql);
}

void MariaServer::Stop() {
  server_.Stop(std::chrono::seconds(30));
  tmp_.reset();
  dir_.clear();
}

MysqlOptions MariaServer::Tcp(const std::string& db, const std::string& user,
                              const std::string& password) const {
  MysqlOptions o;
  o.host = "127.0.0.1";
  o.port = port_;
  o.user = user;
  o.password = password;
  o.database = db;
  return o;
}

}  // namespace bacula::testing
