// The SQL layer: portable SELECTs (SQLite, PostgreSQL, MySQL/MariaDB) over the
// Bacula catalog tables Job, Client, Pool and Media, turned into a Snapshot.
#ifndef EXPORTERS_BACULA_CATALOG_READER_H_
#define EXPORTERS_BACULA_CATALOG_READER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "catalog.h"
#include "snapshot.h"

namespace bacula {

struct ReadOptions {
  int64_t now = 0;               // Unix time of the scrape
  int64_t lookback_seconds = 0;  // run counts: JobTDate >= now - lookback
  // Keeps a job name (include/exclude regexes); null keeps everything.
  std::function<bool(const std::string&)> keep_job;
};

// Reads snapshots, keeping what it learned from the Job table between
// scrapes: after a full pass (first scrape, every `full_every`, or when a
// remembered job was deleted) it reads only jobs with a JobId above the
// newest one seen or at/above the oldest unfinished one (a primary-key range).
// Not thread-safe; one per module, used under a lock.
class CatalogReader {
 public:
  explicit CatalogReader(int64_t full_every_seconds = 900)
      : full_every_(full_every_seconds) {}
  bool Read(CatalogSession& session, const ReadOptions& opts, Snapshot* out,
            std::string* error);
  // "full" or "delta from JobId N" for the last successful Read().
  const std::string& last_mode() const { return last_mode_; }

  struct GroupKey {  // (Name, ClientId, Type) as stored
    std::string name, client_id;
    char type = 'B';
    bool operator<(const GroupKey& o) const {
      return std::tie(name, client_id, type) <
             std::tie(o.name, o.client_id, o.type);
    }
  };
  struct Group {
    int64_t last_id = 0;
    std::optional<int64_t> success[3];  // full, differential, incremental
  };

 private:
  int64_t full_every_;
  std::map<GroupKey, Group> groups_;
  int64_t max_seen_id_ = 0;
  int64_t min_unfinished_id_ = 0;  // 0: none
  int64_t last_full_ = 0;
  bool force_full_ = true;
  std::string last_mode_;
};

// A full read (no state kept).
bool ReadSnapshot(CatalogSession& session, const ReadOptions& opts,
                  Snapshot* out, std::string* error);

}  // namespace bacula

#endif  // EXPORTERS_BACULA_CATALOG_READER_H_
