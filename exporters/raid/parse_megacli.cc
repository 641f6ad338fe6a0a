#include "parse_megacli.h"

#include <map>
#include <string_view>

#include "text_util.h"

namespace exporterd::raid {
namespace {

namespace t = text;

// "Key   : value" / "Key:value"; false when the line has no colon.
bool KeyValue(std::string_view line, std::string_view* key,
              std::string_view* value) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  *key = t::Trim(line.substr(0, colon));
  *value = t::Trim(line.substr(colon + 1));
  return true;
}

// "Adapter 0 -- Virtual Drive Information:", "Adapter #0",
// "BBU status for Adapter: 0", "Adapter 0: Get BBU Status Failed."
std::optional<std::string> AdapterOf(std::string_view line) {
  line = t::Trim(line);
  std::string_view rest;
  if (t::StartsWith(line, "Adapter #")) {
    rest = line.substr(9);
  } else if (t::StartsWith(line, "Adapter ")) {
    rest = line.substr(8);
  } else if (t::StartsWith(line, "BBU status for Adapter:")) {
    rest = t::Trim(line.substr(23));
  } else {
    return std::nullopt;
  }
  size_t n = 0;
  while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
  if (n == 0) return std::nullopt;
  return std::string(rest.substr(0, n));
}

// "Primary-1, Secondary-3, RAID Level Qualifier-0" -> "RAID10".
std::string RaidLevel(std::string_view v) {
  auto num = [&](std::string_view key) -> std::string {
    size_t p = v.find(key);
    if (p == std::string_view::npos) return {};
    p += key.size();
    size_t e = p;
    while (e < v.size() && v[e] >= '0' && v[e] <= '9') ++e;
    return std::string(v.substr(p, e - p));
  };
  std::string primary = num("Primary-");
  std::string secondary = num("Secondary-");
  if (primary.empty()) return t::CollapseSpaces(v);
  // Secondary-3 is a striped span of the primary level (RAID10/50/60).
  return "RAID" + primary + (secondary == "3" ? "0" : "");
}

std::string StripSpin(std::string_view state) {
  size_t comma = state.find(',');
  if (comma != std::string_view::npos &&
      t::Contains(t::Lower(state.substr(comma)), "spun"))
    state = state.substr(0, comma);
  return std::string(t::Trim(state));
}

struct Parser {
  Report* rep;
  std::map<std::string, size_t> pd_index;  // "adapter|id" -> index
  int markers = 0;  // recognized lines; none means not MegaCli output

