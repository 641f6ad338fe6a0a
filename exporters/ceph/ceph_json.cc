#include "ceph_json.h"

#include <simdjson.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <unordered_set>
#include <utility>

namespace ceph {
namespace {

using simdjson::SUCCESS;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

bool IsAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)); }

// Calls f(begin, end) for each bare inf/-inf/nan/-nan/Infinity/NaN token
// outside strings. Strings are skipped with memchr.
template <class F>
void ScanBareNonFinite(std::string_view in, F&& f) {
  const size_t n = in.size();
  size_t i = 0;
  while (i < n) {
    const char c = in[i];
    if (c == '"') {
      size_t from = i + 1;
      i = n;
      while (from < n) {
        const void* p = std::memchr(in.data() + from, '"', n - from);
        if (!p) break;
        const size_t q =
            static_cast<size_t>(static_cast<const char*>(p) - in.data());
        size_t b = q;
        while (b > from && in[b - 1] == '\\') --b;
        from = q + 1;
        if ((q - b) % 2 == 0) {  // not escaped
          i = q + 1;
          break;
        }
      }
      continue;
    }
    if (IsAlpha(c) && (i == 0 || !IsIdentChar(in[i - 1]))) {
      size_t j = i;
      while (j < n && IsIdentChar(in[j])) ++j;
      std::string_view w = in.substr(i, j - i);
      auto eq = [w](std::string_view lower) {
        if (w.size() != lower.size()) return false;
        for (size_t k = 0; k < w.size(); ++k)
          if (std::tolower(static_cast<unsigned char>(w[k])) != lower[k])
            return false;
        return true;
      };
      if (eq("inf") || eq("nan") || eq("infinity"))
        f(i > 0 && in[i - 1] == '-' ? i - 1 : i, j);
      i = j;
      continue;
    }
    ++i;
  }
}

// Parses `text` into `parser`'s document (*root lives as long as the parser:
// strings are copied into it, `text` may go). Bare inf/nan tokens are not
// JSON, so the fast parse fails on them: only then is the text scanned for
// them and, if there are any, parsed again with them turned into null.
bool Load(std::string_view text, simdjson::dom::parser* parser, element* root,
          std::string* error) {
  // parse() copies the text into the parser's padded buffer (reused by the
  // retry): a string_view gives no guarantee of SIMDJSON_PADDING readable
  // bytes past its end, and the copy is a small part of the parse.
  simdjson::error_code ec = parser->parse(text.data(), text.size()).get(*root);
  if (ec != SUCCESS) {
    bool bare = false;
    ScanBareNonFinite(text, [&](size_t, size_t) { bare = true; });
    if (bare) {
      const std::string clean = SanitizeCephJson(text);
      ec = parser->parse(clean.data(), clean.size()).get(*root);
    }
  }
  if (ec != SUCCESS) {
    *error = std::string("invalid JSON: ") + simdjson::error_message(ec);
    return false;
  }
  return true;
}

// Numbers: Ceph prints some as ints or floats depending on the release, so
// every reader accepts all three kinds. null (a sanitised inf/nan), absent
// and values of another type read as the default.
double AsDouble(element v, double def) {
  switch (v.type()) {
    case element_type::INT64:
      return static_cast<double>(v.get_int64().value_unsafe());
    case element_type::UINT64:
      return static_cast<double>(v.get_uint64().value_unsafe());
    case element_type::DOUBLE:
      return v.get_double().value_unsafe();
    default:
      return def;
  }
}

// Negative -> 0, floats truncated (and clamped: no UB on 1e30).
uint64_t AsU64(element v, uint64_t def) {
  switch (v.type()) {
    case element_type::INT64: {
      const int64_t i = v.get_int64().value_unsafe();
      return i < 0 ? 0 : static_cast<uint64_t>(i);
    }
    case element_type::UINT64:
      return v.get_uint64().value_unsafe();
    case element_type::DOUBLE: {
      const double d = v.get_double().value_unsafe();
      if (!(d > 0)) return 0;  // also NaN
      if (d >= 18446744073709551616.0)
        return std::numeric_limits<uint64_t>::max();
      return static_cast<uint64_t>(d);
    }
    default:
      return def;
  }
}

