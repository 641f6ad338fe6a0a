#include "test_catalog.h"

#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace bacula::testing {
namespace {

constexpr char kPgBinDir[] = "/usr/lib/postgresql/15/bin";

std::string EnvOr(const char* name, const std::string& def) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : def;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

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

std::string FixturePath(const std::string& name) {
  return std::string(BACULA_TEST_DIR) + "/" + name;
}

bool FileExists(const std::string& path) {
  return std::filesystem::exists(path);
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/bacula_test.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
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
    if (sqlite3_exec(h, ReadFileOrDie(f).c_str(), nullptr, nullptr, &msg) !=
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
      log = ReadFileOrDie(dir_ + "/cmd.log");
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
  char tmpl[] = "/tmp/bacula_pg.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return "mkdtemp failed";
  dir_ = tmpl;
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
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

std::string PgServer::Conninfo(const std::string& db) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) +
         " user=postgres dbname=" + db;
}

}  // namespace bacula::testing
