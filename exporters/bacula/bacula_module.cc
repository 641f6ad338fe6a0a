// Entry point of exporterd_bacula.so: config binding and the scrape.
#include "bacula_module.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>

#include "catalog_reader.h"
#include "exporterd/config_map.h"
#include "metrics.h"

namespace bacula {
namespace {

using exporterd::CollectRequest;
using exporterd::CollectResult;
using exporterd::ConfigErrors;
using exporterd::ConfigReader;
using exporterd::Key;
using exporterd::ModuleEnv;

// The first line of `path` (without the line end), or nullopt with `why`.
std::optional<std::string> ReadFirstLine(const std::string& path,
                                         std::string* why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *why = std::string("cannot be read: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::string line;
  if (!std::getline(in, line)) {
    *why = in.eof() ? "is empty" : "cannot be read";
    return std::nullopt;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string AbsolutePath(const std::string& p) {
  return !p.empty() && p[0] == '/' ? "" : "must be an absolute path";
}

// Regexes compile (std::regex, full match on the job name).
std::string Regexes(const std::vector<std::string>& patterns) {
  for (const std::string& p : patterns) {
    try {
      std::regex re(p, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return "invalid regular expression \"" + p + "\": " + e.what();
    }
  }
  return "";
}

const exporterd::ConfigMap<MysqlKeys>& MysqlMap() {
  static const MysqlOptions d;
  auto not_empty = [](const std::string& v) {
    return v.empty() ? "must not be empty" : "";
  };
  static const exporterd::ConfigMap<MysqlKeys> m(
      {
          Key("host", &MysqlKeys::host, d.host,
              "Server host; localhost is the default Unix socket.")
              .Check(not_empty),
          Key("port", &MysqlKeys::port, d.port, "TCP port.").Range(1, 65535),
          Key("socket", &MysqlKeys::socket, {},
              "The server's Unix socket (absolute); instead of host/port.")
              .Check([](const std::optional<std::string>& v) {
                return v && !v->empty() && (*v)[0] == '/'
                           ? ""
                           : "must be the absolute path of the server's "
                             "socket";
              }),
          Key("user", &MysqlKeys::user, d.user, "User name.").Check(not_empty),
          Key("password_file", &MysqlKeys::password_file, {},
              "File whose first line is the password (absolute path); "
              "none: no password.")
              .Check([](const std::optional<std::string>& v) {
                return AbsolutePath(v.value_or(""));
              }),
          Key("database", &MysqlKeys::database, d.database, "Database name.")
              .Check(not_empty),
      },
      [](ConfigReader& r, MysqlKeys* k) {
        if (r.Has("socket") && (r.Has("host") || r.Has("port")))
          r.Error("socket", "set either socket or host/port, not both");
        if (!k->password_file || AbsolutePath(*k->password_file) != "") return;
        std::string why;
        std::optional<std::string> pw = ReadFirstLine(*k->password_file, &why);
        if (!pw || pw->empty())
          r.Error("password_file", *k->password_file + " " +
                                       (pw ? "has an empty first line" : why));
        else
          k->password = std::move(*pw);
      });
  return m;
}

const exporterd::ConfigMap<CatalogKeys>& CatalogMap() {
  static const exporterd::ConfigMap<CatalogKeys> m(
      {
          Key("sqlite", &CatalogKeys::sqlite, {},
              "Path of the SQLite catalog file (absolute).")
              .Check([](const std::optional<std::string>& v) {
                return AbsolutePath(v.value_or("")).empty()
                           ? ""
                           : "must be the absolute path of the catalog file";
              }),
          Key("postgresql", &CatalogKeys::postgresql, {},
              "libpq conninfo string or postgresql:// URI.")
              .Check([](const std::optional<std::string>& v) {
                return v && !v->empty()
                           ? ""
                           : "must be a libpq conninfo string or URI";
              }),
          exporterd::Section("mysql", &CatalogKeys::mysql, MysqlMap(),
                             "MySQL/MariaDB (MariaDB Connector/C)."),
      },
      [](ConfigReader& r, CatalogKeys*) {
        int set = r.Has("sqlite") + r.Has("postgresql") + r.Has("mysql");
        if (set != 1)
          r.Error("", set == 0 ? "needs one of sqlite, postgresql, mysql"
                               : "set only one of sqlite, postgresql, mysql");
      });
  return m;
}

const exporterd::ConfigMap<JobKeys>& JobMap() {
  static const exporterd::ConfigMap<JobKeys> m{
      Key("include", &JobKeys::include, {},
          "Job name regexes (full match) to report; empty: all.")
          .Check(Regexes),
      Key("exclude", &JobKeys::exclude, {},
          "Job name regexes (full match) to leave out; wins over include.")
          .Check(Regexes),
  };
  return m;
}

const exporterd::ConfigMap<Keys>& KeysMap() {
  static const exporterd::ConfigMap<Keys> m{
      exporterd::Section("catalog", &Keys::catalog, CatalogMap(),
                         "The catalog: exactly one of sqlite, postgresql, "
                         "mysql. Required unless on the embedded default."),
      Key("lookback", &Keys::lookback,
          std::chrono::milliseconds(std::chrono::hours(24 * 31)),
          "Window of bacula_job_runs and of running/waiting jobs.")
          .Range(std::chrono::milliseconds(1), exporterd::kMaxDuration),
      exporterd::Section("jobs", &Keys::jobs, JobMap(),
                         "Which jobs to report."),
  };
  return m;
}

std::vector<std::regex> CompileAll(const std::vector<std::string>& patterns) {
  std::vector<std::regex> out;
  for (const std::string& p : patterns)
    out.emplace_back(p, std::regex::ECMAScript);  // checked at Read()
  return out;
}

}  // namespace

std::string BaculaModule::ConfigReference() { return KeysMap().Reference(); }

std::unique_ptr<exporterd::Module> BaculaModule::Create(const ModuleEnv& env,
                                                        ConfigErrors& errors) {
  auto m = std::make_unique<BaculaModule>();
  m->logger_ = env.logger;
  m->now_ = [] { return static_cast<int64_t>(std::time(nullptr)); };
  Config& c = m->cfg_;
  ConfigReader r = exporterd::ModuleConfigReader(env, errors);
  const size_t errors_before = errors.list.size();
  const Keys k = KeysMap().Read(r);
  const bool has_catalog = k.catalog.has_value();
  c.lookback = k.lookback;
  c.include = k.jobs.include;
  c.exclude = k.jobs.exclude;
  if (errors.list.size() != errors_before) return m;
  m->include_ = CompileAll(c.include);
  m->exclude_ = CompileAll(c.exclude);
  if (has_catalog) {
    const CatalogKeys& cat = *k.catalog;
    if (cat.sqlite) {
      c.backend = "sqlite";
      c.target = *cat.sqlite;
    } else if (cat.postgresql) {
      c.backend = "postgresql";
      c.target = *cat.postgresql;
    } else if (cat.mysql) {
      const MysqlKeys& my = *cat.mysql;
      c.backend = "mysql";
      c.mysql.host = my.host;
      c.mysql.port = my.port;
      c.mysql.socket = my.socket.value_or("");
      c.mysql.user = my.user;
      c.mysql.database = my.database;
      c.mysql.password = my.password;
      c.password_file = my.password_file.value_or("");
    }
  }
  if (!has_catalog) {
    if (env.embedded_default) {
      m->logger_->Info("no Bacula catalog configured, bacula is idle");
    } else {
      r.Error("",
              "catalog is required (sqlite: <path>, postgresql: "
              "<conninfo> or mysql: {host, port, user, password_file, "
              "database})");
    }
    return m;
  }
  if (c.backend == "sqlite") m->catalog_ = NewSqliteCatalog(c.target);
  if (c.backend == "postgresql") m->catalog_ = NewPostgresCatalog(c.target);
  if (c.backend == "mysql") {
    m->catalog_ = NewMysqlCatalog(c.mysql);
    c.target = m->catalog_->Describe();
  }
  return m;
}

bool BaculaModule::KeepJob(const std::string& name) const {
  bool keep = include_.empty();
  for (const auto& re : include_)
    if (std::regex_match(name, re)) keep = true;
  for (const auto& re : exclude_)
    if (std::regex_match(name, re)) keep = false;
  return keep;
}

CollectResult BaculaModule::Collect(const CollectRequest& req) {
  std::lock_guard<std::mutex> collect_lock(collect_mu_);
  CollectResult res;
  const auto started = std::chrono::steady_clock::now();
  std::string error;
  Snapshot snap;
  std::unique_ptr<CatalogSession> session =
      catalog_->Open(req.deadline, req.cancelled, &error);
  bool ok = session != nullptr;
  if (ok) {
    ReadOptions opts;
    opts.now = now_();
    opts.lookback_seconds =
        std::chrono::duration_cast<std::chrono::seconds>(cfg_.lookback).count();
    if (!include_.empty() || !exclude_.empty())
      opts.keep_job = [this](const std::string& n) { return KeepJob(n); };
    ok = reader_.Read(*session, opts, &snap, &error);
  }
  session.reset();
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  std::ostringstream d;
  d << "last scrape: took " << took << "s, ";
  if (ok) {
    res.families = BuildFamilies(snap);
    d << reader_.last_mode() << ", jobs=" << snap.last.size()
      << " running=" << snap.running << " pools=" << snap.pool_volumes.size()
      << "\n";
  } else {
    res.ok = false;
    res.error = error;
    d << "error: " << error << "\n";
  }
  std::lock_guard<std::mutex> lock(mu_);
  last_debug_ = d.str();
  return res;
}

std::string BaculaModule::Debug() const {
  std::ostringstream d;
  if (catalog_ == nullptr) {
    d << "idle: no catalog configured\n";
  } else {
    d << "catalog: " << catalog_->Describe() << "\n";
  }
  d << "lookback: " << exporterd::FormatDuration(cfg_.lookback) << "\n";
  for (const auto& p : cfg_.include) d << "jobs.include: " << p << "\n";
  for (const auto& p : cfg_.exclude) d << "jobs.exclude: " << p << "\n";
  std::lock_guard<std::mutex> lock(mu_);
  d << last_debug_;
  return d.str();
}

}  // namespace bacula

EXPORTERD_MODULE(bacula, bacula::BaculaModule)