// Floats truncated; out-of-range values clamped.
int64_t AsI64(element v, int64_t def) {
  switch (v.type()) {
    case element_type::INT64:
      return v.get_int64().value_unsafe();
    case element_type::UINT64: {
      const uint64_t u = v.get_uint64().value_unsafe();
      return u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                 ? std::numeric_limits<int64_t>::max()
                 : static_cast<int64_t>(u);
    }
    case element_type::DOUBLE: {
      const double d = v.get_double().value_unsafe();
      if (d != d) return 0;
      if (d >= 9223372036854775808.0)
        return std::numeric_limits<int64_t>::max();
      if (d < -9223372036854775808.0)
        return std::numeric_limits<int64_t>::min();
      return static_cast<int64_t>(d);
    }
    default:
      return def;
  }
}

// The last value of each of N keys of one object, collected in a single
// pass over its fields; other keys are skipped without being looked at
// further (simdjson's tape jumps over whole subtrees). A repeated key: the
// last one wins, as in a JSON DOM.
template <size_t N>
class Fields {
 public:
  Fields(object o, const std::string_view (&keys)[N]) {
    for (const simdjson::dom::key_value_pair field : o) {
      for (size_t i = 0; i < N; ++i) {
        if (field.key == keys[i]) {
          value_[i] = field.value;
          has_[i] = true;
          break;
        }
      }
    }
  }

  bool Has(size_t i) const { return has_[i]; }
  element Value(size_t i) const { return value_[i]; }
  bool Object(size_t i, object* out) const {
    return has_[i] && value_[i].get(*out) == SUCCESS;
  }
  bool Array(size_t i, array* out) const {
    return has_[i] && value_[i].get(*out) == SUCCESS;
  }
  double Num(size_t i, double def) const {
    return has_[i] ? AsDouble(value_[i], def) : def;
  }
  uint64_t U64(size_t i, uint64_t def = 0) const {
    return has_[i] ? AsU64(value_[i], def) : def;
  }
  int64_t I64(size_t i, int64_t def = 0) const {
    return has_[i] ? AsI64(value_[i], def) : def;
  }
  // Empty when absent or not a string.
  std::string_view View(size_t i) const {
    std::string_view s;
    if (!has_[i] || value_[i].get(s) != SUCCESS) return {};
    return s;
  }
  std::string Str(size_t i) const { return std::string(View(i)); }
  // `up`/`in` are ints (0/1) in osd dump; accept bools too.
  bool Flag(size_t i) const {
    if (!has_[i]) return false;
    bool b = false;
    if (value_[i].get(b) == SUCCESS) return b;
    return AsDouble(value_[i], 0) != 0;
  }

 private:
  element value_[N];
  bool has_[N] = {};
};

bool ParseDfNode(element n, OsdDfNode* out) {
  enum {
    kId,
    kType,
    kName,
    kDeviceClass,
    kCrushWeight,
    kReweight,
    kKb,
    kKbUsed,
    kKbAvail,
    kUtilization,
    kVar,
    kPgs,
    kStatus,
  };
  static constexpr std::string_view kKeys[] = {
      "id",       "type", "name",    "device_class", "crush_weight",
      "reweight", "kb",   "kb_used", "kb_avail",     "utilization",
      "var",      "pgs",  "status"};
  object o;
  if (n.get(o) != SUCCESS) return false;
  const Fields f(o, kKeys);
  const int64_t id = f.I64(kId, -1);
  const std::string_view type = f.View(kType);
  if (id < 0 || (!type.empty() && type != "osd")) return false;  // bucket
  out->id = static_cast<int>(id);
  out->name = f.Str(kName);
  if (out->name.empty()) out->name = "osd." + std::to_string(id);
  out->device_class = f.Str(kDeviceClass);
  out->crush_weight = f.Num(kCrushWeight, 0);
  out->reweight = f.Num(kReweight, 0);
  out->kb = f.U64(kKb);
  out->kb_used = f.U64(kKbUsed);
  out->kb_avail = f.U64(kKbAvail);
  out->utilization_pct = f.Num(kUtilization, 0);
  out->var = f.Num(kVar, 0);
  out->pgs = f.I64(kPgs);
  out->status = f.Str(kStatus);
  return true;
}

}  // namespace

std::string SanitizeCephJson(std::string_view in) {
  std::string out;
  out.reserve(in.size() + 16);
  size_t copied = 0;
  ScanBareNonFinite(in, [&](size_t begin, size_t end) {
    out.append(in.substr(copied, begin - copied));
    out += "null";
    copied = end;
  });
  out.append(in.substr(copied));
  return out;
}