  // Virtual drives and physical drives from -LDInfo, -PDList, -LDPDInfo.
  void Drives(std::string_view text) {
    std::string adapter = "0";
    enum { kNone, kVd, kSkipVd, kPd } in = kNone;
    LogicalDrive* vd = nullptr;
    std::string default_cache, current_cache;
    PhysicalDrive pd;
    std::string enclosure;
    auto flush_vd = [&] {
      if (vd && t::StartsWith(t::Lower(current_cache), "writethrough") &&
          t::StartsWith(t::Lower(default_cache), "writeback")) {
        // Cache fell back to write-through (usually a battery problem).
        vd->health = Worse(vd->health, Health::kWarning);
      }
      vd = nullptr;
      default_cache.clear();
      current_cache.clear();
    };
    auto flush_pd = [&] {
      if (in == kPd && !pd.id.empty()) {
        std::string key = pd.controller + "|" + pd.id;
        auto it = pd_index.find(key);
        if (it == pd_index.end()) {
          pd_index[key] = rep->physical_drives.size();
          rep->physical_drives.push_back(pd);
        } else {
          rep->physical_drives[it->second] = pd;
        }
      }
      pd = PhysicalDrive();
    };
    for (std::string_view raw : t::Lines(text)) {
      std::string_view line = t::Trim(raw);
      if (line.empty()) continue;
      if (auto a = AdapterOf(line)) {
        flush_pd();
        flush_vd();
        in = kNone;
        adapter = *a;
        ++markers;
        continue;
      }
      if (t::StartsWith(line, "Exit Code:")) {
        ++markers;
        continue;
      }
      std::string lower = t::Lower(line);
      if (t::StartsWith(lower, "cachecade virtual drive:")) {
        flush_pd();
        flush_vd();
        in = kSkipVd;
        ++markers;
        continue;
      }
      if (t::StartsWith(lower, "virtual drive:") ||
          t::StartsWith(lower, "virtual disk:")) {
        flush_pd();
        flush_vd();
        std::string_view rest = t::Trim(line.substr(line.find(':') + 1));
        std::string id(t::Fields(rest).empty() ? "" : t::Fields(rest)[0]);
        rep->logical_drives.push_back(LogicalDrive());
        vd = &rep->logical_drives.back();
        vd->controller = adapter;
        vd->id = adapter + "/" + id;
        in = kVd;
        ++markers;
        continue;
      }
      std::string_view key, value;
      if (!KeyValue(line, &key, &value)) continue;
      if (key == "Enclosure Device ID") {
        flush_pd();
        flush_vd();
        in = kPd;
        pd.controller = adapter;
        enclosure = std::string(value);
        ++markers;
        continue;
      }
      if (in == kPd) {
        if (key == "Slot Number") {
          pd.id = enclosure + ":" + std::string(value);
        } else if (key == "Firmware state") {
          pd.state = StripSpin(value);
        } else if (key == "Media Error Count") {
          if (auto n = t::ParseInt(value)) pd.media_errors = *n;
        } else if (key == "Predictive Failure Count") {
          if (auto n = t::ParseInt(value)) pd.predictive_failures = *n;
        } else if (key == "Drive Temperature") {
          pd.temperature_celsius = t::LeadingNumber(value);
        } else if (key == "Inquiry Data") {
          pd.model = t::CollapseSpaces(value);
        } else if (key == "Drive has flagged a S.M.A.R.T alert") {
          if (t::Lower(value) == "yes")
            pd.health = Health::kWarning;  // folded in below
        }
      } else if (in == kVd && vd) {
        if (key == "RAID Level") {
          vd->level = RaidLevel(value);
        } else if (key == "State") {
          vd->state = std::string(value);
          vd->health = MegacliVirtualDriveHealth(vd->state);
        } else if (key == "Default Cache Policy") {
          default_cache = std::string(value);
        } else if (key == "Current Cache Policy") {
          current_cache = std::string(value);
        } else if (key == "Virtual Drive Type" &&
                   t::Contains(t::Lower(value), "cachecade")) {
          rep->logical_drives.pop_back();
          vd = nullptr;
          in = kSkipVd;
        }
      }
    }
    flush_pd();
    flush_vd();
  }

  void Battery(std::string_view text) {
    std::string adapter;
    std::string state;
    bool have_state = false, learn = false, charging = false, replace = false,
         missing = false, open = false;
    auto flush = [&] {
      if (!open) return;
      open = false;
      if (missing) return;  // no pack: absent, not failed
      raid::Battery b;
      b.controller = adapter;
      b.state = state;
      std::string s = t::Lower(state);
      if (s == "optimal" || s == "operational") {
        b.health = Health::kOk;
      } else if (s == "non operational" || s == "degraded(need attention)" ||
                 s == "degraded") {
        b.health = (learn || charging || s != "non operational")
                       ? Health::kWarning
                       : Health::kCritical;
      } else if (t::Contains(s, "fail")) {
        b.health = Health::kCritical;
      } else {
        b.health = Health::kUnknown;  // includes an empty "Battery state:"
      }
      if (replace) b.health = Worse(b.health, Health::kCritical);
      rep->batteries.push_back(std::move(b));
      state.clear();
      have_state = learn = charging = replace = missing = false;
    };
    for (std::string_view raw : t::Lines(text)) {
      std::string_view line = t::Trim(raw);
      if (line.empty()) continue;
      if (t::StartsWith(line, "BBU status for Adapter:")) {
        flush();
        adapter = AdapterOf(line).value_or("0");
        open = true;
        ++markers;
        continue;
      }
      if (t::Contains(line, "Get BBU Status Failed") ||
          t::StartsWith(line, "Exit Code:")) {
        ++markers;  // no BBU on that adapter: nothing to report
        continue;
      }
      if (!open) continue;
      std::string_view key, value;
      if (!KeyValue(line, &key, &value)) continue;
      std::string k = t::Lower(key);
      std::string v = t::Lower(value);
      if (k == "battery state" && !have_state) {
        state = std::string(value);
        have_state = true;
      } else if (k == "learn cycle active") {
        learn = v == "yes";
      } else if (k == "charging status") {
        charging = v == "charging" || v == "discharging";
      } else if (k == "battery replacement required" ||
                 k == "pack is about to fail & should be replaced") {
        if (v == "yes") replace = true;
      } else if (k == "battery pack missing") {
        missing = v == "yes";
      }
    }
    flush();
  }
};

}  // namespace

