#include "parse_arcconf.h"

#include <algorithm>
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

using text::IContains;
using text::IEquals;
using text::IStartsWith;
using text::LeadingNumber;
using text::Lines;
using text::Trim;

// Splits "   Key   : value" at the first ':' followed by a space or the end
// of the line (keys like "Reported Channel,Device(T:L)" contain a colon).
bool SplitKeyValue(std::string_view line, std::string_view* key,
                   std::string_view* value) {
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] != ':') continue;
    if (i + 1 < line.size() && line[i + 1] != ' ' && line[i + 1] != '\t') {
      continue;
    }
    *key = Trim(line.substr(0, i));
    *value = Trim(line.substr(i + 1));
    return !key->empty();
  }
  return false;
}

bool IsRuler(std::string_view t) {
  return t.size() >= 3 && t.find_first_not_of('-') == std::string_view::npos;
}

// "Controllers found: N" anywhere in the output.
std::optional<int> ControllersFound(std::string_view text) {
  for (std::string_view line : Lines(text)) {
    std::string_view key, value;
    if (SplitKeyValue(line, &key, &value) &&
        IEquals(key, "Controllers found")) {
      return text::Leading<int>(value);
    }
  }
  return std::nullopt;
}

Health ControllerHealth(std::string_view s) {
  if (IEquals(s, "Optimal") || IEquals(s, "Okay") || IEquals(s, "OK")) {
    return Health::kOk;
  }
  if (IContains(s, "fail")) return Health::kCritical;
  return Health::kUnknown;
}

bool BatteryAbsent(std::string_view s) {
  return s.empty() || IContains(s, "not installed") ||
         IContains(s, "not present") || IEquals(s, "None") ||
         IEquals(s, "Not Applicable");
}

Health BatteryHealth(std::string_view s) {
  if (IEquals(s, "Optimal") || IEquals(s, "ZMM Optimal") || IEquals(s, "Ok") ||
      IEquals(s, "Ready")) {
    return Health::kOk;
  }
  if (IContains(s, "fail")) return Health::kCritical;
  if (IContains(s, "charging") || IContains(s, "learn")) {
    return Health::kWarning;
  }
  return Health::kUnknown;
}

Health LogicalDriveHealth(std::string_view s, bool rebuilding) {
  if (s == "Optimal") return Health::kOk;
  if (s == "Degraded" || s == "Suboptimal") {
    return rebuilding ? Health::kWarning : Health::kCritical;
  }
  // "Impacted ( Build/Verify with fix : 90 % )": being built/verified, not
  // yet fully redundant.
  if (IStartsWith(s, "Impacted") || IStartsWith(s, "Building") ||
      IStartsWith(s, "Rebuilding")) {
    return Health::kWarning;
  }
  if (s == "Offline" || IStartsWith(s, "Failed")) return Health::kCritical;
  return Health::kUnknown;
}

Health PhysicalDriveHealth(std::string_view s) {
  static constexpr std::string_view kOk[] = {
      "Online",
      "Online (JBOD)",
      "Ready",
      "Hot Spare",
      "Hot-Spare",
      "Global Hot-Spare",
      "Dedicated Hot-Spare",
      "Pooled Hot-Spare",
      "Raw (Pass Through)",
  };
  for (std::string_view ok : kOk) {
    if (s == ok) return Health::kOk;
  }
  if (s == "Rebuilding") return Health::kWarning;
  if (s == "Failed" || s == "Defunct" || s == "Offline" || s == "Missing") {
    return Health::kCritical;
  }
  return Health::kUnknown;
}

enum class Section { kNone, kController, kArray, kLogical, kPhysical, kOther };

std::optional<Section> TopSection(std::string_view t) {
  if (IStartsWith(t, "Controller information")) return Section::kController;
  if (IStartsWith(t, "Logical device information") ||
      IStartsWith(t, "Logical drive information")) {
    return Section::kLogical;
  }
  if (IStartsWith(t, "Physical Device information")) {
    return Section::kPhysical;
  }
  if (IStartsWith(t, "Array Information")) return Section::kArray;
  if (IStartsWith(t, "maxCache information")) return Section::kOther;
  return std::nullopt;
}

