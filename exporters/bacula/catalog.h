// Read-only access to a Bacula catalog: one abstract session type and its
// backends (SQLite, PostgreSQL, MySQL/MariaDB). Every session is bound to a
// deadline; a backend aborts its work when the deadline passes or `cancelled`
// is set.
#ifndef EXPORTERS_BACULA_CATALOG_H_
#define EXPORTERS_BACULA_CATALOG_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bacula {

using Deadline = std::chrono::steady_clock::time_point;

// One result row; NULL is nullopt. Values are the database's text form.
using Row = std::vector<std::optional<std::string>>;

class CatalogSession {
 public:
  virtual ~CatalogSession() = default;
  // Runs one SELECT and returns every row.
  virtual bool Query(const std::string& sql, std::vector<Row>* rows,
                     std::string* error) = 0;
};

class Catalog {
 public:
  virtual ~Catalog() = default;
  // Opens a read-only session that must finish by `deadline`. Returns null
  // and sets `error` when the catalog cannot be reached.
  virtual std::unique_ptr<CatalogSession> Open(
      Deadline deadline, const std::atomic<bool>* cancelled,
      std::string* error) = 0;
  // "sqlite:/path", "postgresql:host=... dbname=..." or
  // "mysql:host=... port=... database=... user=..." (never a password).
  virtual std::string Describe() const = 0;
};

// SQLite file opened with SQLITE_OPEN_READONLY on every Open(): a removed
// or replaced file is noticed on the next scrape.
std::unique_ptr<Catalog> NewSqliteCatalog(std::string path);

// libpq conninfo ("host=... dbname=bacula user=..." or a postgresql:// URI).
// connect_timeout and statement_timeout come from the deadline; the session
// is read-only (default_transaction_read_only).
std::unique_ptr<Catalog> NewPostgresCatalog(std::string conninfo);

// Where and as whom to reach a MySQL/MariaDB catalog.
struct MysqlOptions {
  std::string host = "localhost";  // "localhost" means the default socket
  int port = 3306;
  std::string socket;  // Unix socket path; set instead of host/port
  std::string user = "bacula";
  std::string password;  // empty: none; never printed
  std::string database = "bacula";
};

// MariaDB Connector/C. Connect/read/write timeouts are the whole seconds left
// (at least 1); the session is read-only (SET SESSION TRANSACTION READ ONLY)
// and each query is limited by the server to the time left
// (max_statement_time on MariaDB, max_execution_time on MySQL).
std::unique_ptr<Catalog> NewMysqlCatalog(MysqlOptions options);

}  // namespace bacula

#endif  // EXPORTERS_BACULA_CATALOG_H_
