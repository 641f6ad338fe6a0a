// raid: controller, array, disk and battery health from vendor RAID CLIs
// and Linux md. See README.md for the configuration and the metrics.
#include "raid_module.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "exporterd/config_map.h"
#include "parse_arcconf.h"
#include "parse_areca.h"
#include "parse_md.h"
#include "parse_megacli.h"
#include "parse_ssacli.h"
#include "parse_storcli.h"
#include "parse_tw_cli.h"

namespace exporterd::raid {
namespace {

constexpr const char* kDefaultMdstat = "/proc/mdstat";

// Every vendor tool the module can run, in reporting order.
std::vector<ToolSpec> KnownTools() {
  std::vector<ToolSpec> specs;
  specs.push_back({"storcli", StorcliBinaryNames(), StorcliCommands(),
                   ParseStorcli, "\"Command Status\"", nullptr});
  specs.push_back({"megacli", MegacliBinaryNames(), MegacliCommands(),
                   ParseMegacli, "Exit Code:", nullptr});
  specs.push_back({"arcconf", ArcconfBinaryNames(), ArcconfCommands(),
                   ParseArcconf, "", ArcconfFollowUpCommands});
  specs.push_back({"tw_cli", TwCliBinaryNames(), TwCliCommands(), ParseTwCli,
                   "", TwCliFollowUpCommands});
  specs.push_back(
      {"areca", ArecaBinaryNames(), ArecaCommands(), ParseAreca, "", nullptr});
  specs.push_back({"ssacli", SsacliBinaryNames(), SsacliCommands(), ParseSsacli,
                   "", nullptr});
  return specs;
}

ToolResult Down(const std::string& tool, std::string error) {
  ToolResult r;
  r.tool = tool;
  r.error = std::move(error);
  return r;
}

std::string Join(const std::vector<std::string>& v, const char* sep = " ") {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// Tool names for `tools` and `disabled_tools` (md only for the latter).
const std::set<std::string>& KnownToolNames() {
  static const std::set<std::string> known = [] {
    std::set<std::string> k = {"md"};
    for (const ToolSpec& s : KnownTools()) k.insert(s.tool);
    return k;
  }();
  return known;
}

std::string KnownList() {
  const std::set<std::string>& k = KnownToolNames();
  return "(known: " + Join({k.begin(), k.end()}, ", ") + ")";
}

// `tools`: tool name -> an absolute path, a bare name, or an argv prefix.
void ReadTools(ConfigReader& r, Config* c) {
  YAML::Node tools = r.Raw("tools");
  if (!tools.IsDefined() || tools.IsNull()) return;
  if (!tools.IsMap()) {
    r.Error("tools", "must be a mapping of tool name to path or argv");
    return;
  }
  ConfigReader t = r.Child("tools");  // errors at tools.<name>
  for (const auto& kv : tools) {
    std::string name = kv.first.as<std::string>("");
    if (!KnownToolNames().count(name) || name == "md") {
      t.Error(name, "unknown tool " + KnownList());
      continue;
    }
    std::vector<std::string> argv;
    if (kv.second.IsScalar()) {
      argv.push_back(kv.second.as<std::string>(""));
    } else if (kv.second.IsSequence()) {
      for (const auto& a : kv.second) {
        if (!a.IsScalar()) {
          argv.clear();
          break;
        }
        argv.push_back(a.as<std::string>(""));
      }
    }
    if (argv.empty() || argv[0].empty()) {
      t.Error(name, "must be a path or a non-empty list of strings");
      continue;
    }
    if (argv[0][0] != '/' && argv[0].find('/') != std::string::npos) {
      t.Error(name, "\"" + argv[0] +
                        "\" must be an absolute path or a bare name looked up "
                        "in tool_dirs");
      continue;
    }
    c->tools[name] = std::move(argv);
  }
}

// `tool_dirs` (or its former name `search_path`): absolute directories,
// duplicates dropped; the fixed default list when absent.
void ReadToolDirs(ConfigReader& r, Config* c) {
  c->tool_dirs = DefaultToolDirs();
  std::string key = "tool_dirs";
  if (r.Has("search_path")) {
    if (r.Has("tool_dirs")) {
      r.Raw("search_path");
      r.Raw("tool_dirs");
      r.Error("search_path", "is the former name of tool_dirs: set only one");
      return;
    }
    key = "search_path";
    c->from_search_path = true;
  }
  YAML::Node n = r.Raw(key);
  if (!n.IsDefined() || n.IsNull()) return;
  if (!n.IsSequence()) {
    r.Error(key, "expected a list of absolute directories");
    return;
  }
  c->tool_dirs.clear();
  for (size_t i = 0; i < n.size(); ++i) {
    std::string at = r.path() + "." + key + "[" + std::to_string(i) + "]";
    int line = NodeLine(n[i]);
    if (!n[i].IsScalar()) {
      c->tool_dir_errors.push_back(
          {r.file(), line, at, "expected a directory"});
      continue;
    }
    std::string dir = NormalizeToolDir(n[i].Scalar());
    if (dir.empty()) {
      c->tool_dir_errors.push_back(
          {r.file(), line, at,
           "\"" + n[i].Scalar() +
               "\" is not an absolute directory (tools are never looked up "
               "relative to the working directory or in PATH)"});
      continue;
    }
    if (std::find(c->tool_dirs.begin(), c->tool_dirs.end(), dir) ==
        c->tool_dirs.end())
      c->tool_dirs.push_back(dir);
  }
}

const ConfigMap<Config>& Keys() {
  static const ConfigMap<Config> m{
      Custom<Config>(
          "tools", "mapping: tool to path or argv", "",
          "Where a tool is, or the argv prefix to run it with (below); "
          "known: storcli, megacli, arcconf, tw_cli, areca, ssacli.",
          ReadTools),
      Key("mdstat_path", &Config::mdstat_path, {},
          "File read for md. Set (even to the default), a missing file is "
          "raid_up{tool=\"md\"} 0; by default it means no md.")
          .DefaultText(kDefaultMdstat),
      Key("disabled_tools", &Config::disabled_tools, {},
          "Tools (including md) never run.")
          .Check([](const std::vector<std::string>& tools) {
            std::vector<std::string> unknown;
            for (const std::string& t : tools)
              if (!KnownToolNames().count(t))
                unknown.push_back("\"" + t + "\"");
            if (unknown.empty()) return std::string();
            return (unknown.size() == 1 ? "unknown tool " : "unknown tools ") +
                   Join(unknown, ", ") + " " + KnownList();
          }),
      Custom<Config>(
          "tool_dirs", "list of absolute directories",
          "[" + Join(DefaultToolDirs(), ", ") + "]",
          "Where tools (and a bare-named wrapper such as sudo) are looked "
          "for, in order; never PATH. search_path: its former name "
          "(deprecated).",
          ReadToolDirs),
  };
  return m;
}

}  // namespace

std::string RaidModule::ConfigReference() { return Keys().Reference(); }

std::unique_ptr<Module> RaidModule::Create(const ModuleEnv& env,
                                           ConfigErrors& errors) {
  auto m = std::make_unique<RaidModule>();
  m->logger_ = env.logger;
  m->specs_ = KnownTools();
  ConfigReader r = ModuleConfigReader(env, errors);
  Config& c = m->cfg_;
  c = Keys().Read(r);
  for (ConfigError& e : c.tool_dir_errors) errors.list.push_back(std::move(e));
  c.tool_dir_errors.clear();
  if (c.from_search_path)
    m->logger_->Warn("raid: search_path is deprecated, use tool_dirs",
                     {{"key", r.path() + ".search_path"}});
  m->mdstat_path_ = c.mdstat_path.value_or(kDefaultMdstat);
  m->disabled_.insert(c.disabled_tools.begin(), c.disabled_tools.end());
  for (const auto& [name, argv] : c.tools) {
    if (m->disabled_.count(name))
      r.Error("disabled_tools", "\"" + name + "\" is also set in tools");
  }
  return m;
}

RaidModule::~RaidModule() {
  if (!workdir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(workdir_, ec);
  }
}

RaidModule::Resolved RaidModule::Resolve(const ToolSpec& spec) const {
  Resolved res;
  auto cfg = cfg_.tools.find(spec.tool);
  if (cfg == cfg_.tools.end()) {
    std::string found = FindBinary(spec.names, cfg_.tool_dirs);
    if (!found.empty()) res.argv = {found};  // else: not installed
    return res;
  }
  std::vector<std::string> argv = cfg->second;
  // A bare name is looked up like the defaults; a path must exist.
  if (argv[0].find('/') == std::string::npos) {
    std::string found = FindBinary({argv[0]}, cfg_.tool_dirs);
    if (found.empty()) {
      res.error = "configured tool \"" + argv[0] + "\" not found in tool_dirs";
      return res;
    }
    argv[0] = found;
  } else if (access(argv[0].c_str(), X_OK) != 0) {
    res.error = "configured tool " + argv[0] + " is not executable";
    return res;
  }
  res.argv = std::move(argv);
  return res;
}

CollectResult RaidModule::Collect(const CollectRequest& req) {
  std::vector<ToolResult> results;
  std::vector<std::future<ToolResult>> running;
  std::string cwd = WorkDir();
  for (const ToolSpec& spec : specs_) {
    if (disabled_.count(spec.tool)) continue;
    Resolved tool = Resolve(spec);
    if (!tool.error.empty()) {
      results.push_back(Down(spec.tool, tool.error));
      continue;
    }
    if (tool.argv.empty()) continue;  // not installed: not reported
    if (cwd.empty()) {
      results.push_back(Down(spec.tool, "no private working directory"));
      continue;
    }
    running.push_back(std::async(
        std::launch::async,
        [&spec, argv = std::move(tool.argv), cwd, deadline = req.deadline] {
          return RunTool(spec, argv, cwd, deadline);
        }));
  }
  if (!disabled_.count("md")) {
    if (auto md = CollectMd()) results.push_back(std::move(*md));
  }
  // Each command's timeout ends before the deadline, so these return in
  // time; the runner kills and reaps what overruns.
  for (auto& f : running) results.push_back(f.get());
  std::sort(
      results.begin(), results.end(),
      [](const ToolResult& a, const ToolResult& b) { return a.tool < b.tool; });
  LogChanges(results);
  {
    std::lock_guard<std::mutex> lock(mu_);
    scraped_ = true;
    last_.clear();
    for (const ToolResult& r : results)
      last_.push_back({r.tool, r.up, r.error});
  }
  CollectResult out;
  out.families = ToFamilies(results);
  return out;
}

std::string RaidModule::Debug() const {
  std::ostringstream o;
  o << "mdstat_path: " << mdstat_path_ << "\n";
  o << "tool_dirs (searched in this order; PATH is not): "
    << (cfg_.tool_dirs.empty() ? "none" : Join(cfg_.tool_dirs)) << "\n";
  o << "disabled_tools: "
    << (disabled_.empty() ? "none"
                          : Join(std::vector<std::string>(disabled_.begin(),
                                                          disabled_.end())))
    << "\n";
  o << "tools:\n";
  std::vector<std::string> missing;
  for (const ToolSpec& spec : specs_) {
    if (disabled_.count(spec.tool)) continue;
    Resolved tool = Resolve(spec);
    bool configured = cfg_.tools.count(spec.tool) != 0;
    if (!tool.error.empty()) {
      o << "  " << spec.tool << ": " << tool.error << "\n";
    } else if (!tool.argv.empty()) {
      o << "  " << spec.tool << ": " << Join(tool.argv)
        << (configured ? " (from tools:)" : "") << "\n";
    } else {
      missing.push_back(spec.tool);
    }
  }
  if (!missing.empty()) o << "  not installed: " << Join(missing) << "\n";
  std::lock_guard<std::mutex> lock(mu_);
  o << "last scrape:" << (scraped_ ? "" : " none yet") << "\n";
  for (const auto& s : last_)
    o << "  " << s.tool << ": " << (s.up ? "up" : "DOWN")
      << (s.error.empty() ? "" : " (" + s.error + ")") << "\n";
  return o.str();
}

std::optional<ToolResult> RaidModule::CollectMd() {
  std::ifstream in(mdstat_path_, std::ios::binary);
  if (!in) {
    // No md driver loaded: nothing to report, unless asked for.
    if (!cfg_.mdstat_path) return std::nullopt;
    return Down("md", "cannot read " + mdstat_path_);
  }
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  ParseResult p = ParseMd({{"mdstat", text}});
  ToolResult r;
  r.tool = "md";
  if (!p.ok) {
    r.error = p.error;
    return r;
  }
  r.up = true;
  r.report = std::move(p.report);
  return r;
}

// A private directory for the tools' working directory (MegaCli and
// arcconf write log files into it). Re-created if something removed it.
std::string RaidModule::WorkDir() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!workdir_.empty() && std::filesystem::is_directory(workdir_))
    return workdir_;
  std::error_code ec;
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string tmpl = (base / "exporterd-raid-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    logger_->Warn("raid: cannot create a working directory",
                  {{"path", tmpl}, {"err", strerror(errno)}});
    return {};
  }
  workdir_ = tmpl;
  return workdir_;
}

// Per-tool failures are logged at warn when the error changes, and once
// at info when the tool recovers.
void RaidModule::LogChanges(const std::vector<ToolResult>& results) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const ToolResult& r : results) {
    std::string& prev = logged_[r.tool];
    if (!r.up && r.error != prev) {
      logger_->Warn("raid tool failed", {{"tool", r.tool}, {"err", r.error}});
      prev = r.error;
    } else if (r.up && !prev.empty()) {
      logger_->Info("raid tool recovered", {{"tool", r.tool}});
      prev.clear();
    }
  }
}

}  // namespace exporterd::raid

EXPORTERD_MODULE(raid, exporterd::raid::RaidModule)
