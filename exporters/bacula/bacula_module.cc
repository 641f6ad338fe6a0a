// Entry point of exporterd_bacula.so: config binding and the scrape.
#include "bacula_module.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>

#include "catalog_reader.h"
#include "metrics.h"

namespace bacula {
namespace {

using exporterd::CollectRequest;
using exporterd::CollectResult;
using exporterd::ConfigErrors;
using exporterd::ConfigReader;
using exporterd::ModuleEnv;

std::vector<std::regex> CompileAll(ConfigReader& r, const std::string& key,
                                   const std::vector<std::string>& patterns) {
  std::vector<std::regex> out;
  for (const std::string& p : patterns) {
    try {
      out.emplace_back(p, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      r.Error(key, "invalid regular expression \"" + p + "\": " + e.what());
    }
  }
  return out;
}

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

// catalog.mysql: {host, port, socket, user, password_file, database}.
void ReadMysql(ConfigReader my, Config* c) {
  MysqlOptions& o = c->mysql;
  const bool has_socket = my.Has("socket");
  if (has_socket && (my.Has("host") || my.Has("port")))
    my.Error("socket", "set either socket or host/port, not both");
  o.host = my.String("host", o.host);
  o.port = static_cast<int>(my.Int("port", o.port, 1, 65535));
  o.socket = my.String("socket", "");
  o.user = my.String("user", o.user);
  o.database = my.String("database", o.database);
  c->password_file = my.String("password_file", "");
  if (o.host.empty()) my.Error("host", "must not be empty");
  if (has_socket && (o.socket.empty() || o.socket[0] != '/'))
    my.Error("socket", "must be the absolute path of the server's socket");
  if (o.user.empty()) my.Error("user", "must not be empty");
  if (o.database.empty()) my.Error("database", "must not be empty");
  if (my.Has("password_file")) {
    const std::string& f = c->password_file;
    std::string why;
    std::optional<std::string> pw;
    if (f.empty() || f[0] != '/') {
      my.Error("password_file", "must be an absolute path");
    } else if (pw = ReadFirstLine(f, &why); !pw || pw->empty()) {
      my.Error("password_file",
               f + " " + (pw ? "has an empty first line" : why));
    } else {
      o.password = std::move(*pw);
    }
  }
  my.Finish();
}

}  // namespace

std::unique_ptr<exporterd::Module> BaculaModule::Create(const ModuleEnv& env,
                                                        ConfigErrors& errors) {
  auto m = std::make_unique<BaculaModule>();
  m->logger_ = env.logger;
  m->now_ = [] { return static_cast<int64_t>(std::time(nullptr)); };
  Config& c = m->cfg_;
  ConfigReader r = exporterd::ModuleConfigReader(env, errors);
  const bool has_catalog = r.Has("catalog");
  if (has_catalog) {
    ConfigReader cat = r.Child("catalog");
    int set = 0;
    if (cat.Has("sqlite")) {
      c.backend = "sqlite";
      c.target = cat.String("sqlite", "");
      if (c.target.empty() || c.target[0] != '/')
        cat.Error("sqlite", "must be the absolute path of the catalog file");
      ++set;
    }
    if (cat.Has("postgresql")) {
      c.backend = "postgresql";
      c.target = cat.String("postgresql", "");
      if (c.target.empty())
        cat.Error("postgresql", "must be a libpq conninfo string or URI");
      ++set;
    }
    if (cat.Has("mysql")) {
      c.backend = "mysql";
      ReadMysql(cat.Child("mysql"), &c);
      ++set;
    }
    if (set != 1)
      cat.Error("", set == 0 ? "needs one of sqlite, postgresql, mysql"
                             : "set only one of sqlite, postgresql, mysql");
    cat.Finish();
  }
  c.lookback = r.Duration("lookback", c.lookback);
  if (c.lookback.count() <= 0) r.Error("lookback", "must be positive");
  if (r.Has("jobs")) {
    ConfigReader jobs = r.Child("jobs");
    c.include = jobs.StringList("include", {});
    c.exclude = jobs.StringList("exclude", {});
    m->include_ = CompileAll(jobs, "include", c.include);
    m->exclude_ = CompileAll(jobs, "exclude", c.exclude);
    jobs.Finish();
  }
  r.Finish();
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
  if (!errors.empty()) return m;
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