struct PendingDrive {
  bool active = false;
  bool skip = false;  // enclosure services device
  PhysicalDrive pd;
  std::string number;  // "Device #N"
  bool has_location = false;
  std::optional<double> smart_warnings;
  bool pfa = false;
};

struct Task {
  std::string ld;
  std::string operation;
  std::optional<double> percent;
};

// Tasks from `GETSTATUS <n>` that name a logical device.
std::vector<Task> ParseStatus(std::string_view text, bool* recognised) {
  std::vector<Task> tasks;
  Task cur;
  bool in_task = false;
  auto flush = [&] {
    if (in_task && !cur.ld.empty()) tasks.push_back(cur);
    cur = Task{};
    in_task = false;
  };
  for (std::string_view line : Lines(text)) {
    std::string_view t = Trim(line);
    // "Logical device Task:", "Logical Device Task:", other "... Task:".
    if (t.size() > 5 && t.back() == ':' &&
        IContains(t.substr(t.size() - 5), "Task")) {
      flush();
      in_task = true;
      continue;
    }
    std::string_view key, value;
    if (!SplitKeyValue(t, &key, &value)) continue;
    if (IEquals(key, "Controllers found") ||
        IEquals(key, "Current operation")) {
      *recognised = true;
    }
    if (!in_task) continue;
    if (IEquals(key, "Logical device")) {
      cur.ld = std::string(value);
    } else if (IEquals(key, "Current operation")) {
      cur.operation = std::string(value);
    } else if (IEquals(key, "Percentage complete")) {
      cur.percent = LeadingNumber(value);
    }
  }
  flush();
  return tasks;
}

class ConfigParser {
 public:
  ConfigParser(std::string controller, Report* report)
      : ctrl_(std::move(controller)), report_(report) {}

  // Returns false when nothing in `text` looks like arcconf output.
  bool Parse(std::string_view text, const std::vector<Task>& tasks);

 private:
  void FlushDrive();
  void OnController(std::string_view key, std::string_view value);
  void OnLogical(std::string_view t, std::string_view key,
                 std::string_view value, bool kv);
  void OnPhysical(std::string_view t, std::string_view key,
                  std::string_view value, bool kv);

  std::string ctrl_;
  Report* report_;
  std::optional<Controller> controller_;
  std::optional<std::string> battery_;
  std::string subsection_;
  std::vector<LogicalDrive> lds_;
  std::vector<bool> ld_rebuilding_;
  PendingDrive drive_;
};

void ConfigParser::OnController(std::string_view key, std::string_view value) {
  if (!controller_) {
    controller_.emplace();
    controller_->id = ctrl_;
  }
  const bool power = IContains(subsection_, "battery") ||
                     IContains(subsection_, "zmm") ||
                     IContains(subsection_, "backup");
  if (power) {
    if (!battery_ &&
        (IEquals(key, "Status") || IEquals(key, "Backup Power Status") ||
         IEquals(key, "Overall Backup Unit Status"))) {
      battery_ = std::string(value);
    }
    return;
  }
  if (IEquals(key, "Controller Status")) {
    controller_->state = std::string(value);
  } else if (IEquals(key, "Controller Model")) {
    controller_->model = std::string(value);
  } else if (IEquals(key, "Temperature") && !controller_->temperature_celsius) {
    controller_->temperature_celsius = LeadingNumber(value);
  }
}