std::vector<std::pair<std::string, std::vector<std::string>>>
MegacliCommands() {
  return {{"ldinfo", {"-LDInfo", "-Lall", "-aALL", "-NoLog"}},
          {"pdlist", {"-PDList", "-aALL", "-NoLog"}},
          {"bbu", {"-AdpBbuCmd", "-GetBbuStatus", "-aALL", "-NoLog"}}};
}

std::vector<std::string> MegacliBinaryNames() {
  return {"MegaCli64", "MegaCli", "megacli"};
}

Health MegacliVirtualDriveHealth(const std::string& state) {
  std::string s = t::Lower(t::Trim(state));
  if (s == "optimal") return Health::kOk;
  if (s == "degraded" || s == "partially degraded" || s == "offline" ||
      s == "failed")
    return Health::kCritical;
  return Health::kUnknown;
}

Health MegacliPhysicalDriveHealth(const std::string& state) {
  std::string s = t::Lower(t::Trim(state));
  if (s == "online" || s == "hotspare" || s == "unconfigured(good)" ||
      s == "jbod")
    return Health::kOk;
  if (s == "rebuild" || s == "copyback") return Health::kWarning;
  if (s == "unconfigured(bad)" || s == "failed" || s == "offline" ||
      s == "missing")
    return Health::kCritical;
  return Health::kUnknown;
}

ParseResult ParseMegacli(const ToolOutputs& outputs) {
  ParseResult res;
  Parser p{&res.report, {}, 0};
  bool any = false;
  for (const char* key : {"ldpdinfo", "ldinfo", "pdlist"}) {
    auto it = outputs.find(key);
    if (it == outputs.end()) continue;
    any = true;
    int before = p.markers;
    p.Drives(it->second);
    if (p.markers == before) {
      res.ok = false;
      res.error = std::string(key) + ": not MegaCli output";
      res.report = Report();
      return res;
    }
  }
  if (auto it = outputs.find("bbu"); it != outputs.end()) {
    any = true;
    int before = p.markers;
    p.Battery(it->second);
    if (p.markers == before) {
      res.ok = false;
      res.error = "bbu: not MegaCli output";
      res.report = Report();
      return res;
    }
  }
  if (!any) {
    res.ok = false;
    res.error = "no MegaCli output";
    return res;
  }
  Report& rep = res.report;
  std::map<std::string, bool> rebuilding;
  for (PhysicalDrive& d : rep.physical_drives) {
    bool smart = d.health == Health::kWarning;
    d.health = MegacliPhysicalDriveHealth(d.state);
    if (smart) d.health = Worse(d.health, Health::kWarning);
    if (d.predictive_failures && *d.predictive_failures > 0)
      d.health = Worse(d.health, Health::kWarning);
    if (t::Lower(d.state) == "rebuild") rebuilding[d.controller] = true;
  }
  for (LogicalDrive& d : rep.logical_drives) {
    std::string s = t::Lower(d.state);
    if ((s == "degraded" || s == "partially degraded") &&
        rebuilding[d.controller])
      d.health = Health::kWarning;  // degraded, but rebuilding
  }
  return res;
}

}  // namespace exporterd::raid
