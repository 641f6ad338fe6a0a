#include "parse_ssacli.h"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text_util.h"

namespace exporterd::raid {
namespace {

using text::CollapseSpaces;
using text::IEquals;
using text::LeadingNumber;
using text::StartsWith;
using text::Trim;

// Splits "a, b ,c" on commas, trimming each field.
std::vector<std::string> SplitFields(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    std::string_view f =
        s.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                        : comma - start);
    out.emplace_back(Trim(f));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string Join(const std::vector<std::string>& v, size_t from) {
  std::string out;
  for (size_t i = from; i < v.size(); ++i) {
    if (!out.empty()) out += ", ";
    out += v[i];
  }
  return out;
}

// Text between the first '(' and the last ')', or empty.
std::string_view Parenthesised(std::string_view s) {
  size_t open = s.find('(');
  size_t close = s.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos ||
      close <= open) {
    return {};
  }
  return s.substr(open + 1, close - open - 1);
}

bool IsAbsent(std::string_view state) {
  return IEquals(state, "Not Configured") || IEquals(state, "Not Present") ||
         IEquals(state, "Not Installed");
}

Health ControllerHealth(std::string_view s) {
  if (s == "OK") return Health::kOk;
  if (StartsWith(s, "Failed")) return Health::kCritical;
  return Health::kUnknown;
}

// Cache problems (usually a consequence of the battery) are a warning on
// the controller: writes fall back to write-through.
Health CacheHealth(std::string_view s) {
  if (s == "OK" || IsAbsent(s)) return Health::kOk;
  if (s.find("Disabled") != std::string_view::npos || StartsWith(s, "Failed")) {
    return Health::kWarning;
  }
  return Health::kUnknown;
}

Health BatteryHealth(std::string_view s) {
  if (s == "OK") return Health::kOk;
  if (s == "Recharging" || s == "Charging") return Health::kWarning;
  if (StartsWith(s, "Failed")) return Health::kCritical;
  return Health::kUnknown;
}

Health ArrayHealth(std::string_view s) {
  if (s.empty() || s == "OK") return Health::kOk;
  if (StartsWith(s, "Failed")) return Health::kCritical;
  return Health::kUnknown;
}

bool IsRebuildState(std::string_view s) {
  return StartsWith(s, "Recovering") || StartsWith(s, "Rebuilding");
}

Health LogicalDriveHealth(std::string_view s) {
  if (s == "OK") return Health::kOk;
  if (IsRebuildState(s) || StartsWith(s, "Ready for Rebuild") ||
      StartsWith(s, "Expanding") || StartsWith(s, "Transforming") ||
      StartsWith(s, "Queued for Expansion") || StartsWith(s, "Initializing")) {
    return Health::kWarning;
  }
  if (s == "Interim Recovery Mode" || StartsWith(s, "Failed")) {
    return Health::kCritical;
  }
  return Health::kUnknown;
}

Health PhysicalDriveHealth(std::string_view s) {
  if (s == "OK" || StartsWith(s, "OK,")) return Health::kOk;
  if (StartsWith(s, "Rebuilding") || StartsWith(s, "Predictive Failure")) {
    return Health::kWarning;
  }
  if (StartsWith(s, "Failed")) return Health::kCritical;
  return Health::kUnknown;
}

// "Recovering, 26% complete" -> 0.26.
std::optional<double> RebuildRatio(std::string_view s) {
  if (!IsRebuildState(s)) return std::nullopt;
  size_t pct = s.find('%');
  if (pct == std::string_view::npos) return std::nullopt;
  size_t b = pct;
  while (b > 0 && ((s[b - 1] >= '0' && s[b - 1] <= '9') || s[b - 1] == '.')) {
    --b;
  }
  auto v = LeadingNumber(s.substr(b, pct - b));
  if (!v || *v < 0 || *v > 100) return std::nullopt;
  return *v / 100.0;
}

// "Smart Array P410i in Slot 0 (Embedded)" -> {"Smart Array P410i", "0"};
// "MSA1500 CS in MY STORAGE" -> {"MSA1500 CS", "MY STORAGE"}.
bool ParseControllerHeader(std::string_view line, std::string* model,
                           std::string* id) {
  if (line.find(": ") != std::string_view::npos || line.back() == ':') {
    return false;
  }
  size_t in = line.find(" in ");
  if (in == std::string_view::npos || in == 0) return false;
  std::string_view where = Trim(line.substr(in + 4));
  // Drop trailing "(Embedded)", "(HBA Mode)", ...
  size_t paren = where.find(" (");
  if (paren != std::string_view::npos) where = Trim(where.substr(0, paren));
  if (StartsWith(where, "Slot ")) where = Trim(where.substr(5));
  if (where.empty()) return false;
  *model = std::string(Trim(line.substr(0, in)));
  *id = std::string(where);
  return true;
}

enum class Kind { kController, kArray, kLogicalDrive, kPhysicalDrive, kOther };

struct Node {
  size_t indent;
  Kind kind;
  std::string name;  // array name, LD id or PD id
};

struct Array {
  std::string state;
};

class Parser {
 public:
  // Returns false when nothing in `text` was recognised.
  bool Feed(std::string_view text);
  Report Finish();