bool ParseOsdDf(std::string_view text, OsdDf* out, std::string* error) {
  simdjson::dom::parser parser;
  element root;
  if (!Load(text, &parser, &root, error)) return false;
  enum { kNodes, kStray, kSummary };
  static constexpr std::string_view kKeys[] = {"nodes", "stray", "summary"};
  object o;
  array nodes;
  if (root.get(o) != SUCCESS) {
    *error = "osd df: no \"nodes\" array";
    return false;
  }
  const Fields f(o, kKeys);
  if (!f.Array(kNodes, &nodes)) {
    *error = "osd df: no \"nodes\" array";
    return false;
  }
  *out = OsdDf();
  out->nodes.reserve(nodes.size());
  std::unordered_set<int> seen;  // an OSD may sit in two CRUSH buckets
  seen.reserve(nodes.size());
  array stray;
  const bool has_stray = f.Array(kStray, &stray);
  for (const array* section : {&nodes, has_stray ? &stray : nullptr}) {
    if (!section) continue;
    for (const element n : *section) {
      OsdDfNode node;
      if (!ParseDfNode(n, &node)) continue;
      if (!seen.insert(node.id).second) continue;
      out->nodes.push_back(std::move(node));
    }
  }
  object summary;
  if (f.Object(kSummary, &summary)) {
    enum { kTotalKb, kTotalKbUsed, kTotalKbAvail, kAverage, kDev };
    static constexpr std::string_view kSummaryKeys[] = {
        "total_kb", "total_kb_used", "total_kb_avail", "average_utilization",
        "dev"};
    const Fields s(summary, kSummaryKeys);
    out->total_kb = s.U64(kTotalKb);
    out->total_kb_used = s.U64(kTotalKbUsed);
    out->total_kb_avail = s.U64(kTotalKbAvail);
    out->average_utilization_pct = s.Num(kAverage, 0);
    out->dev_pct = s.Num(kDev, 0);
  }
  return true;
}

bool ParseOsdDump(std::string_view text, OsdDump* out, std::string* error) {
  simdjson::dom::parser parser;
  element root;
  if (!Load(text, &parser, &root, error)) return false;
  enum { kOsds, kEpoch, kFull, kBackfillfull, kNearfull };
  static constexpr std::string_view kKeys[] = {
      "osds", "epoch", "full_ratio", "backfillfull_ratio", "nearfull_ratio"};
  object o;
  array osds;
  if (root.get(o) != SUCCESS) {
    *error = "osd dump: no \"osds\" array";
    return false;
  }
  const Fields f(o, kKeys);
  if (!f.Array(kOsds, &osds)) {
    *error = "osd dump: no \"osds\" array";
    return false;
  }
  *out = OsdDump();
  out->epoch = f.I64(kEpoch);
  // Floats in the OSDMap, printed with max_digits10 (0.949999988): round
  // back to the value that was set.
  auto ratio = [&](size_t key) {
    double v = f.Num(key, NAN);
    return std::isfinite(v) ? std::round(v * 1e6) / 1e6 : v;
  };
  out->full_ratio = ratio(kFull);
  out->backfillfull_ratio = ratio(kBackfillfull);
  out->nearfull_ratio = ratio(kNearfull);
  out->osds.reserve(osds.size());
  enum { kOsd, kUp, kIn, kWeight };
  static constexpr std::string_view kOsdKeys[] = {"osd", "up", "in", "weight"};
  for (const element e : osds) {
    object osd;
    if (e.get(osd) != SUCCESS) continue;
    const Fields g(osd, kOsdKeys);
    const int64_t id = g.I64(kOsd, -1);
    if (id < 0) continue;
    OsdDumpOsd d;
    d.id = static_cast<int>(id);
    d.up = g.Flag(kUp);
    d.in = g.Flag(kIn);
    d.weight = g.Num(kWeight, 0);
    if (!(d.weight >= 0)) d.weight = 0;
    if (d.weight > 1) d.weight = 1;
    // Printed as weight/65536.0; 6 decimals still round-trip.
    d.weight_raw = static_cast<uint32_t>(std::lround(d.weight * 65536.0));
    out->osds.push_back(d);
  }
  return true;
}

