#include "parse_md.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "exporterd/metrics.h"
#include "text_util.h"

namespace exporterd::raid {
namespace {

namespace t = text;

struct Member {
  std::string name;
  std::string state;  // active | spare | faulty
};

struct Array {
  std::string name;
  std::string state;  // "active" / "inactive" as printed
  std::string flags;  // "(auto-read-only)", "(read-only)"
  std::string level;  // "raid1", "linear", "" (inactive without one)
  std::vector<Member> members;
  int64_t failed = 0, spare = 0;
  int64_t active = 0, total = 0, down = 0;
  bool status_ok = true;  // the [n/m] [UU] part could be read
  bool striped = false;   // raid0/linear: no redundancy information
  bool container = false;
  double blocks = 0, blocks_synced = 0;
  std::string action;   // recovery, resync, check, reshape ("" none)
  bool queued = false;  // resync=DELAYED / PENDING
  std::optional<double> progress;
};

size_t Count(std::string_view s, std::string_view what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string_view::npos;
       p = s.find(what, p + what.size()))
    ++n;
  return n;
}

// "... [8/8] [UUUUUUUU]" -> total, active, down.
bool StatusCounts(std::string_view status, int64_t* total, int64_t* active,
                  int64_t* down) {
  // The last "[n/m]" followed by "[U_...]".
  size_t open = status.rfind('[');
  if (open == std::string_view::npos || open == 0) return false;
  size_t close = status.find(']', open);
  if (close == std::string_view::npos) return false;
  std::string_view bits = status.substr(open + 1, close - open - 1);
  if (bits.empty() || bits.find_first_not_of("U_") != std::string_view::npos)
    return false;
  size_t open2 = status.rfind('[', open - 1);
  if (open2 == std::string_view::npos) return false;
  size_t close2 = status.find(']', open2);
  if (close2 == std::string_view::npos || close2 > open) return false;
  std::string_view nm = status.substr(open2 + 1, close2 - open2 - 1);
  size_t slash = nm.find('/');
  if (slash == std::string_view::npos) return false;
  auto n = t::ParseInt(nm.substr(0, slash));
  auto m = t::ParseInt(nm.substr(slash + 1));
  if (!n || !m) return false;
  *total = *n;
  *active = *m;
  *down = static_cast<int64_t>(Count(bits, "_"));
  return true;
}

// "[=>....]  recovery =  8.5% (16775552/195310144) finish=..." or
// "resync=DELAYED".
void SyncLine(std::string_view line, Array* a) {
  bool recovery = t::Contains(line, "recovery");
  bool reshape = t::Contains(line, "reshape");
  bool resync = t::Contains(line, "resync");
  bool check = t::Contains(line, "check");
  if (!(recovery || reshape || resync || check)) return;
  a->action = recovery  ? "recovery"
              : reshape ? "reshape"
              : check   ? "check"
                        : "resync";
  if (t::Contains(line, "PENDING") || t::Contains(line, "DELAYED")) {
    a->queued = true;
    a->blocks_synced = 0;
    return;
  }
  size_t pct = line.find('%');
  if (pct != std::string_view::npos) {
    size_t start = line.rfind(' ', pct);
    start = start == std::string_view::npos ? 0 : start + 1;
    if (auto v = t::LeadingNumber(line.substr(start, pct - start))) {
      // The ratio rounded once from the decimal text ("3.6" -> 0.036), not
      // 3.6 / 100 = 0.036000000000000004.
      const std::string text =
          std::string(line.substr(start, pct - start)) + "e-2";
      char* end = nullptr;
      double ratio = std::strtod(text.c_str(), &end);
      if (end == nullptr || *end != '\0') ratio = *v / 100.0;
      a->progress = std::clamp(ratio, 0.0, 1.0);
    }
  }
  size_t open = line.find('(');
  size_t slash = line.find('/', open == std::string_view::npos ? 0 : open);
  if (open != std::string_view::npos && slash != std::string_view::npos) {
    if (auto n = t::ParseInt(line.substr(open + 1, slash - open - 1)))
      a->blocks_synced = static_cast<double>(*n);
  }
}

Health ArrayHealth(const Array& a) {
  if (a.state == "inactive")
    return a.container ? Health::kOk : Health::kCritical;
  if (!a.status_ok) return Health::kUnknown;
  if (a.striped) return a.failed > 0 ? Health::kCritical : Health::kOk;
  bool degraded = a.down > 0 || a.active < a.total;
  if (degraded) {
    if (a.action == "recovery" || a.action == "reshape" || a.queued)
      return Health::kWarning;
    return Health::kCritical;
  }
  if (a.action == "resync" || a.action == "reshape" || a.action == "recovery")
    return Health::kWarning;
  if (a.failed > 0) return Health::kWarning;
  return Health::kOk;
}

std::string ArrayState(const Array& a) {
  std::string s = a.state;
  if (!a.flags.empty()) s += " " + a.flags;
  if (a.state != "inactive" && !a.striped && a.status_ok &&
      (a.down > 0 || a.active < a.total))
    s += ", degraded";
  if (!a.action.empty()) {
    s += ", " + a.action;
    if (a.queued) s += " queued";
  }
  return s;
}

}  // namespace

