#include "ceph_json.h"

#include <cctype>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>
#include <vector>

namespace ceph {
namespace {

using nlohmann::json;

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

// Every key any parser below reads. Loading builds a DOM of these only: the
// documents carry far more (addresses, osd_xinfo, heartbeat peers), and not
// building those subtrees is what makes a 10,000-OSD scrape fast.
bool Wanted(std::string_view k) {
  static const std::set<std::string_view, std::less<>> kKeys = {
      "available",
      "average_utilization",
      "backfillfull_ratio",
      "crush_weight",
      "dev",
      "device_class",
      "epoch",
      "full_ratio",
      "health",
      "id",
      "in",
      "kb",
      "kb_avail",
      "kb_used",
      "name",
      "nearfull_ratio",
      "nodes",
      "num_pgs",
      "osd",
      "osd_stats",
      "osds",
      "overall_status",
      "pg_map",
      "pg_ready",
      "pgs",
      "reweight",
      "stats",
      "status",
      "statfs",
      "stray",
      "summary",
      "total",
      "total_avail_bytes",
      "total_bytes",
      "total_kb",
      "total_kb_avail",
      "total_kb_used",
      "total_used_bytes",
      "total_used_raw_bytes",
      "type",
      "up",
      "utilization",
      "var",
      "weight"};
  return kKeys.count(k) != 0;
}

// nlohmann's DOM builder, minus the subtrees of unwanted keys.
class FilteredDom : public nlohmann::json_sax<json> {
 public:
  explicit FilteredDom(json* root) : root_(root) {}

  bool null() override { return Value(nullptr); }
  bool boolean(bool v) override { return Value(v); }
  bool number_integer(number_integer_t v) override { return Value(v); }
  bool number_unsigned(number_unsigned_t v) override { return Value(v); }
  bool number_float(number_float_t v, const string_t&) override {
    return Value(v);
  }
  bool string(string_t& v) override { return Value(std::move(v)); }
  bool binary(binary_t&) override { return Value(nullptr); }
  bool start_object(std::size_t) override { return Open(json::object()); }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(json::array()); }
  bool end_array() override { return Close(); }
  bool key(string_t& k) override {
    if (skip_ > 0) return true;
    if (!Wanted(k)) {
      skip_next_ = true;
      return true;
    }
    key_target_ = &(*stack_.back())[k];
    return true;
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  // Stores a value where the parser is; returns where it went.
  json* Place(json v) {
    if (stack_.empty()) {
      *root_ = std::move(v);
      return root_;
    }
    json* top = stack_.back();
    if (top->is_array()) {
      top->push_back(std::move(v));
      return &top->back();
    }
    *key_target_ = std::move(v);
    return key_target_;
  }
  template <class V>
  bool Value(V&& v) {
    if (skip_ > 0) return true;
    if (skip_next_) {
      skip_next_ = false;
      return true;
    }
    Place(json(std::forward<V>(v)));
    return true;
  }
  bool Open(json empty) {
    if (skip_ > 0 || skip_next_) {
      skip_next_ = false;
      ++skip_;
      return true;
    }
    stack_.push_back(Place(std::move(empty)));
    return true;
  }
  bool Close() {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    stack_.pop_back();
    return true;
  }

  json* root_;
  std::vector<json*> stack_;  // open containers that are kept
  json* key_target_ = nullptr;
  int skip_ = 0;  // depth inside a skipped container
  bool skip_next_ = false;
};

// Parses after sanitising (only when needed); false with *error on failure.
bool Load(std::string_view text, json* out, std::string* error) {
  bool bare = false;
  ScanBareNonFinite(text, [&](size_t, size_t) { bare = true; });
  *out = json();
  FilteredDom dom(out);
  const bool ok = bare ? json::sax_parse(SanitizeCephJson(text), &dom)
                       : json::sax_parse(text, &dom);
  if (!ok) {
    *error = "invalid JSON";
    return false;
  }
  return true;
}

double Num(const json& o, const char* key, double def) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_number()) return def;
  return it->get<double>();
}

uint64_t U64(const json& o, const char* key, uint64_t def = 0) {
  auto it = o.find(key);
  if (it == o.end()) return def;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (it->is_number_integer()) {
    int64_t v = it->get<int64_t>();
    return v < 0 ? 0 : static_cast<uint64_t>(v);
  }
  if (it->is_number_float()) {
    double v = it->get<double>();
    return std::isfinite(v) && v > 0 ? static_cast<uint64_t>(v) : 0;
  }
  return def;
}

int64_t I64(const json& o, const char* key, int64_t def = 0) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_number()) return def;
  if (it->is_number_float()) return static_cast<int64_t>(it->get<double>());
  return it->get<int64_t>();
}

std::string Str(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

// `up`/`in` are ints (0/1) in osd dump; accept bools too.
bool Flag(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_number()) return it->get<double>() != 0;
  return false;
}

