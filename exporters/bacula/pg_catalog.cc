// PostgreSQL backend: asynchronous connect polled up to the deadline, then a
// read-only session with statement_timeout set to the time left.
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <utility>

#include "catalog.h"

namespace bacula {
namespace {

int64_t MillisLeft(Deadline deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             deadline - std::chrono::steady_clock::now())
      .count();
}

std::string OneLine(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

class PgSession : public CatalogSession {
 public:
  PgSession(PGconn* conn, Deadline deadline, const std::atomic<bool>* cancelled)
      : conn_(conn), deadline_(deadline), cancelled_(cancelled) {}
  ~PgSession() override { PQfinish(conn_); }

  bool Query(const std::string& sql, std::vector<Row>* rows,
             std::string* error) override {
    rows->clear();
    const int64_t left = MillisLeft(deadline_);
    if (left <= 0 || (cancelled_ != nullptr && cancelled_->load())) {
      *error = "deadline exceeded before query";
      return false;
    }
    std::string set = "SET statement_timeout = " + std::to_string(left);
    PGresult* r = PQexec(conn_, set.c_str());
    PQclear(r);
    r = PQexec(conn_, sql.c_str());
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      *error = "postgresql query: " + OneLine(PQerrorMessage(conn_));
      PQclear(r);
      return false;
    }
    const int n = PQntuples(r);
    const int ncol = PQnfields(r);
    rows->reserve(n);
    for (int i = 0; i < n; ++i) {
      Row row(ncol);
      for (int c = 0; c < ncol; ++c) {
        if (PQgetisnull(r, i, c)) continue;
        row[c] = std::string(PQgetvalue(r, i, c), PQgetlength(r, i, c));
      }
      rows->push_back(std::move(row));
    }
    PQclear(r);
    return true;
  }

 private:
  PGconn* conn_;
  Deadline deadline_;
  const std::atomic<bool>* cancelled_;
};

class PgCatalog : public Catalog {
 public:
  explicit PgCatalog(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  std::unique_ptr<CatalogSession> Open(Deadline deadline,
                                       const std::atomic<bool>* cancelled,
                                       std::string* error) override {
    // Our options override the conninfo's: expand_dbname=1 parses it.
    const char* keys[] = {"dbname", "options", "application_name", nullptr};
    const char* values[] = {conninfo_.c_str(),
                            "-c default_transaction_read_only=on",
                            "exporterd_bacula", nullptr};
    PGconn* conn = PQconnectStartParams(keys, values, 1);
    if (conn == nullptr) {
      *error = "postgresql: out of memory";
      return nullptr;
    }
    if (PQstatus(conn) == CONNECTION_BAD) {
      *error = "postgresql connect: " + OneLine(PQerrorMessage(conn));
      PQfinish(conn);
      return nullptr;
    }
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (st != PGRES_POLLING_OK) {
      if (st == PGRES_POLLING_FAILED) {
        *error = "postgresql connect: " + OneLine(PQerrorMessage(conn));
        PQfinish(conn);
        return nullptr;
      }
      const int64_t left = MillisLeft(deadline);
      if (left <= 0 || (cancelled != nullptr && cancelled->load())) {
        *error = "postgresql connect: deadline exceeded";
        PQfinish(conn);
        return nullptr;
      }
      pollfd p{
          PQsocket(conn),
          static_cast<short>(st == PGRES_POLLING_READING ? POLLIN : POLLOUT),
          0};
      int pr = poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 100)));
      if (pr == 0) continue;  // re-check the deadline
      st = PQconnectPoll(conn);
    }
    return std::make_unique<PgSession>(conn, deadline, cancelled);
  }

  std::string Describe() const override {
    // Never print a password: keep only host, port and dbname.
    std::string out = "postgresql:";
    PQconninfoOption* opts = PQconninfoParse(conninfo_.c_str(), nullptr);
    if (opts == nullptr) return out + "<unparsable conninfo>";
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
      std::string k = o->keyword;
      if (o->val == nullptr ||
          (k != "host" && k != "port" && k != "dbname" && k != "user"))
        continue;
      out += " " + k + "=" + o->val;
    }
    PQconninfoFree(opts);
    return out;
  }

 private:
  std::string conninfo_;
};

}  // namespace

std::unique_ptr<Catalog> NewPostgresCatalog(std::string conninfo) {
  return std::make_unique<PgCatalog>(std::move(conninfo));
}

}  // namespace bacula
