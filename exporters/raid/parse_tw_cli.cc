#include "parse_tw_cli.h"

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

using text::Fields;
using text::LeadingNumber;
using text::Lines;
using text::StartsWith;
using text::Trim;

std::string JoinWords(const std::vector<std::string_view>& w, size_t from) {
  std::string out;
  for (size_t i = from; i < w.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += w[i];
  }
  return out;
}

// "c0", "u12", "p3": a letter followed by digits only.
bool IsId(std::string_view w, char letter) {
  if (w.size() < 2 || w[0] != letter) return false;
  for (size_t i = 1; i < w.size(); ++i) {
    if (w[i] < '0' || w[i] > '9') return false;
  }
  return true;
}

Health UnitHealth(std::string_view s) {
  if (s == "OK" || s == "VERIFYING" || s == "VERIFY-PAUSED") {
    return Health::kOk;
  }
  if (s == "INITIALIZING" || s == "INIT-PAUSED" || s == "REBUILDING" ||
      s == "REBUILD-PAUSED" || s == "MIGRATING" || s == "MIGRATE-PAUSED") {
    return Health::kWarning;
  }
  if (s == "DEGRADED" || s == "RECOVERY" || s == "INOPERABLE") {
    return Health::kCritical;
  }
  return Health::kUnknown;
}

Health DriveHealth(std::string_view s) {
  if (s == "OK" || s == "VERIFYING") return Health::kOk;
  if (s == "REBUILDING" || s == "INITIALIZING") return Health::kWarning;
  if (s == "DEGRADED" || s == "ECC-ERROR" || s == "SMART-FAILURE" ||
      s == "DEVICE-ERROR" || s == "OFFLINE") {
    return Health::kCritical;
  }
  return Health::kUnknown;
}

Health BbuStatusHealth(std::string_view s) {
  if (s == "OK") return Health::kOk;
  if (s == "Testing" || s == "Charging" || s == "WeakBat") {
    return Health::kWarning;
  }
  if (s == "Failed" || s == "FAILED" || s == "Fault" || s == "FAULT" ||
      s == "Error" || s == "ERROR") {
    return Health::kCritical;
  }
  return Health::kUnknown;
}

// Volt / Temp columns of the BBU table.
Health BbuSensorHealth(std::string_view s) {
  if (s == "OK") return Health::kOk;
  if (s == "LOW" || s == "HIGH") return Health::kWarning;
  if (s == "TOO-LOW" || s == "TOO-HIGH") return Health::kCritical;
  return Health::kUnknown;
}

enum class Table { kNone, kController, kUnit, kPortOld, kPortNew, kBbu };

Table TableFor(const std::vector<std::string_view>& header) {
  if (header.size() < 3) return Table::kNone;
  if (header[0] == "Ctl" && header[1] == "Model") return Table::kController;
  if (header[0] == "Unit" && header[1] == "UnitType" && header[2] == "Status") {
    return Table::kUnit;
  }
  if (header[0] == "Port" && header[1] == "Status") return Table::kPortOld;
  if (header[0] == "VPort" && header[1] == "Status") return Table::kPortNew;
  if (header[0] == "Name" && header[1] == "OnlineState") return Table::kBbu;
  return Table::kNone;
}

struct ControllerAcc {
  Controller controller;
  bool listed = false;  // seen in `show`
  std::optional<Battery> bbu_from_show;
  std::optional<Battery> bbu;
  std::vector<LogicalDrive> units;
  std::vector<PhysicalDrive> drives;
};

class Parser {
 public:
  // `ctrl` is empty for `show`. Returns false if nothing was recognised.
  bool Feed(std::string_view text, const std::string& ctrl);
  Report Finish();

 private:
  ControllerAcc& Acc(const std::string& id);
  void ControllerRow(const std::vector<std::string_view>& w);
  void UnitRow(ControllerAcc& acc, const std::vector<std::string_view>& w);
  void PortRow(ControllerAcc& acc, const std::vector<std::string_view>& w,
               bool new_layout);
  void BbuRow(ControllerAcc& acc, const std::vector<std::string_view>& w);

  std::vector<std::string> order_;
  std::map<std::string, ControllerAcc> acc_;
};

ControllerAcc& Parser::Acc(const std::string& id) {
  auto it = acc_.find(id);
  if (it == acc_.end()) {
    order_.push_back(id);
    it = acc_.emplace(id, ControllerAcc{}).first;
    it->second.controller.id = id;
  }
  return it->second;
}