bool ParseDfNode(const json& n, OsdDfNode* out) {
  if (!n.is_object()) return false;
  int64_t id = I64(n, "id", -1);
  std::string type = Str(n, "type");
  if (id < 0 || (!type.empty() && type != "osd")) return false;  // bucket
  out->id = static_cast<int>(id);
  out->name = Str(n, "name");
  if (out->name.empty()) out->name = "osd." + std::to_string(id);
  out->device_class = Str(n, "device_class");
  out->crush_weight = Num(n, "crush_weight", 0);
  out->reweight = Num(n, "reweight", 0);
  out->kb = U64(n, "kb");
  out->kb_used = U64(n, "kb_used");
  out->kb_avail = U64(n, "kb_avail");
  out->utilization_pct = Num(n, "utilization", 0);
  out->var = Num(n, "var", 0);
  out->pgs = I64(n, "pgs");
  out->status = Str(n, "status");
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
  json j;
  if (!Load(text, &j, error)) return false;
  if (!j.is_object() || !j.contains("nodes") || !j["nodes"].is_array()) {
    *error = "osd df: no \"nodes\" array";
    return false;
  }
  *out = OsdDf();
  std::set<int> seen;  // an OSD may sit in two CRUSH buckets
  for (const char* section : {"nodes", "stray"}) {
    auto it = j.find(section);
    if (it == j.end() || !it->is_array()) continue;
    for (const auto& n : *it) {
      OsdDfNode node;
      if (!ParseDfNode(n, &node)) continue;
      if (!seen.insert(node.id).second) continue;
      out->nodes.push_back(std::move(node));
    }
  }
  auto s = j.find("summary");
  if (s != j.end() && s->is_object()) {
    out->total_kb = U64(*s, "total_kb");
    out->total_kb_used = U64(*s, "total_kb_used");
    out->total_kb_avail = U64(*s, "total_kb_avail");
    out->average_utilization_pct = Num(*s, "average_utilization", 0);
    out->dev_pct = Num(*s, "dev", 0);
  }
  return true;
}

bool ParseOsdDump(std::string_view text, OsdDump* out, std::string* error) {
  json j;
  if (!Load(text, &j, error)) return false;
  if (!j.is_object() || !j.contains("osds") || !j["osds"].is_array()) {
    *error = "osd dump: no \"osds\" array";
    return false;
  }
  *out = OsdDump();
  out->epoch = I64(j, "epoch");
  // Floats in the OSDMap, printed with max_digits10 (0.949999988): round
  // back to the value that was set.
  auto ratio = [&](const char* key) {
    double v = Num(j, key, NAN);
    return std::isfinite(v) ? std::round(v * 1e6) / 1e6 : v;
  };
  out->full_ratio = ratio("full_ratio");
  out->backfillfull_ratio = ratio("backfillfull_ratio");
  out->nearfull_ratio = ratio("nearfull_ratio");
  for (const auto& o : j["osds"]) {
    if (!o.is_object()) continue;
    int64_t id = I64(o, "osd", -1);
    if (id < 0) continue;
    OsdDumpOsd d;
    d.id = static_cast<int>(id);
    d.up = Flag(o, "up");
    d.in = Flag(o, "in");
    d.weight = Num(o, "weight", 0);
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
  json j;
  if (!Load(text, &j, error)) return false;
  *out = PgDumpOsds();
  const json* stats = nullptr;
  if (j.is_array()) {  // old releases: the bare array
    stats = &j;
  } else if (j.is_object()) {
    if (j.contains("pg_ready") && j["pg_ready"].is_boolean())
      out->pg_ready = j["pg_ready"].get<bool>();
    auto it = j.find("osd_stats");
    if (it == j.end()) {
      auto pm = j.find("pg_map");  // `pg dump` without dumpcontents
      if (pm != j.end() && pm->is_object()) it = pm->find("osd_stats");
      if (pm == j.end() || it == pm->end()) it = j.end();
    }
    if (it != j.end() && it->is_array()) stats = &*it;
  }
  if (!stats) {
    *error = "pg dump osds: no \"osd_stats\" array";
    return false;
  }
  for (const auto& s : *stats) {
    if (!s.is_object()) continue;
    int64_t id = I64(s, "osd", -1);
    if (id < 0) continue;
    OsdStat st;
    st.id = static_cast<int>(id);
    st.num_pgs = I64(s, "num_pgs");
    auto fs = s.find("statfs");
    if (fs != s.end() && fs->is_object()) {
      st.total = U64(*fs, "total");
      st.available = U64(*fs, "available");
    } else {  // pre-Mimic: kB only
      st.total = U64(s, "kb") << 10;
      st.available = U64(s, "kb_avail") << 10;
    }
    out->osd_stats.push_back(st);
  }
  return true;
}

bool ParseDf(std::string_view text, DfStats* out, std::string* error) {
  json j;
  if (!Load(text, &j, error)) return false;
  auto it = j.is_object() ? j.find("stats") : j.end();
  if (!j.is_object() || it == j.end() || !it->is_object()) {
    *error = "df: no \"stats\" object";
    return false;
  }
  *out = DfStats();
  out->total_bytes = U64(*it, "total_bytes");
  out->total_avail_bytes = U64(*it, "total_avail_bytes");
  out->total_used_bytes = U64(*it, "total_used_bytes");
  out->total_used_raw_bytes =
      U64(*it, "total_used_raw_bytes", out->total_used_bytes);
  return true;
}

bool ParseHealthStatus(std::string_view text, int* status, std::string* error) {
  json j;
  if (!Load(text, &j, error)) return false;
  std::string s;
  if (j.is_object()) {
    s = Str(j, "status");
    if (s.empty() && j.contains("health") && j["health"].is_object()) {
      s = Str(j["health"], "status");
      if (s.empty()) s = Str(j["health"], "overall_status");
    }
    if (s.empty()) s = Str(j, "overall_status");
  }
  if (s == "HEALTH_OK") {
    *status = 0;
  } else if (s == "HEALTH_WARN") {
    *status = 1;
  } else if (s == "HEALTH_ERR") {
    *status = 2;
  } else {
    *error = "health: unknown status \"" + s + "\"";
    return false;
  }
  return true;
}

}  // namespace ceph
