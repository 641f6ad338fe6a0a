// MySQL/MariaDB backend (MariaDB Connector/C): connect, read and write
// timeouts in whole seconds from the time left, a read-only session, and a
// server-side statement limit (max_statement_time) set to the time left
// before every query.
#include <mysql.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <utility>

#include "catalog.h"

namespace bacula {
namespace {

int64_t MillisLeft(Deadline deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             deadline - std::chrono::steady_clock::now())
      .count();
}

bool Cancelled(const std::atomic<bool>* cancelled) {
  return cancelled != nullptr && cancelled->load();
}

// Whole seconds left, rounded down so a dead server fails before the
// deadline; at least 1 (with less than a second left we may overrun by < 1 s).
unsigned ClientTimeout(int64_t millis_left) {
  return static_cast<unsigned>(
      std::clamp<int64_t>(millis_left / 1000, 1, 3600));
}

// The client's message, plus why when a timeout cut the call (a client
// timeout reads as "Lost connection ...").
std::string ErrorText(MYSQL* m, Deadline deadline,
                      std::chrono::steady_clock::time_point started,
                      unsigned timeout) {
  std::string out = mysql_error(m);
  if (out.empty()) out = "error " + std::to_string(mysql_errno(m));
  if (MillisLeft(deadline) <= 0) {
    out += " (deadline exceeded)";
  } else if (std::chrono::steady_clock::now() - started >=
             std::chrono::seconds(timeout)) {
    out += " (no answer within the " + std::to_string(timeout) +
           " s client timeout)";
  }
  return out;
}

class MysqlSession : public CatalogSession {
 public:
  MysqlSession(MYSQL* m, bool mariadb, unsigned timeout, Deadline deadline,
               const std::atomic<bool>* cancelled)
      : m_(m),
        mariadb_(mariadb),
        timeout_(timeout),
        deadline_(deadline),
        cancelled_(cancelled) {}
  ~MysqlSession() override { mysql_close(m_); }

  bool Query(const std::string& sql, std::vector<Row>* rows,
             std::string* error) override {
    rows->clear();
    const int64_t left = MillisLeft(deadline_);
    if (left <= 0 || Cancelled(cancelled_)) {
      *error = "deadline exceeded before query";
      return false;
    }
    // MariaDB: seconds with fractions, any statement; MySQL 5.7+:
    // milliseconds, SELECT only (all we run).
    char set[96];
    if (mariadb_) {
      std::snprintf(set, sizeof set, "SET SESSION max_statement_time = %.3f",
                    static_cast<double>(left) / 1000.0);
    } else {
      std::snprintf(set, sizeof set, "SET SESSION max_execution_time = %lld",
                    static_cast<long long>(left));
    }
    const auto started = std::chrono::steady_clock::now();
    if (mysql_query(m_, set) != 0) {
      *error = "mysql: " + ErrorText(m_, deadline_, started, timeout_);
      return false;
    }
    if (mysql_real_query(m_, sql.data(), sql.size()) != 0) {
      *error = "mysql query: " + ErrorText(m_, deadline_, started, timeout_);
      return false;
    }
    MYSQL_RES* res = mysql_store_result(m_);
    if (res == nullptr) {
      *error =
          mysql_errno(m_) != 0
              ? "mysql query: " + ErrorText(m_, deadline_, started, timeout_)
              : std::string("mysql query: not a SELECT (no result set)");
      return false;
    }
    const unsigned ncol = mysql_num_fields(res);
    rows->reserve(mysql_num_rows(res));
    while (MYSQL_ROW r = mysql_fetch_row(res)) {
      const unsigned long* len = mysql_fetch_lengths(res);
      Row row(ncol);
      for (unsigned c = 0; c < ncol; ++c)
        if (r[c] != nullptr) row[c] = std::string(r[c], len[c]);
      rows->push_back(std::move(row));
    }
    mysql_free_result(res);
    return true;
  }

 private:
  MYSQL* m_;
  bool mariadb_;
  unsigned timeout_;  // the client's read/write timeout, seconds
  Deadline deadline_;
  const std::atomic<bool>* cancelled_;
};

class MysqlCatalog : public Catalog {
 public:
  explicit MysqlCatalog(MysqlOptions o) : o_(std::move(o)) {}

  std::unique_ptr<CatalogSession> Open(Deadline deadline,
                                       const std::atomic<bool>* cancelled,
                                       std::string* error) override {
    const int64_t left = MillisLeft(deadline);
    if (left <= 0 || Cancelled(cancelled)) {
      *error = "mysql connect: deadline exceeded";
      return nullptr;
    }
    MYSQL* m = mysql_init(nullptr);
    if (m == nullptr) {
      *error = "mysql: out of memory";
      return nullptr;
    }
    const auto started = std::chrono::steady_clock::now();
    const unsigned secs = ClientTimeout(left);
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &secs);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &secs);
    const unsigned no = 0;  // never let the server ask for a local file
    mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &no);
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_optionsv(m, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name",
                   "exporterd_bacula");
    if (!o_.socket.empty()) {
      const unsigned proto = MYSQL_PROTOCOL_SOCKET;
      mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
    }
    if (mysql_real_connect(m, o_.socket.empty() ? o_.host.c_str() : "localhost",
                           o_.user.c_str(),
                           o_.password.empty() ? nullptr : o_.password.c_str(),
                           o_.database.c_str(), static_cast<unsigned>(o_.port),
                           o_.socket.empty() ? nullptr : o_.socket.c_str(),
                           0) == nullptr) {
      *error = "mysql connect (" + Describe() +
               "): " + ErrorText(m, deadline, started, secs);
      mysql_close(m);
      return nullptr;
    }
    if (mysql_query(m, "SET SESSION TRANSACTION READ ONLY") != 0) {
      *error = "mysql: " + ErrorText(m, deadline, started, secs);
      mysql_close(m);
      return nullptr;
    }
    return std::make_unique<MysqlSession>(m, mariadb_connection(m) != 0, secs,
                                          deadline, cancelled);
  }

  std::string Describe() const override {
    // Never the password.
    std::string where =
        o_.socket.empty()
            ? "host=" + o_.host + " port=" + std::to_string(o_.port)
            : "socket=" + o_.socket;
    return "mysql:" + where + " database=" + o_.database + " user=" + o_.user;
  }

 private:
  MysqlOptions o_;
};

}  // namespace

std::unique_ptr<Catalog> NewMysqlCatalog(MysqlOptions options) {
  // mysql_init() initializes the library on first use, which is not
  // thread-safe: do it once here (config load).
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
  return std::make_unique<MysqlCatalog>(std::move(options));
}

}  // namespace bacula