// tw_cli has no controller status; the count of units that are not
// OK/VERIFYING stands in for it.
void SetNotOpt(Controller& c, std::string_view count) {
  auto n = LeadingNumber(count);
  c.state = "NotOpt=" + std::string(count);
  c.health = !n ? Health::kUnknown : *n == 0 ? Health::kOk : Health::kWarning;
}

// c0 9650SE-16ML 16 16 1 0 5 1 OK
void Parser::ControllerRow(const std::vector<std::string_view>& w) {
  if (w.size() < 6 || !IsId(w[0], 'c')) return;
  ControllerAcc& acc = Acc(std::string(w[0]));
  acc.listed = true;
  acc.controller.model = std::string(w[1]);
  SetNotOpt(acc.controller, w[5]);
  if (w.size() >= 9 && w[8] != "-") {
    Battery b;
    b.controller = acc.controller.id;
    b.state = std::string(w[8]);
    b.health = BbuStatusHealth(b.state);
    acc.bbu_from_show = std::move(b);
  }
}

// u0 RAID-1 REBUILDING 98% - - 465.651 OFF OFF
void Parser::UnitRow(ControllerAcc& acc,
                     const std::vector<std::string_view>& w) {
  if (w.size() < 3 || !IsId(w[0], 'u')) return;
  LogicalDrive ld;
  ld.controller = acc.controller.id;
  ld.id = std::string(w[0]);
  ld.level = std::string(w[1]);
  ld.state = std::string(w[2]);
  ld.health = UnitHealth(ld.state);
  if (w.size() >= 4 && StartsWith(ld.state, "REBUILD")) {
    auto pct = LeadingNumber(w[3]);
    if (pct && *pct >= 0 && *pct <= 100) ld.rebuild_progress_ratio = *pct / 100;
  }
  for (auto& existing : acc.units) {
    if (existing.id == ld.id) {
      existing = std::move(ld);
      return;
    }
  }
  acc.units.push_back(std::move(ld));
}

// Old: p0 OK u0 465.76 GB 976773168 9QM1SHZY
// New: p8 OK - 136.73 GB SAS - /c0/e0/slt3 SEAGATE ST3146855SS
void Parser::PortRow(ControllerAcc& acc, const std::vector<std::string_view>& w,
                     bool new_layout) {
  if (w.size() < 2 || !IsId(w[0], 'p')) return;
  if (w[1] == "NOT-PRESENT") return;  // empty port, not a drive
  PhysicalDrive pd;
  pd.controller = acc.controller.id;
  pd.id = std::string(w[0]);
  pd.state = std::string(w[1]);
  pd.health = DriveHealth(pd.state);
  if (new_layout && w.size() > 8) pd.model = JoinWords(w, 8);
  for (auto& existing : acc.drives) {
    if (existing.id == pd.id) {
      existing = std::move(pd);
      return;
    }
  }
  acc.drives.push_back(std::move(pd));
}

// bbu On Yes OK OK OK 118 09-Jul-2012
void Parser::BbuRow(ControllerAcc& acc,
                    const std::vector<std::string_view>& w) {
  if (w.size() < 4 || w[0] != "bbu") return;
  Battery b;
  b.controller = acc.controller.id;
  b.state = std::string(w[3]);
  b.health = BbuStatusHealth(b.state);
  if (w[1] != "On") b.health = Worse(b.health, Health::kCritical);
  if (w.size() >= 6) {
    b.health = Worse(b.health, BbuSensorHealth(w[4]));
    b.health = Worse(b.health, BbuSensorHealth(w[5]));
  }
  acc.bbu = std::move(b);
}

