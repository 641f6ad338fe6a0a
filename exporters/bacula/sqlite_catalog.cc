// SQLite backend: read-only open, busy timeout up to the deadline, queries
// interrupted by a progress handler once the deadline passes.
#include <sqlite3.h>

#include <algorithm>
#include <utility>

#include "catalog.h"

namespace bacula {
namespace {

struct Budget {
  Deadline deadline;
  const std::atomic<bool>* cancelled = nullptr;
  bool Expired() const {
    return std::chrono::steady_clock::now() >= deadline ||
           (cancelled != nullptr && cancelled->load());
  }
};

int ProgressHandler(void* arg) {
  return static_cast<Budget*>(arg)->Expired() ? 1 : 0;
}

class SqliteSession : public CatalogSession {
 public:
  SqliteSession(sqlite3* db, Budget budget)
      : db_(db), budget_(std::make_unique<Budget>(budget)) {
    sqlite3_progress_handler(db_, 1000, &ProgressHandler, budget_.get());
  }
  ~SqliteSession() override { sqlite3_close_v2(db_); }

  bool Query(const std::string& sql, std::vector<Row>* rows,
             std::string* error) override {
    rows->clear();
    if (budget_->Expired()) {
      *error = "deadline exceeded before query";
      return false;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        budget_->deadline - std::chrono::steady_clock::now());
    sqlite3_busy_timeout(
        db_, static_cast<int>(std::clamp<int64_t>(left.count(), 1, 60000)));
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      *error = std::string("sqlite prepare: ") + sqlite3_errmsg(db_);
      sqlite3_finalize(stmt);
      return false;
    }
    const int ncol = sqlite3_column_count(stmt);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      Row row(ncol);
      for (int i = 0; i < ncol; ++i) {
        if (sqlite3_column_type(stmt, i) == SQLITE_NULL) continue;
        const unsigned char* t = sqlite3_column_text(stmt, i);
        row[i] = std::string(reinterpret_cast<const char*>(t),
                             sqlite3_column_bytes(stmt, i));
      }
      rows->push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) {
      *error = rc == SQLITE_INTERRUPT
                   ? std::string("sqlite query interrupted: deadline exceeded")
                   : std::string("sqlite query: ") + sqlite3_errmsg(db_);
      sqlite3_finalize(stmt);
      return false;
    }
    sqlite3_finalize(stmt);
    return true;
  }

 private:
  sqlite3* db_;
  std::unique_ptr<Budget> budget_;  // stable address for the handler
};

class SqliteCatalog : public Catalog {
 public:
  explicit SqliteCatalog(std::string path) : path_(std::move(path)) {}

  std::unique_ptr<CatalogSession> Open(Deadline deadline,
                                       const std::atomic<bool>* cancelled,
                                       std::string* error) override {
    sqlite3* db = nullptr;
    int rc =
        sqlite3_open_v2(path_.c_str(), &db,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      *error = "cannot open SQLite catalog " + path_ + ": " +
               (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
      sqlite3_close_v2(db);
      return nullptr;
    }
    return std::make_unique<SqliteSession>(db, Budget{deadline, cancelled});
  }

  std::string Describe() const override { return "sqlite:" + path_; }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<Catalog> NewSqliteCatalog(std::string path) {
  return std::make_unique<SqliteCatalog>(std::move(path));
}

}  // namespace bacula