bool ParsePgDumpOsds(std::string_view text, PgDumpOsds* out,
                     std::string* error) {
  simdjson::dom::parser parser;
  element root;
  if (!Load(text, &parser, &root, error)) return false;
  *out = PgDumpOsds();
  array stats;
  bool found = false;
  object o;
  if (root.get(stats) == SUCCESS) {  // old releases: the bare array
    found = true;
  } else if (root.get(o) == SUCCESS) {
    enum { kPgReady, kOsdStats, kPgMap };
    static constexpr std::string_view kKeys[] = {"pg_ready", "osd_stats",
                                                 "pg_map"};
    const Fields f(o, kKeys);
    if (f.Has(kPgReady)) {
      bool ready = true;
      const element v = f.Value(kPgReady);
      if (v.get(ready) == SUCCESS) out->pg_ready = ready;
    }
    if (f.Has(kOsdStats)) {
      found = f.Array(kOsdStats, &stats);
    } else {
      object pg_map;  // `pg dump` without dumpcontents
      if (f.Object(kPgMap, &pg_map)) {
        static constexpr std::string_view kPgMapKeys[] = {"osd_stats"};
        found = Fields(pg_map, kPgMapKeys).Array(0, &stats);
      }
    }
  }
  if (!found) {
    *error = "pg dump osds: no \"osd_stats\" array";
    return false;
  }
  out->osd_stats.reserve(stats.size());
  enum { kOsd, kNumPgs, kStatfs, kKb, kKbAvail };
  static constexpr std::string_view kStatKeys[] = {"osd", "num_pgs", "statfs",
                                                   "kb", "kb_avail"};
  enum { kTotal, kAvailable };
  static constexpr std::string_view kStatfsKeys[] = {"total", "available"};
  for (const element e : stats) {
    object s;
    if (e.get(s) != SUCCESS) continue;
    const Fields f(s, kStatKeys);
    const int64_t id = f.I64(kOsd, -1);
    if (id < 0) continue;
    OsdStat st;
    st.id = static_cast<int>(id);
    st.num_pgs = f.I64(kNumPgs);
    object statfs;
    if (f.Object(kStatfs, &statfs)) {
      const Fields fs(statfs, kStatfsKeys);
      st.total = fs.U64(kTotal);
      st.available = fs.U64(kAvailable);
    } else {  // pre-Mimic: kB only
      st.total = f.U64(kKb) << 10;
      st.available = f.U64(kKbAvail) << 10;
    }
    out->osd_stats.push_back(st);
  }
  return true;
}

bool ParseDf(std::string_view text, DfStats* out, std::string* error) {
  simdjson::dom::parser parser;
  element root;
  if (!Load(text, &parser, &root, error)) return false;
  static constexpr std::string_view kKeys[] = {"stats"};
  object o, stats;
  if (root.get(o) != SUCCESS || !Fields(o, kKeys).Object(0, &stats)) {
    *error = "df: no \"stats\" object";
    return false;
  }
  enum { kTotal, kAvail, kUsed, kUsedRaw };
  static constexpr std::string_view kStatsKeys[] = {
      "total_bytes", "total_avail_bytes", "total_used_bytes",
      "total_used_raw_bytes"};
  const Fields f(stats, kStatsKeys);
  *out = DfStats();
  out->total_bytes = f.U64(kTotal);
  out->total_avail_bytes = f.U64(kAvail);
  out->total_used_bytes = f.U64(kUsed);
  out->total_used_raw_bytes = f.U64(kUsedRaw, out->total_used_bytes);
  return true;
}

bool ParseHealthStatus(std::string_view text, int* status, std::string* error) {
  simdjson::dom::parser parser;
  element root;
  if (!Load(text, &parser, &root, error)) return false;
  std::string_view s;
  object o;
  if (root.get(o) == SUCCESS) {
    enum { kStatus, kHealth, kOverall };
    static constexpr std::string_view kKeys[] = {"status", "health",
                                                 "overall_status"};
    const Fields f(o, kKeys);
    s = f.View(kStatus);
    object health;
    if (s.empty() && f.Object(kHealth, &health)) {
      static constexpr std::string_view kHealthKeys[] = {"status",
                                                         "overall_status"};
      const Fields h(health, kHealthKeys);
      s = h.View(0);
      if (s.empty()) s = h.View(1);
    }
    if (s.empty()) s = f.View(kOverall);
  }
  if (s == "HEALTH_OK") {
    *status = 0;
  } else if (s == "HEALTH_WARN") {
    *status = 1;
  } else if (s == "HEALTH_ERR") {
    *status = 2;
  } else {
    *error = "health: unknown status \"" + std::string(s) + "\"";
    return false;
  }
  return true;
}

}  // namespace ceph