 private:
  size_t ControllerIndex(const std::string& id, const std::string& model);
  size_t LdIndex(const std::string& id);
  size_t PdIndex(const std::string& id);
  void OnControllerKey(std::string_view key, std::string_view value);
  void OnLogicalDriveLine(std::string_view t, const std::string& array);
  void OnPhysicalDriveLine(std::string_view t);
  std::string EnclosingArray() const;

  Report report_;
  std::vector<std::string> cache_state_;             // per controller
  std::vector<std::optional<std::string>> battery_;  // per controller
  std::map<std::pair<std::string, std::string>, size_t> ld_index_;
  std::map<std::pair<std::string, std::string>, size_t> pd_index_;
  std::vector<std::string> ld_array_;  // per LD
  std::map<std::pair<std::string, std::string>, Array> arrays_;
  std::string ctrl_;  // current controller id; empty outside one
  size_t ctrl_idx_ = 0;
  std::vector<Node> stack_;
};

size_t Parser::ControllerIndex(const std::string& id,
                               const std::string& model) {
  for (size_t i = 0; i < report_.controllers.size(); ++i) {
    if (report_.controllers[i].id == id) {
      if (report_.controllers[i].model.empty()) {
        report_.controllers[i].model = model;
      }
      return i;
    }
  }
  Controller c;
  c.id = id;
  c.model = model;
  report_.controllers.push_back(std::move(c));
  cache_state_.emplace_back();
  battery_.emplace_back();
  return report_.controllers.size() - 1;
}

size_t Parser::LdIndex(const std::string& id) {
  auto key = std::make_pair(ctrl_, id);
  auto it = ld_index_.find(key);
  if (it != ld_index_.end()) return it->second;
  LogicalDrive ld;
  ld.controller = ctrl_;
  ld.id = id;
  report_.logical_drives.push_back(std::move(ld));
  ld_array_.emplace_back();
  ld_index_[key] = report_.logical_drives.size() - 1;
  return report_.logical_drives.size() - 1;
}

size_t Parser::PdIndex(const std::string& id) {
  auto key = std::make_pair(ctrl_, id);
  auto it = pd_index_.find(key);
  if (it != pd_index_.end()) return it->second;
  PhysicalDrive pd;
  pd.controller = ctrl_;
  pd.id = id;
  report_.physical_drives.push_back(std::move(pd));
  pd_index_[key] = report_.physical_drives.size() - 1;
  return report_.physical_drives.size() - 1;
}

std::string Parser::EnclosingArray() const {
  for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
    if (it->kind == Kind::kArray) return it->name;
  }
  return {};
}

void Parser::OnControllerKey(std::string_view key, std::string_view value) {
  Controller& c = report_.controllers[ctrl_idx_];
  if (key == "Controller Status") {
    c.state = std::string(value);
  } else if (key == "Cache Status") {
    cache_state_[ctrl_idx_] = std::string(value);
  } else if (key == "Battery/Capacitor Status") {
    battery_[ctrl_idx_] = std::string(value);
  } else if (key == "Controller Temperature (C)") {
    c.temperature_celsius = LeadingNumber(value);
  }
}

