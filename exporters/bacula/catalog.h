// Read-only access to a Bacula catalog: one abstract session type and its
// backends (SQLite, PostgreSQL). Every session is bound to a deadline; a
// backend aborts its work when the deadline passes or `cancelled` is set.
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
  // "sqlite:/path" or "postgresql:host=... dbname=..." (no password).
  virtual std::string Describe() const = 0;
};

// SQLite file opened with SQLITE_OPEN_READONLY on every Open(): a removed
// or replaced file is noticed on the next scrape.
std::unique_ptr<Catalog> NewSqliteCatalog(std::string path);

// libpq conninfo ("host=... dbname=bacula user=..." or a postgresql:// URI).
// connect_timeout and statement_timeout come from the deadline; the session
// is read-only (default_transaction_read_only).
std::unique_ptr<Catalog> NewPostgresCatalog(std::string conninfo);

}  // namespace bacula

#endif  // EXPORTERS_BACULA_CATALOG_H_