bool Parser::Feed(std::string_view text, const std::string& ctrl) {
  bool recognised = false;
  Table table = Table::kNone;
  for (std::string_view line : Lines(text)) {
    std::string_view t = Trim(line);
    if (t.empty()) {
      table = Table::kNone;
      continue;
    }
    if (t.find("No controller found") != std::string_view::npos) {
      recognised = true;
      continue;
    }
    if (t.find_first_not_of('-') == std::string_view::npos) continue;
    std::vector<std::string_view> w = Fields(t);
    Table header = TableFor(w);
    if (header != Table::kNone) {
      table = header;
      recognised = true;
      continue;
    }
    // "/c0 Model = 9750-4i" (but not "/c0/e0 ...").
    if (!ctrl.empty() && w.size() >= 3 && w[0] == "/" + ctrl) {
      recognised = true;
      size_t eq = t.find(" = ");
      if (eq == std::string_view::npos) continue;
      std::string_view key = Trim(t.substr(w[0].size(), eq - w[0].size()));
      std::string_view value = Trim(t.substr(eq + 3));
      ControllerAcc& acc = Acc(ctrl);
      if (key == "Model" && acc.controller.model.empty()) {
        acc.controller.model = std::string(value);
      } else if (key == "Not Optimal Units" && !acc.listed) {
        SetNotOpt(acc.controller, value);
      }
      continue;
    }
    switch (table) {
      case Table::kController:
        ControllerRow(w);
        break;
      case Table::kUnit:
        if (!ctrl.empty()) UnitRow(Acc(ctrl), w);
        break;
      case Table::kPortOld:
      case Table::kPortNew:
        if (!ctrl.empty()) PortRow(Acc(ctrl), w, table == Table::kPortNew);
        break;
      case Table::kBbu:
        if (!ctrl.empty()) BbuRow(Acc(ctrl), w);
        break;
      case Table::kNone:
        break;
    }
  }
  return recognised;
}

Report Parser::Finish() {
  Report report;
  for (const std::string& id : order_) {
    ControllerAcc& acc = acc_[id];
    // Only implied by a table capture's key: nothing known about it, so it
    // is not reported (its units and drives are).
    if (acc.listed || !acc.controller.state.empty() ||
        !acc.controller.model.empty()) {
      report.controllers.push_back(acc.controller);
    }
    if (acc.bbu) {
      report.batteries.push_back(*acc.bbu);
    } else if (acc.bbu_from_show) {
      report.batteries.push_back(*acc.bbu_from_show);
    }
    for (auto& ld : acc.units) report.logical_drives.push_back(ld);
    for (auto& pd : acc.drives) report.physical_drives.push_back(pd);
  }
  return report;
}

// Controllers ("c0", ...) listed in `tw_cli show`.
std::vector<std::string> ListedControllers(std::string_view show) {
  std::vector<std::string> out;
  Table table = Table::kNone;
  for (std::string_view line : Lines(show)) {
    std::vector<std::string_view> w = Fields(line);
    if (w.empty()) {
      table = Table::kNone;
      continue;
    }
    Table header = TableFor(w);
    if (header != Table::kNone) {
      table = header;
      continue;
    }
    if (table == Table::kController && w.size() >= 6 && IsId(w[0], 'c')) {
      out.emplace_back(w[0]);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> TwCliBinaryNames() {
  return {"tw_cli", "tw-cli", "tw_cli-9xxx"};
}

std::vector<std::pair<std::string, std::vector<std::string>>> TwCliCommands() {
  return {{"show", {"show"}}};
}

std::vector<std::pair<std::string, std::vector<std::string>>>
TwCliFollowUpCommands(const ToolOutputs& first) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  auto it = first.find("show");
  if (it == first.end()) return out;
  for (const std::string& c : ListedControllers(it->second)) {
    if (out.size() >= 32) break;
    out.push_back({"ctrl." + c, {"/" + c, "show", "all"}});
  }
  return out;
}

ParseResult ParseTwCli(const ToolOutputs& outputs) {
  ParseResult result;
  Parser parser;
  bool any = false;
  auto fail = [&](std::string error) {
    if (!result.ok) return;
    result.ok = false;
    result.error = std::move(error);
  };
  auto show = outputs.find("show");
  if (show != outputs.end()) {
    any = true;
    if (!parser.Feed(show->second, ""))
      fail("tw_cli show: unrecognised output");
  }
  for (const auto& [key, text] : outputs) {
    if (!StartsWith(key, "ctrl.")) continue;
    std::string ctrl = key.substr(5);
    ctrl = ctrl.substr(0, ctrl.find('.'));
    if (!IsId(ctrl, 'c')) continue;
    any = true;
    if (!parser.Feed(text, ctrl))
      fail("tw_cli " + key + ": unrecognised output");
  }
  if (!any) fail("tw_cli: no output");
  result.report = parser.Finish();
  return result;
}

}  // namespace exporterd::raid