// "logicaldrive 1 (558.9 GB, RAID 1, OK)"
void Parser::OnLogicalDriveLine(std::string_view t, const std::string& array) {
  std::string_view rest = Trim(t.substr(sizeof("logicaldrive") - 1));
  size_t sp = rest.find(' ');
  std::string id(rest.substr(0, sp));
  if (id.empty()) return;
  std::vector<std::string> f = SplitFields(Parenthesised(rest));
  size_t idx = LdIndex(id);
  LogicalDrive& ld = report_.logical_drives[idx];
  if (!array.empty()) ld_array_[idx] = array;
  if (f.size() >= 3) {
    ld.level = f[1];
    ld.state = Join(f, 2);
  } else if (!f.empty() && !f.back().empty()) {
    ld.state = f.back();
  }
}

// "physicaldrive 1I:1:5 (port 1I:box 1:bay 5, SAS, 600 GB, Failed)"
void Parser::OnPhysicalDriveLine(std::string_view t) {
  std::string_view rest = Trim(t.substr(sizeof("physicaldrive") - 1));
  size_t sp = rest.find(' ');
  std::string id(rest.substr(0, sp));
  if (id.empty()) return;
  std::vector<std::string> f = SplitFields(Parenthesised(rest));
  PhysicalDrive& pd = report_.physical_drives[PdIndex(id)];
  if (f.size() >= 4) {
    pd.state = Join(f, 3);
  } else if (!f.empty() && !f.back().empty()) {
    pd.state = f.back();
  }
}

bool Parser::Feed(std::string_view text) {
  bool recognised = false;
  ctrl_.clear();
  stack_.clear();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(
        pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view t = Trim(line);
    if (t.empty()) continue;
    size_t indent = line.find_first_not_of(" \t");
    while (!stack_.empty() && stack_.back().indent >= indent) stack_.pop_back();

    if (indent == 0) {
      stack_.clear();
      ctrl_.clear();
      std::string model, id;
      if (StartsWith(t, "Error:")) {
        if (t.find("No controllers detected") != std::string_view::npos ||
            t.find("does not have any") != std::string_view::npos) {
          recognised = true;
        }
      } else if (ParseControllerHeader(t, &model, &id)) {
        recognised = true;
        ctrl_ = id;
        ctrl_idx_ = ControllerIndex(id, model);
        stack_.push_back({indent, Kind::kController, id});
        continue;
      }
      stack_.push_back({indent, Kind::kOther, {}});
      continue;
    }
    if (ctrl_.empty()) {
      stack_.push_back({indent, Kind::kOther, {}});
      continue;
    }

    if (StartsWith(t, "logicaldrive ") && t.find('(') != t.npos) {
      OnLogicalDriveLine(t, EnclosingArray());
      stack_.push_back({indent, Kind::kOther, {}});
      continue;
    }
    if (StartsWith(t, "physicaldrive ")) {
      if (t.find('(') != t.npos) {
        OnPhysicalDriveLine(t);
        stack_.push_back({indent, Kind::kOther, {}});
      } else {
        std::string id(Trim(t.substr(sizeof("physicaldrive") - 1)));
        if (!id.empty()) PdIndex(id);
        stack_.push_back({indent, Kind::kPhysicalDrive, id});
      }
      continue;
    }
    if (StartsWith(t, "array ") || StartsWith(t, "Array: ")) {
      // "array A", "array B (Failed)" or detail "Array: A" (state follows).
      std::string_view rest = Trim(t.substr(t[5] == ':' ? 7 : 6));
      std::string name(Trim(rest.substr(0, rest.find(' '))));
      Array& a = arrays_[{ctrl_, name}];
      std::string_view paren = Parenthesised(rest);
      if (!paren.empty() && paren.find(':') == std::string_view::npos) {
        a.state = std::string(Trim(paren));
      }
      stack_.push_back({indent, Kind::kArray, name});
      continue;
    }
    if (StartsWith(t, "Logical Drive: ")) {
      std::string id(Trim(t.substr(sizeof("Logical Drive:") - 1)));
      if (!id.empty()) {
        size_t idx = LdIndex(id);
        std::string array = EnclosingArray();
        if (!array.empty()) ld_array_[idx] = array;
      }
      stack_.push_back({indent, Kind::kLogicalDrive, id});
      continue;
    }

    size_t colon = t.find(": ");
    Kind parent = stack_.empty() ? Kind::kOther : stack_.back().kind;
    std::string parent_name = stack_.empty() ? "" : stack_.back().name;
    stack_.push_back({indent, Kind::kOther, {}});
    if (colon == std::string_view::npos) continue;
    std::string_view key = Trim(t.substr(0, colon));
    std::string_view value = Trim(t.substr(colon + 2));
    switch (parent) {
      case Kind::kController:
        OnControllerKey(key, value);
        break;
      case Kind::kArray:
        if (key == "Status") arrays_[{ctrl_, parent_name}].state = value;
        break;
      case Kind::kLogicalDrive:
        if (parent_name.empty()) break;
        if (key == "Status") {
          report_.logical_drives[LdIndex(parent_name)].state = value;
        } else if (key == "Fault Tolerance") {
          std::string& level =
              report_.logical_drives[LdIndex(parent_name)].level;
          if (level.empty()) level = "RAID " + std::string(value);
        }
        break;
      case Kind::kPhysicalDrive: {
        if (parent_name.empty()) break;
        PhysicalDrive& pd = report_.physical_drives[PdIndex(parent_name)];
        if (key == "Status") {
          pd.state = value;
        } else if (key == "Model") {
          pd.model = CollapseSpaces(value);
        } else if (key == "Current Temperature (C)") {
          pd.temperature_celsius = LeadingNumber(value);
        }
        break;
      }
      case Kind::kOther:
        break;
    }
  }
  return recognised;
}

