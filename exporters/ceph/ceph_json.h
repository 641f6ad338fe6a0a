// Parsers for the JSON of the Ceph commands the module runs: `osd df`,
// `osd dump`, `pg dump osds`, `df` and `health`. Pure code: no librados.
//
// Parsed with simdjson's DOM, one parser per call: its buffers (peak about 6x
// the document) are freed after each parse. Unknown fields are ignored
// and missing optional fields keep their defaults, so newer and older
// releases parse as long as the core fields are there. Wherever a number is
// expected, ints, uints and floats are all accepted (Ceph prints some as
// either depending on the release); null and values of another type read as
// absent. A repeated key: the last one wins.
//
// Ceph's JSON is not always JSON: some releases print bare `inf`, `-inf`,
// `nan` and `-nan` for floats. The text is parsed as is first; only when
// that fails and such tokens are found does SanitizeCephJson() turn them
// (outside strings) into `null` for a second parse. Not accepted (valid JSON
// Ceph never prints): integers beyond 64 bits and nesting deeper than 1024.
#ifndef EXPORTERS_CEPH_CEPH_JSON_H_
#define EXPORTERS_CEPH_CEPH_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ceph {

// `inf`, `-inf`, `nan`, `-nan`, `Infinity`, `NaN` outside strings -> `null`.
std::string SanitizeCephJson(std::string_view in);

// One OSD row of `osd df -f json` (plain output: OSDs only).
struct OsdDfNode {
  int id = -1;
  std::string name;          // "osd.3"
  std::string device_class;  // may be empty
  double crush_weight = 0;
  double reweight = 0;
  uint64_t kb = 0;
  uint64_t kb_used = 0;
  uint64_t kb_avail = 0;
  double utilization_pct = 0;  // percent, as Ceph prints it
  double var = 0;
  int64_t pgs = 0;
  std::string status;  // "up" | "down" | "destroyed" (Nautilus+)
};

struct OsdDf {
  std::vector<OsdDfNode> nodes;  // "nodes" then "stray", de-duplicated by id
  uint64_t total_kb = 0;
  uint64_t total_kb_used = 0;
  uint64_t total_kb_avail = 0;
  double average_utilization_pct = 0;
  double dev_pct = 0;  // weighted stddev of utilization, percent points
};

// One entry of `osd dump -f json` "osds".
struct OsdDumpOsd {
  int id = -1;
  bool up = false;
  bool in = false;
  double weight = 0;        // reweight, 0..1
  uint32_t weight_raw = 0;  // the same in 1/65536 units (CEPH_OSD_IN = 0x10000)
};

struct OsdDump {
  int64_t epoch = 0;
  double full_ratio = 0;
  double backfillfull_ratio = 0;
  double nearfull_ratio = 0;
  std::vector<OsdDumpOsd> osds;
};

// One entry of `pg dump osds -f json` "osd_stats": exact byte counts.
struct OsdStat {
  int id = -1;
  uint64_t total = 0;      // statfs.total
  uint64_t available = 0;  // statfs.available
  int64_t num_pgs = 0;
};

struct PgDumpOsds {
  bool pg_ready = true;  // false right after a mgr failover
  // In the mgr's (unordered_map) order, which reweight-by-utilization also
  // iterates: keep it.
  std::vector<OsdStat> osd_stats;
};

struct DfStats {
  uint64_t total_bytes = 0;
  uint64_t total_avail_bytes = 0;
  uint64_t total_used_bytes = 0;
  uint64_t total_used_raw_bytes = 0;
};

// Each returns false and sets *error (one line) when the document is not
// usable; unknown fields are ignored.
bool ParseOsdDf(std::string_view json, OsdDf* out, std::string* error);
bool ParseOsdDump(std::string_view json, OsdDump* out, std::string* error);
bool ParsePgDumpOsds(std::string_view json, PgDumpOsds* out,
                     std::string* error);
bool ParseDf(std::string_view json, DfStats* out, std::string* error);
// `health -f json` or `status -f json`: 0 HEALTH_OK, 1 HEALTH_WARN,
// 2 HEALTH_ERR. Accepts {"status":...}, {"health":{"status":...}} and the
// pre-Luminous {"overall_status":...}.
bool ParseHealthStatus(std::string_view json, int* status, std::string* error);

}  // namespace ceph

#endif  // EXPORTERS_CEPH_CEPH_JSON_H_