void ConfigParser::OnLogical(std::string_view t, std::string_view key,
                             std::string_view value, bool kv) {
  if (IStartsWith(t, "Logical device number ") ||
      IStartsWith(t, "Logical drive number ")) {
    std::string_view id = Trim(t.substr(t.rfind("number ") + 7));
    LogicalDrive ld;
    ld.controller = ctrl_;
    ld.id = std::string(id);
    lds_.push_back(std::move(ld));
    ld_rebuilding_.push_back(false);
    return;
  }
  if (!kv || lds_.empty()) return;
  LogicalDrive& ld = lds_.back();
  if (IEquals(key, "RAID level")) {
    if (!value.empty() && value[0] >= '0' && value[0] <= '9') {
      ld.level = "RAID" + std::string(value);
    } else {
      ld.level = std::string(value);
    }
  } else if (IStartsWith(key, "Status of logical")) {
    ld.state = std::string(value);
  } else if (IStartsWith(key, "Segment ") || IContains(key, ", Segment ")) {
    if (IStartsWith(value, "Rebuilding")) ld_rebuilding_.back() = true;
  }
}

void ConfigParser::FlushDrive() {
  if (drive_.active && !drive_.skip && !drive_.pd.state.empty()) {
    PhysicalDrive pd = std::move(drive_.pd);
    pd.controller = ctrl_;
    if (pd.id.empty()) pd.id = drive_.number;
    pd.health = PhysicalDriveHealth(pd.state);
    if ((drive_.smart_warnings && *drive_.smart_warnings > 0) || drive_.pfa ||
        (pd.predictive_failures && *pd.predictive_failures > 0)) {
      pd.health = Worse(pd.health, Health::kWarning);
    }
    report_->physical_drives.push_back(std::move(pd));
  }
  drive_ = PendingDrive{};
}

void ConfigParser::OnPhysical(std::string_view t, std::string_view key,
                              std::string_view value, bool kv) {
  if (IStartsWith(t, "Device #")) {
    FlushDrive();
    drive_.active = true;
    drive_.number = std::string(Trim(t.substr(8)));
    return;
  }
  if (!drive_.active) return;
  if (IStartsWith(t, "Device is ")) {
    if (IContains(t, "Enclosure")) drive_.skip = true;
    return;
  }
  if (!kv) return;
  PhysicalDrive& pd = drive_.pd;
  if (IEquals(key, "State")) {
    if (pd.state.empty()) pd.state = std::string(value);
  } else if (IEquals(key, "Model")) {
    if (pd.model.empty()) pd.model = std::string(value);
  } else if (IStartsWith(key, "Reported Channel,Device")) {
    // "0,1(1:0)" -> "0,1"
    pd.id = std::string(Trim(value.substr(0, value.find('('))));
  } else if (IEquals(key, "S.M.A.R.T. warnings")) {
    drive_.smart_warnings = LeadingNumber(value);
  } else if (IEquals(key, "PFA")) {
    drive_.pfa = IEquals(value, "Yes");
  } else if (IEquals(key, "Current Temperature") ||
             IEquals(key, "Temperature")) {
    // "34 deg C" (newer) or "47 C/ 116 F" (older); "Not Supported" -> none.
    if (!pd.temperature_celsius) pd.temperature_celsius = LeadingNumber(value);
  } else if (IEquals(key, "Media Failures")) {
    pd.media_errors = LeadingNumber(value);
  } else if (IEquals(key, "Predictive Failures")) {
    pd.predictive_failures = LeadingNumber(value);
  }
}

