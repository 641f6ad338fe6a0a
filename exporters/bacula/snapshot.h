// What the module reads from the catalog in one scrape, and the pure rules
// that classify Bacula's status, level and type codes (src/jcr.h).
#ifndef EXPORTERS_BACULA_SNAPSHOT_H_
#define EXPORTERS_BACULA_SNAPSHOT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace bacula {

// (Name, Client name, Type code): one series set per key.
struct JobKey {
  std::string name;
  std::string client;
  char type = 'B';
  auto Tie() const { return std::tie(name, client, type); }
  bool operator<(const JobKey& o) const { return Tie() < o.Tie(); }
  bool operator==(const JobKey& o) const { return Tie() == o.Tie(); }
};

// The newest finished job of a key (highest JobId).
struct LastJob {
  JobKey key;
  int64_t job_id = 0;
  char level = ' ';
  char status = '?';
  int64_t tdate = 0;  // JobTDate: Unix time of the job's (real) end
  int64_t files = 0;
  int64_t bytes = 0;
  int64_t errors = 0;
  int64_t missing_files = 0;
  std::optional<double> duration_seconds;  // RealEndTime/EndTime - StartTime
};

struct Snapshot {
  std::vector<LastJob> last;
  // key -> level ("full", "differential", "incremental") -> newest JobTDate
  std::map<JobKey, std::map<std::string, int64_t>> last_success;
  // key -> result class -> finished jobs with JobTDate within the lookback
  std::map<JobKey, std::map<std::string, int64_t>> runs;
  int64_t running = 0;
  std::map<std::string, int64_t> waiting;  // reason -> jobs
  // pool -> VolStatus -> volumes; pool -> bytes
  std::map<std::string, std::map<std::string, int64_t>> pool_volumes;
  std::map<std::string, int64_t> pool_bytes;
};

// ok, warning, error, fatal, canceled, other. `T` and `W` with JobErrors or
// JobMissingFiles > 0 (or W itself) are warnings.
std::string StatusClass(char status, int64_t errors, int64_t missing_files);
const std::vector<std::string>& StatusClasses();

// Job status codes of jobs that have not finished.
bool IsRunningCode(char status);  // R, a, i, L, l, u, w
// The bacula_jobs_waiting reason of a waiting code, or empty.
std::string WaitingReason(char status);
const std::vector<std::string>& WaitingReasons();
// "'R','a',..." for SQL IN lists: every unfinished code.
std::string UnfinishedCodesSql();
// Whether a JobStatus value is in that list (one character, a running or
// waiting code), as SQL's `JobStatus IN (...)` decides.
bool IsUnfinishedStatus(std::string_view status);

// full (F, VirtualFull f), differential (D), incremental (I), or empty.
std::string SuccessLevel(char level);

// "" for backups (no type label), else restore, admin, verify, copy, ...
std::string TypeLabel(char type);

// Volume statuses always exported per pool (zero when absent).
const std::vector<std::string>& VolumeStatuses();

// "YYYY-MM-DD HH:MM:SS[.frac]" read as UTC; nullopt for 0/NULL/garbage.
// Only differences of two such values are meaningful (director-local time).
std::optional<int64_t> ParseCatalogTime(std::string_view s);

}  // namespace bacula

#endif  // EXPORTERS_BACULA_SNAPSHOT_H_
