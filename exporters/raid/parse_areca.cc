#include "parse_areca.h"

#include <charconv>
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text_util.h"

namespace exporterd::raid {
namespace {

using text::Lines;
using text::StartsWith;
using text::Trim;

constexpr std::string_view kController = "1";

// Trimmed columns [from, to) of a fixed-width row; empty when out of range.
std::string_view Column(std::string_view row, size_t from,
                        size_t to = std::string_view::npos) {
  if (from >= row.size() || to <= from) return {};
  return Trim(row.substr(from, to == std::string_view::npos ? to : to - from));
}

// "SLOT 01", "Slot#1", "01" -> "1"; empty if no digits.
std::string Digits(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c >= '0' && c <= '9') out.push_back(c);
  }
  size_t nz = out.find_first_not_of('0');
  if (out.empty()) return out;
  return nz == std::string::npos ? "0" : out.substr(nz);
}

bool IsRule(std::string_view t) {
  return t.size() >= 3 && t.find_first_not_of('=') == std::string_view::npos;
}

// Column start of `word` in a header line, if present as a whole word.
std::optional<size_t> HeaderColumn(std::string_view header,
                                   std::string_view word) {
  size_t pos = 0;
  while ((pos = header.find(word, pos)) != std::string_view::npos) {
    bool left = pos == 0 || header[pos - 1] == ' ';
    size_t end = pos + word.size();
    bool right = end == header.size() || header[end] == ' ';
    if (left && right) return pos;
    pos = end;
  }
  return std::nullopt;
}

Health RaidSetHealth(std::string_view s) {
  if (s == "Normal" || s == "Checking") return Health::kOk;
  if (StartsWith(s, "Rebuilding") || StartsWith(s, "Initializing") ||
      StartsWith(s, "Migrating")) {
    return Health::kWarning;
  }
  if (s == "Degraded" || s == "Incompleted" || s == "Failed") {
    return Health::kCritical;
  }
  return Health::kUnknown;
}

Health DiskHealth(std::string_view usage, const std::set<std::string>& sets) {
  if (sets.count(std::string(usage)) > 0) return Health::kOk;
  if (StartsWith(usage, "HotSpare") || usage == "Pass Through" ||
      usage == "JBOD" || usage == "Free") {
    return Health::kOk;
  }
  if (StartsWith(usage, "Rebuild")) return Health::kWarning;
  if (usage == "Failed") return Health::kCritical;
  return Health::kUnknown;
}

// "No card" and trailer lines shared by every command.
bool IsKnownNonTable(std::string_view t, bool* no_controller) {
  if (StartsWith(t, "GuiErrMsg<0x00>")) return true;
  if (StartsWith(t, "Error:") &&
      t.find("drivers are installed") != std::string_view::npos) {
    *no_controller = true;
    return true;
  }
  return false;
}

// `rsf info`. Returns false when no table or known message was found.
bool ParseRsf(std::string_view text, Report* report,
              std::set<std::string>* set_names, bool* no_controller) {
  bool recognised = false;
  std::optional<size_t> name_col, disks_col, state_col;
  bool in_table = false;
  for (std::string_view line : Lines(text)) {
    std::string_view t = Trim(line);
    if (t.empty()) continue;
    if (IsKnownNonTable(t, no_controller)) {
      recognised = true;
      in_table = false;
      continue;
    }
    if (StartsWith(t, "#") && HeaderColumn(line, "Name") &&
        HeaderColumn(line, "State") && HeaderColumn(line, "Disks")) {
      name_col = HeaderColumn(line, "Name");
      disks_col = HeaderColumn(line, "Disks");
      state_col = HeaderColumn(line, "State");
      in_table = recognised = true;
      continue;
    }
    if (!in_table || IsRule(t)) continue;
    // " 1  Raid Set # 000      23 34500.0GB    0.0GB   1500.0GB   Normal"
    if (t[0] < '0' || t[0] > '9') continue;
    std::string name(Column(line, *name_col, *disks_col));
    std::string_view state = Column(line, *state_col);
    if (name.empty() || state.empty()) continue;
    LogicalDrive ld;
    ld.controller = std::string(kController);
    ld.id = name;
    ld.state = std::string(state);
    ld.health = RaidSetHealth(ld.state);
    if (StartsWith(ld.state, "Rebuilding")) {
      size_t pct = ld.state.find('%');
      size_t b = pct;
      while (b != std::string::npos && b > 0 && ld.state[b - 1] >= '0' &&
             ld.state[b - 1] <= '9') {
        --b;
      }
      double v = 0;
      if (pct != std::string::npos && b < pct &&
          std::from_chars(ld.state.data() + b, ld.state.data() + pct, v).ec ==
              std::errc() &&
          v <= 100) {
        ld.rebuild_progress_ratio = v / 100;
      }
    }
    set_names->insert(name);
    report->logical_drives.push_back(std::move(ld));
  }
  return recognised;
}

