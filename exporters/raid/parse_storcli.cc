#include "parse_storcli.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>

#include "text_util.h"

namespace exporterd::raid {
namespace {

using json = nlohmann::ordered_json;
namespace t = text;

// nlohmann's parser recurses once per nesting level; refuse absurd nesting
// before parsing so hostile input cannot exhaust the stack. Real storcli
// output nests about 8 deep.
constexpr int kMaxDepth = 64;

bool NestingOk(std::string_view s) {
  int depth = 0;
  bool in_string = false;
  bool escape = false;
  for (char c : s) {
    if (in_string) {
      if (escape)
        escape = false;
      else if (c == '\\')
        escape = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

// A scalar as text: strings as they are, numbers in their JSON spelling.
std::string Str(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_integer() || j.is_number_unsigned() || j.is_number_float() ||
      j.is_boolean())
    return j.dump();
  return {};
}

const json* Get(const json& obj, const std::string& key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string GetStr(const json& obj, const std::string& key) {
  const json* v = Get(obj, key);
  return v ? Str(*v) : std::string();
}

// A counter such as "Media Error Count": a number, or "N/A" (absent).
std::optional<double> GetNumber(const json& obj, const std::string& key) {
  const json* v = Get(obj, key);
  if (!v) return std::nullopt;
  if (v->is_number()) return v->get<double>();
  if (v->is_string()) {
    std::string s = v->get<std::string>();
    if (auto n = t::ParseInt(s)) return static_cast<double>(*n);
  }
  return std::nullopt;
}

// "21C (69.80 F)", "40 C", "31C", 52.
std::optional<double> Temperature(const json* v) {
  if (!v) return std::nullopt;
  if (v->is_number()) return v->get<double>();
  if (v->is_string()) return t::LeadingNumber(v->get<std::string>());
  return std::nullopt;
}

bool ParseDoc(const std::string& text, json* out, std::string* error) {
  if (!NestingOk(text)) {
    *error = "JSON nested too deeply";
    return false;
  }
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    *error = "output is not valid JSON";
    return false;
  }
  const json* ctrls = Get(doc, "Controllers");
  if (!ctrls || !ctrls->is_array()) {
    *error = "JSON has no \"Controllers\" list";
    return false;
  }
  *out = std::move(doc);
  return true;
}

// Property/Value lists ("Cachevault_Info" of /cx/cv show all) as a map.
std::map<std::string, std::string> PropertyList(const json& list) {
  std::map<std::string, std::string> out;
  if (!list.is_array()) return out;
  for (const json& e : list) {
    std::string p = GetStr(e, "Property");
    if (!p.empty()) out[p] = GetStr(e, "Value");
  }
  return out;
}

std::string ControllerId(const json& entry, const json* data) {
  if (const json* cs = Get(entry, "Command Status")) {
    if (const json* c = Get(*cs, "Controller")) return Str(*c);
  }
  if (data) {
    if (const json* b = Get(*data, "Basics")) {
      if (const json* c = Get(*b, "Controller")) return Str(*c);
    }
  }
  return "0";
}

struct Drives {
  std::vector<PhysicalDrive> list;
  std::map<std::pair<std::string, std::string>, size_t> index;

  PhysicalDrive& At(const std::string& ctrl, const std::string& id) {
    auto key = std::make_pair(ctrl, id);
    auto it = index.find(key);
    if (it != index.end()) return list[it->second];
    index[key] = list.size();
    PhysicalDrive d;
    d.controller = ctrl;
    d.id = id;
    list.push_back(std::move(d));
    return list.back();
  }
};

// One row of PD LIST / "Drive /cX/eY/sZ" / HBA "Physical Device Information".
void AddDriveRow(const std::string& ctrl, const json& row, Drives* drives) {
  if (!row.is_object()) return;
  std::string id(t::Trim(GetStr(row, "EID:Slt")));
  if (id.empty()) return;
  PhysicalDrive& d = drives->At(ctrl, id);
  std::string model = t::CollapseSpaces(GetStr(row, "Model"));
  if (!model.empty()) d.model = model;
  std::string state(t::Trim(GetStr(row, "State")));
  if (!state.empty()) d.state = state;
}

// "Drive /c0/e252/s0 - Detailed Information" -> "Drive /c0/e252/s0 State".
void AddDriveDetail(const std::string& ctrl, const std::string& base,
                    const json& detail, const std::string& id, Drives* drives) {
  const json* st = Get(detail, base + " State");
  if (!st || id.empty()) return;
  PhysicalDrive& d = drives->At(ctrl, id);
  if (auto v = GetNumber(*st, "Media Error Count")) d.media_errors = v;
  if (auto v = GetNumber(*st, "Predictive Failure Count"))
    d.predictive_failures = v;
  if (auto v = Temperature(Get(*st, "Drive Temperature")))
    d.temperature_celsius = v;
  if (t::Lower(t::Trim(GetStr(*st, "S.M.A.R.T alert flagged by drive"))) ==
      "yes")
    d.health = Health::kWarning;  // combined with the state below
}

// Walks a Response Data object for "Drive /cX/eY/sZ" keys (the drives
// command, and an HBA's "Physical Device Information").
void WalkDriveKeys(const std::string& ctrl, const json& data, Drives* drives) {
  if (!data.is_object()) return;
  std::map<std::string, std::string> base_to_id;
  for (auto it = data.begin(); it != data.end(); ++it) {
    const std::string& key = it.key();
    // "Drive /c0/e252/s0" (show all), "Drive Information" (show).
    bool drive_key =
        t::StartsWith(key, "Drive /") || key == "Drive Information";
    if (!drive_key || t::Contains(key, " - ")) continue;
    if (!it->is_array()) continue;
    for (const json& row : *it) {
      AddDriveRow(ctrl, row, drives);
      base_to_id[key] = std::string(t::Trim(GetStr(row, "EID:Slt")));
    }
  }
  for (auto it = data.begin(); it != data.end(); ++it) {
    const std::string& key = it.key();
    static const std::string kSuffix = " - Detailed Information";
    if (key.size() <= kSuffix.size() ||
        key.compare(key.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0)
      continue;
    std::string base = key.substr(0, key.size() - kSuffix.size());
    auto id = base_to_id.find(base);
    if (id == base_to_id.end()) continue;
    AddDriveDetail(ctrl, base, *it, id->second, drives);
  }
}

// BBU Status bitmask of "Status": 0 ok, 8 charging, 4096 learn cycle
// required (benign on PERC H730/740); 1024 replacement required; others
// (32 learn cycle requested, 2048 pack missing/unknown) need attention.
Health BbuStatusHealth(long long bits) {
  if (bits == 0) return Health::kOk;
  if (bits & 1024) return Health::kCritical;
  if ((bits & ~(8LL | 4096LL)) == 0) return Health::kOk;
  return Health::kWarning;
}

void ApplyBatteryRefinement(const std::string& ctrl,
                            const std::map<std::string, std::string>& props,
                            std::vector<Battery>* batteries) {
  std::string state;
  for (const char* k : {"State", "Battery State"}) {
    auto it = props.find(k);
    if (it != props.end()) state = std::string(t::Trim(it->second));
  }
  bool replace = false;
  for (const char* k : {"Replacement required", "Battery Replacement required",
                        "Pack is about to fail & should be replaced"}) {
    auto it = props.find(k);
    if (it != props.end() && t::Lower(t::Trim(it->second)) == "yes")
      replace = true;
  }
  if (state.empty() && !replace) return;
  Battery* b = nullptr;
  for (Battery& x : *batteries)
    if (x.controller == ctrl) b = &x;
  if (!b) {
    batteries->push_back(Battery{ctrl, state, StorcliBatteryHealth(state)});
    b = &batteries->back();
  } else if (!state.empty()) {
    b->state = state;
    b->health = Worse(b->health, StorcliBatteryHealth(state));
  }
  if (replace) b->health = Worse(b->health, Health::kCritical);
}

// /cx/cv show all, /cx/bbu show all.
void ParseBatteryDoc(const json& doc, std::vector<Battery>* batteries) {
  for (const json& entry : doc["Controllers"]) {
    const json* data = Get(entry, "Response Data");
    if (!data || !data->is_object()) continue;  // "use /cx/cv": no BBU
    std::string ctrl = ControllerId(entry, data);
    std::map<std::string, std::string> props;
    for (auto it = data->begin(); it != data->end(); ++it) {
      for (const auto& [k, v] : PropertyList(*it)) props[k] = v;
    }
    ApplyBatteryRefinement(ctrl, props, batteries);
  }
}

bool IsRebuilding(const std::string& state) { return state == "Rbld"; }

}  // namespace

std::vector<std::pair<std::string, std::vector<std::string>>>
StorcliCommands() {
  return {{"show_all", {"/call", "show", "all", "J", "nolog"}},
          {"drives", {"/call/eall/sall", "show", "all", "J", "nolog"}}};
}

std::vector<std::string> StorcliBinaryNames() {
  return {"storcli64", "storcli", "perccli64", "perccli"};
}

Health StorcliControllerHealth(const std::string& status) {
  std::string s = t::Lower(t::Trim(status));
  if (s == "optimal" || s == "ok") return Health::kOk;
  if (s == "needs attention") return Health::kWarning;
  if (s == "degraded" || s == "partially degraded" || s == "failed" ||
      s == "failure" || s == "offline")
    return Health::kCritical;
  return Health::kUnknown;
}

Health StorcliVirtualDriveHealth(const std::string& state) {
  std::string s(t::Trim(state));
  if (s == "Optl") return Health::kOk;
  if (s == "Rec") return Health::kWarning;  // recovery (rebuild) running
  if (s == "Dgrd" || s == "Pdgd" || s == "OfLn" || s == "Offln")
    return Health::kCritical;
  return Health::kUnknown;
}

Health StorcliPhysicalDriveHealth(const std::string& state) {
  std::string s(t::Trim(state));
  // "-": a drive the HBA (mpt3sas IR/IT) passes through without a state.
  if (s == "Onln" || s == "UGood" || s == "GHS" || s == "DHS" || s == "JBOD" ||
      s == "-")
    return Health::kOk;
  if (s == "Rbld" || s == "Cpybck" || s == "UGUnsp" || s == "UGShld" ||
      s == "HSPShld" || s == "CFShld" || s == "CBShld" || s == "Frgn" ||
      s == "Foreign")
    return Health::kWarning;
  if (s == "Offln" || s == "UBad" || s == "UBUnsp" || s == "Msng" ||
      s == "Failed")
    return Health::kCritical;
  return Health::kUnknown;
}

Health StorcliBatteryHealth(const std::string& state) {
  std::string s = t::Lower(t::Trim(state));
  if (s == "optimal" || s == "ok") return Health::kOk;
  if (t::Contains(s, "fail") || t::Contains(s, "fault") ||
      t::Contains(s, "replace") || t::Contains(s, "missing"))
    return Health::kCritical;
  if (t::Contains(s, "learn") || t::Contains(s, "charg") ||
      t::Contains(s, "degraded") || t::Contains(s, "attention") ||
      t::Contains(s, "transparent"))
    return Health::kWarning;
  return Health::kUnknown;
}

ParseResult ParseStorcli(const ToolOutputs& outputs) {
  ParseResult res;
  auto show = outputs.find("show_all");
  if (show == outputs.end()) {
    res.ok = false;
    res.error = "no \"show_all\" output";
    return res;
  }
  json doc;
  if (!ParseDoc(show->second, &doc, &res.error)) {
    res.ok = false;
    res.error = "show all: " + res.error;
    return res;
  }

  Report& rep = res.report;
  Drives drives;
  int understood = 0;
  std::string failure;
  // Per controller: drive group -> has a rebuilding drive.
  std::set<std::pair<std::string, std::string>> rebuilding_groups;

  for (const json& entry : doc["Controllers"]) {
    const json* status = Get(entry, "Command Status");
    const json* data = Get(entry, "Response Data");
    if (!data || !data->is_object()) {
      std::string desc = status ? GetStr(*status, "Description") : "";
      if (t::Lower(desc) == "no controller found") {
        ++understood;
        continue;
      }
      if (status) {
        // Failure without data: the first detailed error tells why.
        std::string why = desc;
        if (const json* det = Get(*status, "Detailed Status");
            det && det->is_array() && !det->empty())
          why = GetStr((*det)[0], "ErrMsg");
        failure = "storcli: " + (why.empty() ? GetStr(*status, "Status") : why);
      }
      continue;
    }
    ++understood;
    std::string ctrl = ControllerId(entry, data);

    // Controller.
    Controller c;
    c.id = ctrl;
    if (const json* b = Get(*data, "Basics")) c.model = GetStr(*b, "Model");
    if (c.model.empty()) c.model = GetStr(*data, "Product Name");
    c.model = t::CollapseSpaces(c.model);
    const json* st = Get(*data, "Status");
    if (st) c.state = std::string(t::Trim(GetStr(*st, "Controller Status")));
    c.health = StorcliControllerHealth(c.state);
    if (const json* hw = Get(*data, "HwCfg")) {
      for (const char* k : {"ROC temperature(Degree Celsius)",
                            "ROC temperature(Degree Celcius)"}) {
        if (auto v = Temperature(Get(*hw, k))) c.temperature_celsius = v;
      }
    }
    rep.controllers.push_back(std::move(c));

    // Physical drives: PD LIST (MegaRAID), "Drive /cX/..." keys (HBA).
    if (const json* pds = Get(*data, "PD LIST"); pds && pds->is_array()) {
      for (const json& row : *pds) {
        AddDriveRow(ctrl, row, &drives);
        if (IsRebuilding(std::string(t::Trim(GetStr(row, "State")))))
          rebuilding_groups.insert({ctrl, GetStr(row, "DG")});
      }
    }
    if (const json* pdi = Get(*data, "Physical Device Information"))
      WalkDriveKeys(ctrl, *pdi, &drives);
    if (const json* topo = Get(*data, "TOPOLOGY"); topo && topo->is_array()) {
      for (const json& row : *topo) {
        if (IsRebuilding(std::string(t::Trim(GetStr(row, "State")))))
          rebuilding_groups.insert({ctrl, GetStr(row, "DG")});
      }
    }

    // Virtual drives.
    if (const json* vds = Get(*data, "VD LIST"); vds && vds->is_array()) {
      for (const json& row : *vds) {
        if (!row.is_object()) continue;
        LogicalDrive d;
        d.controller = ctrl;
        d.id = std::string(t::Trim(GetStr(row, "DG/VD")));
        d.level = std::string(t::Trim(GetStr(row, "TYPE")));
        d.state = std::string(t::Trim(GetStr(row, "State")));
        d.health = StorcliVirtualDriveHealth(d.state);
        std::string dg = d.id.substr(0, d.id.find('/'));
        if ((d.state == "Dgrd" || d.state == "Pdgd") &&
            rebuilding_groups.count({ctrl, dg}))
          d.health = Health::kWarning;  // degraded, but rebuilding
        rep.logical_drives.push_back(std::move(d));
      }
    }

    // Battery / cache vault: present ones only.
    for (const char* key : {"Cachevault_Info", "BBU_Info"}) {
      const json* list = Get(*data, key);
      if (!list || !list->is_array()) continue;
      for (const json& row : *list) {
        if (!row.is_object()) continue;
        Battery b;
        b.controller = ctrl;
        b.state = std::string(t::Trim(GetStr(row, "State")));
        b.health = StorcliBatteryHealth(b.state);
        rep.batteries.push_back(std::move(b));
      }
    }
    if (st) {
      const json* bits = Get(*st, "BBU Status");
      if (bits && bits->is_number_integer()) {
        Health h = BbuStatusHealth(bits->get<long long>());
        bool found = false;
        for (Battery& b : rep.batteries) {
          if (b.controller != ctrl) continue;
          b.health = Worse(b.health, h);
          found = true;
        }
        if (!found && h != Health::kOk)
          rep.batteries.push_back({ctrl, "BBU Status " + bits->dump(), h});
      }
    }
  }

  if (understood == 0) {
    res.ok = false;
    res.error = failure.empty() ? "show all: no controller data" : failure;
    return res;
  }

  // Per-drive details.
  if (auto it = outputs.find("drives"); it != outputs.end()) {
    json ddoc;
    std::string err;
    if (ParseDoc(it->second, &ddoc, &err)) {
      for (const json& entry : ddoc["Controllers"]) {
        const json* data = Get(entry, "Response Data");
        if (!data) continue;
        WalkDriveKeys(ControllerId(entry, data), *data, &drives);
      }
    } else {
      res.ok = false;
      res.error = "drives: " + err;
      return res;
    }
  }

  // Optional battery commands.
  for (const char* key : {"cv", "bbu"}) {
    auto it = outputs.find(key);
    if (it == outputs.end()) continue;
    json bdoc;
    std::string err;
    if (ParseDoc(it->second, &bdoc, &err))
      ParseBatteryDoc(bdoc, &rep.batteries);
  }

  for (PhysicalDrive& d : drives.list) {
    // The S.M.A.R.T flag (set above as kWarning) and predictive failures
    // can only make the state's health worse.
    bool smart = d.health == Health::kWarning;
    d.health = StorcliPhysicalDriveHealth(d.state);
    if (smart) d.health = Worse(d.health, Health::kWarning);
    if (d.predictive_failures && *d.predictive_failures > 0)
      d.health = Worse(d.health, Health::kWarning);
  }
  rep.physical_drives = std::move(drives.list);
  return res;
}

}  // namespace exporterd::raid