Report Parser::Finish() {
  for (size_t i = 0; i < report_.controllers.size(); ++i) {
    Controller& c = report_.controllers[i];
    c.health = ControllerHealth(c.state);
    if (!cache_state_[i].empty()) {
      c.health = Worse(c.health, CacheHealth(cache_state_[i]));
    }
    if (battery_[i] && !IsAbsent(*battery_[i])) {
      Battery b;
      b.controller = c.id;
      b.state = *battery_[i];
      b.health = BatteryHealth(b.state);
      report_.batteries.push_back(std::move(b));
    }
  }
  for (size_t i = 0; i < report_.logical_drives.size(); ++i) {
    LogicalDrive& ld = report_.logical_drives[i];
    ld.health = LogicalDriveHealth(ld.state);
    ld.rebuild_progress_ratio = RebuildRatio(ld.state);
    // A failed array fails its logical drives even when they still print
    // "OK" (seen in real output).
    auto it = arrays_.find({ld.controller, ld_array_[i]});
    if (it != arrays_.end()) {
      ld.health = Worse(ld.health, ArrayHealth(it->second.state));
    }
  }
  for (PhysicalDrive& pd : report_.physical_drives) {
    pd.health = PhysicalDriveHealth(pd.state);
  }
  return std::move(report_);
}

}  // namespace

std::vector<std::pair<std::string, std::vector<std::string>>> SsacliCommands() {
  return {
      {"config", {"ctrl", "all", "show", "config", "detail"}},
      {"status", {"ctrl", "all", "show", "status"}},
  };
}

std::vector<std::string> SsacliBinaryNames() {
  return {"ssacli", "hpssacli", "hpacucli"};
}

ParseResult ParseSsacli(const ToolOutputs& outputs) {
  ParseResult result;
  Parser parser;
  bool any = false;
  for (const char* key : {"config", "status"}) {
    auto it = outputs.find(key);
    if (it == outputs.end()) continue;
    any = true;
    if (!parser.Feed(it->second) && result.ok) {
      result.ok = false;
      result.error = std::string("ssacli ") + key + ": unrecognised output";
    }
  }
  if (!any) {
    result.ok = false;
    result.error = "ssacli: no output";
  }
  result.report = parser.Finish();
  return result;
}

}  // namespace exporterd::raid