// `disk info`, "Ch#" or "Enc# Slot#" layout.
bool ParseDisk(std::string_view text, const std::set<std::string>& sets,
               Report* report, bool* no_controller) {
  bool recognised = false;
  bool in_table = false;
  std::optional<size_t> ch_col, enc_col, slot_col, model_col, usage_col;
  for (std::string_view line : Lines(text)) {
    std::string_view t = Trim(line);
    if (t.empty()) continue;
    if (IsKnownNonTable(t, no_controller)) {
      recognised = true;
      in_table = false;
      continue;
    }
    if (StartsWith(t, "#") && HeaderColumn(line, "ModelName") &&
        HeaderColumn(line, "Capacity") && HeaderColumn(line, "Usage")) {
      ch_col = HeaderColumn(line, "Ch#");
      enc_col = HeaderColumn(line, "Enc#");
      slot_col = HeaderColumn(line, "Slot#");
      model_col = HeaderColumn(line, "ModelName");
      usage_col = HeaderColumn(line, "Usage");
      in_table = recognised = true;
      if (!ch_col && !(enc_col && slot_col)) in_table = false;
      continue;
    }
    if (!in_table || IsRule(t)) continue;
    if (t[0] < '0' || t[0] > '9') continue;
    // Model and capacity: the capacity is the last word (right-aligned, it
    // may start left of its header when wide).
    std::string_view model = Column(line, *model_col, *usage_col);
    size_t last_space = model.find_last_of(" ");
    model = last_space == std::string_view::npos
                ? std::string_view()
                : Trim(model.substr(0, last_space));
    std::string_view usage = Column(line, *usage_col);
    if (usage.empty() || usage == "N.A.") continue;  // empty slot
    std::string id;
    if (enc_col && slot_col) {
      std::string enc = Digits(Column(line, *enc_col, *slot_col));
      std::string slot = Digits(Column(line, *slot_col, *model_col));
      if (enc.empty() || slot.empty()) continue;
      id = enc + ":" + slot;
    } else {
      id = Digits(Column(line, *ch_col, *model_col));
      if (id.empty()) continue;
    }
    PhysicalDrive pd;
    pd.controller = std::string(kController);
    pd.id = id;
    pd.model = std::string(model);
    pd.state = std::string(usage);
    pd.health = DiskHealth(usage, sets);
    report->physical_drives.push_back(std::move(pd));
  }
  return recognised;
}

}  // namespace

std::vector<std::string> ArecaBinaryNames() {
  return {"cli64", "cli32", "areca-cli", "areca.cli64"};
}

std::vector<std::pair<std::string, std::vector<std::string>>> ArecaCommands() {
  return {{"rsf", {"rsf", "info"}}, {"disk", {"disk", "info"}}};
}

ParseResult ParseAreca(const ToolOutputs& outputs) {
  ParseResult result;
  bool no_controller = false;
  std::set<std::string> sets;
  auto rsf = outputs.find("rsf");
  auto disk = outputs.find("disk");
  if (rsf == outputs.end() && disk == outputs.end()) {
    result.ok = false;
    result.error = "areca: no output";
    return result;
  }
  if (rsf != outputs.end() &&
      !ParseRsf(rsf->second, &result.report, &sets, &no_controller)) {
    result.ok = false;
    result.error = "areca rsf info: unrecognised output";
  }
  if (disk != outputs.end() &&
      !ParseDisk(disk->second, sets, &result.report, &no_controller) &&
      result.ok) {
    result.ok = false;
    result.error = "areca disk info: unrecognised output";
  }
  if (no_controller) result.report = Report{};
  return result;
}

}  // namespace exporterd::raid