ParseResult ParseMd(const ToolOutputs& outputs) {
  ParseResult res;
  auto it = outputs.find("mdstat");
  if (it == outputs.end()) {
    res.ok = false;
    res.error = "no mdstat input";
    return res;
  }
  std::vector<std::string_view> lines = t::Lines(it->second);
  bool personalities = false;
  std::vector<Array> arrays;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (t::StartsWith(line, "Personalities")) {
      personalities = true;
      continue;
    }
    if (t::Trim(line).empty() || line[0] == ' ' || line[0] == '\t' ||
        t::StartsWith(line, "unused"))
      continue;
    std::vector<std::string_view> f = t::Fields(line);
    if (f.size() < 3 || f[1] != ":") continue;  // not an array line
    Array a;
    a.name = std::string(f[0]);
    a.state = std::string(f[2]);
    size_t k = 3;
    while (k < f.size() && f[k].front() == '(') {
      a.flags += (a.flags.empty() ? "" : " ") + std::string(f[k]);
      ++k;
    }
    if (k < f.size() && !t::Contains(f[k], "[")) a.level = std::string(f[k++]);
    for (; k < f.size(); ++k) {
      std::string_view tok = f[k];
      size_t br = tok.find('[');
      Member m;
      m.name = std::string(tok.substr(0, br));
      m.state = t::Contains(tok, "(F)")   ? "faulty"
                : t::Contains(tok, "(S)") ? "spare"
                                          : "active";
      if (!m.name.empty()) a.members.push_back(std::move(m));
    }
    a.failed = static_cast<int64_t>(Count(line, "(F)"));
    a.spare = static_cast<int64_t>(Count(line, "(S)"));
    std::string_view status = i + 1 < lines.size() ? lines[i + 1] : "";
    std::vector<std::string_view> sf = t::Fields(status);
    auto size = sf.empty() ? std::nullopt : t::ParseInt(sf[0]);
    if (!size) {
      res.ok = false;
      res.error = "mdstat: no block count for " + a.name;
      res.report = Report();
      return res;
    }
    a.blocks = static_cast<double>(*size);
    a.blocks_synced = a.blocks;
    a.container = a.state == "inactive" && t::Contains(status, "external:") &&
                  !t::Contains(status, "external:/");
    if (t::Contains(line, "raid0") || t::Contains(line, "linear")) {
      a.striped = true;
      a.total = a.active = static_cast<int64_t>(Count(line, "["));
    } else if (a.state == "inactive") {
      // node_exporter reports no disk counts for an inactive array.
    } else {
      a.status_ok = StatusCounts(status, &a.total, &a.active, &a.down);
    }
    size_t sync = i + 2;
    if (sync < lines.size() && t::Contains(lines[sync], "bitmap")) ++sync;
    if (sync < lines.size()) {
      std::string_view s = lines[sync];
      // Only an indented continuation line belongs to this array.
      if (!s.empty() && (s[0] == ' ' || s[0] == '\t')) SyncLine(s, &a);
    }
    arrays.push_back(std::move(a));
  }
  if (!personalities && arrays.empty()) {
    res.ok = false;
    res.error = "not /proc/mdstat output (no Personalities line)";
    return res;
  }
  std::sort(arrays.begin(), arrays.end(),
            [](const Array& x, const Array& y) { return x.name < y.name; });

  Family blocks =
      Family::Gauge("node_md_blocks", "Total number of blocks on device.");
  Family synced = Family::Gauge("node_md_blocks_synced",
                                "Number of blocks synced on device.");
  Family disks = Family::Gauge(
      "node_md_disks", "Number of active/failed/spare disks of device.");
  Family required = Family::Gauge("node_md_disks_required",
                                  "Total number of disks of device.");
  Family state =
      Family::Gauge("node_md_state", "Indicates the state of md-device.");
  Report& rep = res.report;
  for (const Array& a : arrays) {
    blocks.Add({{"device", a.name}}, a.blocks);
    synced.Add({{"device", a.name}}, a.blocks_synced);
    disks.Add({{"device", a.name}, {"state", "active"}},
              static_cast<double>(a.active));
    disks.Add({{"device", a.name}, {"state", "failed"}},
              static_cast<double>(a.failed));
    disks.Add({{"device", a.name}, {"state", "spare"}},
              static_cast<double>(a.spare));
    required.Add({{"device", a.name}}, static_cast<double>(a.total));
    std::string activity = a.action == "recovery"  ? "recovering"
                           : a.action == "resync"  ? "resync"
                           : a.action == "check"   ? "check"
                           : a.action == "reshape" ? "reshape"
                                                   : a.state;
    for (const char* s :
         {"active", "check", "inactive", "recovering", "reshape", "resync"})
      state.Add({{"device", a.name}, {"state", s}}, activity == s ? 1 : 0);

    LogicalDrive ld;
    ld.controller = a.name;
    ld.id = a.name;
    ld.level = a.level;
    ld.state = ArrayState(a);
    ld.health = ArrayHealth(a);
    if (a.action == "recovery" && !a.queued)
      ld.rebuild_progress_ratio = a.progress;
    rep.logical_drives.push_back(std::move(ld));
    for (const Member& m : a.members) {
      PhysicalDrive pd;
      pd.controller = a.name;
      pd.id = m.name;
      pd.state = m.state;
      pd.health = m.state == "faulty" ? Health::kCritical : Health::kOk;
      rep.physical_drives.push_back(std::move(pd));
    }
  }
  if (!arrays.empty()) {
    for (Family* f : {&blocks, &synced, &disks, &required, &state})
      f->MoveTo(&rep.extra);
  }
  return res;
}

}  // namespace exporterd::raid