bool ConfigParser::Parse(std::string_view text,
                         const std::vector<Task>& tasks) {
  bool recognised = false;
  bool any_section = false;
  Section section = Section::kNone;
  bool prev_ruler = false;
  for (std::string_view line : Lines(text)) {
    std::string_view t = Trim(line);
    if (t.empty()) continue;
    if (IsRuler(t)) {
      prev_ruler = true;
      continue;
    }
    const bool after_ruler = prev_ruler;
    prev_ruler = false;
    const bool col0 = line[0] != ' ' && line[0] != '\t';
    if (col0) {
      if (auto s = TopSection(t)) {
        FlushDrive();
        section = *s;
        subsection_.clear();
        recognised = any_section = true;
        continue;
      }
    }
    std::string_view key, value;
    const bool kv = SplitKeyValue(t, &key, &value);
    if (kv && IEquals(key, "Controllers found")) {
      recognised = true;
      continue;
    }
    if (section == Section::kController && !col0 && after_ruler && !kv) {
      subsection_ = std::string(t);
      continue;
    }
    switch (section) {
      case Section::kController:
        if (kv) OnController(key, value);
        break;
      case Section::kLogical:
        OnLogical(t, key, value, kv);
        break;
      case Section::kPhysical:
        OnPhysical(t, key, value, kv);
        break;
      default:
        break;
    }
  }
  FlushDrive();

  if (recognised && !any_section) {
    auto found = ControllersFound(text);
    // "Controllers found: 0" is a valid empty answer; a count without any
    // section is output cut short.
    if (!found || *found != 0) recognised = false;
  }

  if (controller_) {
    controller_->health = ControllerHealth(controller_->state);
    report_->controllers.push_back(*controller_);
  }
  if (battery_ && !BatteryAbsent(*battery_)) {
    Battery b;
    b.controller = ctrl_;
    b.state = *battery_;
    b.health = BatteryHealth(b.state);
    report_->batteries.push_back(std::move(b));
  }
  for (size_t i = 0; i < lds_.size(); ++i) {
    LogicalDrive& ld = lds_[i];
    bool rebuilding = ld_rebuilding_[i];
    for (const Task& task : tasks) {
      if (task.ld != ld.id || !IStartsWith(task.operation, "Rebuild")) {
        continue;
      }
      rebuilding = true;
      if (task.percent && *task.percent >= 0 && *task.percent <= 100) {
        ld.rebuild_progress_ratio = *task.percent / 100.0;
      }
    }
    ld.health = LogicalDriveHealth(ld.state, rebuilding);
    report_->logical_drives.push_back(std::move(ld));
  }
  return recognised;
}

// Controller numbers n for which `outputs` has "<prefix><n>", ascending.
std::vector<int> Numbers(const ToolOutputs& outputs, std::string_view prefix) {
  std::vector<int> out;
  for (const auto& [key, text] : outputs) {
    if (key.size() <= prefix.size() || key.compare(0, prefix.size(), prefix)) {
      continue;
    }
    std::string_view num = std::string_view(key).substr(prefix.size());
    int n = 0;
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
    if (ec == std::errc() && ptr == num.data() + num.size()) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<std::string> ArcconfBinaryNames() { return {"arcconf"}; }

std::vector<std::pair<std::string, std::vector<std::string>>>
ArcconfCommands() {
  return {
      {"config.1", {"GETCONFIG", "1", "AL"}},
      {"status.1", {"GETSTATUS", "1"}},
  };
}

std::vector<std::pair<std::string, std::vector<std::string>>>
ArcconfFollowUpCommands(const ToolOutputs& first) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  auto it = first.find("config.1");
  if (it == first.end()) return out;
  auto found = ControllersFound(it->second);
  if (!found) return out;
  const int n = std::min(*found, 32);
  for (int i = 2; i <= n; ++i) {
    const std::string num = std::to_string(i);
    out.push_back({"config." + num, {"GETCONFIG", num, "AL"}});
    out.push_back({"status." + num, {"GETSTATUS", num}});
  }
  return out;
}

ParseResult ParseArcconf(const ToolOutputs& outputs) {
  ParseResult result;
  const std::vector<int> configs = Numbers(outputs, "config.");
  if (configs.empty()) {
    result.ok = false;
    result.error = "arcconf: no GETCONFIG output";
    return result;
  }
  for (int n : configs) {
    const std::string num = std::to_string(n);
    std::vector<Task> tasks;
    auto status = outputs.find("status." + num);
    if (status != outputs.end()) {
      bool recognised = false;
      tasks = ParseStatus(status->second, &recognised);
      if (!recognised && result.ok) {
        result.ok = false;
        result.error = "arcconf GETSTATUS " + num + ": unrecognised output";
      }
    }
    ConfigParser parser(num, &result.report);
    if (!parser.Parse(outputs.at("config." + num), tasks) && result.ok) {
      result.ok = false;
      result.error = "arcconf GETCONFIG " + num + ": unrecognised output";
    }
  }
  return result;
}

}  // namespace exporterd::raid
