#include "catalog_reader.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>

namespace bacula {
namespace {

// Identifiers are unquoted: PostgreSQL folds them to lower case, which is
// how Bacula's make_postgresql_tables creates them; MySQL matches table names
// case-sensitively on Linux, and make_mysql_tables creates them as written
// here (Job, Client, ...). Code columns are BINARY(1) and names TINYBLOB on
// MySQL, so comparisons and GROUP BY Name are case-sensitive everywhere
// ('F' full vs 'f' fatal). No concatenation, casts, LIMIT or date functions:
// one text of each statement serves all backends. The two statements that
// must see the whole Job table are one pass each; everything else uses the
// primary key or the schema's JobTDate index (docs in README.md).

std::string ClientsSql() { return "SELECT ClientId, Name FROM Client"; }

// One pass over Job (or its JobId range from `from`): newest finished JobId
// per (Name, ClientId, Type) and the newest successful JobTDate per level.
std::string GroupsSql(int64_t from) {
  auto success = [](const char* levels) {
    return std::string("MAX(CASE WHEN JobStatus IN ('T', 'W') AND Level IN (") +
           levels + ") THEN JobTDate END)";
  };
  return "SELECT Name, ClientId, Type, MAX(JobId), " + success("'F', 'f'") +
         ", " + success("'D'") + ", " + success("'I'") + " FROM Job WHERE " +
         (from > 0 ? "JobId >= " + std::to_string(from) + " AND " : "") +
         "JobStatus NOT IN (" + UnfinishedCodesSql() +
         ") GROUP BY Name, ClientId, Type";
}

// The newest jobs by primary key.
std::string LastJobsSql(const std::vector<int64_t>& ids) {
  std::string in;
  for (int64_t id : ids) {
    if (!in.empty()) in += ",";
    in += std::to_string(id);
  }
  return "SELECT JobId, Level, JobStatus, JobTDate, JobFiles, JobBytes, "
         "JobErrors, JobMissingFiles, StartTime, EndTime, RealEndTime "
         "FROM Job WHERE JobId IN (" +
         in + ")";
}

// Jobs with JobTDate in the lookback, in one JobTDate range read, grouped:
// the finished ones give the run counts, the unfinished ones the running and
// waiting jobs (their JobTDate is the SchedTime/StartTime, so rows left
// behind by a crashed director drop out after the lookback) and, as
// MIN(JobId), where the next delta pass starts. SUBSTR(Name, 1) is Name
// itself, but a VARBINARY(255) on MySQL instead of the TINYBLOB column:
// MariaDB groups it in an in-memory temporary table (a BLOB column forces
// an Aria one), and SQLite cannot pick the Name index for the GROUP BY
// instead of the JobTDate one.
std::string WindowSql(int64_t since) {
  const std::string flagged =
      "CASE WHEN JobErrors > 0 OR JobMissingFiles > 0 THEN 1 ELSE 0 END";
  const std::string keys =
      "SUBSTR(Name, 1), ClientId, Type, JobStatus, " + flagged;
  return "SELECT " + keys +
         ", COUNT(*), MIN(JobId) FROM Job WHERE JobTDate >= " +
         std::to_string(since) + " GROUP BY " + keys;
}

std::string PoolsSql() {
  return "SELECT p.Name, m.VolStatus, COUNT(m.MediaId), "
         "COALESCE(SUM(m.VolBytes), 0) "
         "FROM Pool p LEFT JOIN Media m ON m.PoolId = p.PoolId "
         "GROUP BY p.Name, m.VolStatus";
}

int64_t Int(const std::optional<std::string>& v) {
  if (!v) return 0;
  int64_t out = 0;
  std::from_chars(v->data(), v->data() + v->size(), out);
  return out;
}

std::string Str(const std::optional<std::string>& v) { return v ? *v : ""; }

char Code(const std::optional<std::string>& v) {
  return v && !v->empty() ? (*v)[0] : ' ';
}

// total += n, held at the int64 limits: counts and bytes are the catalog's
// numbers, and a damaged or hostile catalog can hold any (the sum of two is
// signed overflow otherwise).
void AddTo(int64_t& total, int64_t n) {
  if (__builtin_add_overflow(total, n, &total))
    total = n > 0 ? std::numeric_limits<int64_t>::max()
                  : std::numeric_limits<int64_t>::min();
}

bool Kept(const ReadOptions& o, const std::string& name) {
  return !o.keep_job || o.keep_job(name);
}

}  // namespace

bool ReadSnapshot(CatalogSession& session, const ReadOptions& opts,
                  Snapshot* out, std::string* error) {
  CatalogReader reader;
  return reader.Read(session, opts, out, error);
}

bool CatalogReader::Read(CatalogSession& session, const ReadOptions& opts,
                         Snapshot* out, std::string* error) {
  *out = Snapshot();
  const int64_t since = opts.now - opts.lookback_seconds;
  std::vector<Row> rows;

  std::map<std::string, std::string> clients;  // ClientId -> Name
  if (!session.Query(ClientsSql(), &rows, error)) return false;
  for (const Row& r : rows)
    if (r.size() >= 2 && r[0]) clients[*r[0]] = Str(r[1]);
  auto client = [&](const std::optional<std::string>& id) {
    auto it = id ? clients.find(*id) : clients.end();
    return it == clients.end() ? std::string() : it->second;
  };

  // Work on copies: a failed read leaves the remembered state as it was.
  const bool full =
      force_full_ || groups_.empty() || opts.now - last_full_ >= full_every_;
  int64_t from = 0;
  std::map<GroupKey, Group> groups;
  int64_t max_id = 0;
  if (!full) {
    groups = groups_;
    max_id = max_seen_id_;
    // Past the newest JobId seen (none can follow the largest int64).
    from = max_seen_id_ == std::numeric_limits<int64_t>::max()
               ? max_seen_id_
               : max_seen_id_ + 1;
    if (min_unfinished_id_ > 0) from = std::min(from, min_unfinished_id_);
  }
  if (!session.Query(GroupsSql(from), &rows, error)) return false;
  for (const Row& r : rows) {
    if (r.size() < 7) continue;
    Group& g = groups[GroupKey{Str(r[0]), Str(r[1]), Code(r[2])}];
    g.last_id = std::max(g.last_id, Int(r[3]));
    max_id = std::max(max_id, g.last_id);
    for (int l = 0; l < 3; ++l)
      if (r[4 + l])
        g.success[l] = std::max(g.success[l].value_or(0), Int(r[4 + l]));
  }

  static const char* const kLevels[] = {"full", "differential", "incremental"};
  std::map<int64_t, JobKey> last_ids;
  for (const auto& [gk, g] : groups) {
    JobKey k{gk.name, clients.count(gk.client_id) ? clients[gk.client_id] : "",
             gk.type};
    if (!Kept(opts, k.name)) continue;
    last_ids[g.last_id] = k;
    if (k.type != 'B') continue;
    for (int l = 0; l < 3; ++l) {
      if (!g.success[l]) continue;
      int64_t& t = out->last_success[k][kLevels[l]];
      t = std::max(t, *g.success[l]);
    }
  }

  bool deleted = false;
  if (!last_ids.empty()) {
    std::vector<int64_t> ids;
    for (const auto& [id, unused] : last_ids) ids.push_back(id);
    if (!session.Query(LastJobsSql(ids), &rows, error)) return false;
    std::map<JobKey, LastJob> by_key;
    for (const Row& r : rows) {
      if (r.size() < 11) continue;
      LastJob j;
      j.job_id = Int(r[0]);
      auto it = last_ids.find(j.job_id);
      if (it == last_ids.end()) continue;
      j.key = it->second;
      j.level = Code(r[1]);
      j.status = Code(r[2]);
      j.tdate = Int(r[3]);
      j.files = Int(r[4]);
      j.bytes = Int(r[5]);
      j.errors = Int(r[6]);
      j.missing_files = Int(r[7]);
      std::optional<int64_t> start, end;
      if (r[8]) start = ParseCatalogTime(*r[8]);
      if (r[10]) end = ParseCatalogTime(*r[10]);
      if (!end && r[9]) end = ParseCatalogTime(*r[9]);
      if (start && end && *end >= *start)
        j.duration_seconds = static_cast<double>(*end - *start);
      LastJob& slot = by_key[j.key];
      if (j.job_id > slot.job_id) slot = std::move(j);
    }
    // A remembered job was deleted (pruned, purged): the next read is full.
    deleted = rows.size() < ids.size();
    for (auto& [key, j] : by_key) out->last.push_back(std::move(j));
  }

  if (!session.Query(WindowSql(since), &rows, error)) return false;
  int64_t min_unfinished = 0;
  for (const std::string& reason : WaitingReasons()) out->waiting[reason] = 0;
  for (const Row& r : rows) {
    if (r.size() < 7 || !r[3]) continue;  // NULL: neither IN nor NOT IN
    const std::string name = Str(r[0]);
    const char status = Code(r[3]);
    const int64_t n = Int(r[5]);
    if (!IsUnfinishedStatus(*r[3])) {
      if (!Kept(opts, name)) continue;
      const int64_t flagged = Int(r[4]);
      AddTo(out->runs[JobKey{name, client(r[1]), Code(r[2])}]
                     [StatusClass(status, flagged, flagged)],
            n);
      continue;
    }
    const int64_t id = Int(r[6]);
    if (min_unfinished == 0 || id < min_unfinished) min_unfinished = id;
    if (!Kept(opts, name)) continue;
    if (IsRunningCode(status)) {
      AddTo(out->running, n);
    } else {
      AddTo(out->waiting[WaitingReason(status)], n);
    }
  }

  if (!session.Query(PoolsSql(), &rows, error)) return false;
  for (const Row& r : rows) {
    if (r.size() < 4) continue;
    const std::string pool = Str(r[0]);
    auto& vols = out->pool_volumes[pool];
    for (const std::string& s : VolumeStatuses()) vols.try_emplace(s, 0);
    AddTo(out->pool_bytes[pool], Int(r[3]));
    if (r[1] && !r[1]->empty()) AddTo(vols[*r[1]], Int(r[2]));
  }

  groups_ = std::move(groups);
  max_seen_id_ = max_id;
  min_unfinished_id_ = min_unfinished;
  if (full) last_full_ = opts.now;
  force_full_ = deleted;
  last_mode_ = full ? "full" : "delta from JobId " + std::to_string(from);
  return true;
}

}  // namespace bacula
