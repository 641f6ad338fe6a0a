// raid: controller, array, disk and battery health from vendor RAID CLIs
// and Linux md. See README.md for the configuration and the metrics.
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

#include "exporterd/module.h"
#include "parse_arcconf.h"
#include "parse_areca.h"
#include "parse_md.h"
#include "parse_megacli.h"
#include "parse_ssacli.h"
#include "parse_storcli.h"
#include "parse_tw_cli.h"
#include "raid_model.h"
#include "tool_runner.h"

namespace exporterd::raid {
namespace {

constexpr const char* kDefaultMdstat = "/proc/mdstat";

// Every vendor tool the module can run, in reporting order.
std::vector<ToolSpec> KnownTools() {
  std::vector<ToolSpec> specs;
  specs.push_back({"storcli",
                   StorcliBinaryNames(),
                   {"/opt/MegaRAID/storcli", "/opt/MegaRAID/perccli"},
                   StorcliCommands(),
                   ParseStorcli,
                   "\"Command Status\"",
                   nullptr});
  specs.push_back({"megacli",
                   MegacliBinaryNames(),
                   {"/opt/MegaRAID/MegaCli"},
                   MegacliCommands(),
                   ParseMegacli,
                   "Exit Code:",
                   nullptr});
  specs.push_back({"arcconf",
                   ArcconfBinaryNames(),
                   {"/usr/Arcconf"},
                   ArcconfCommands(),
                   ParseArcconf,
                   "",
                   ArcconfFollowUpCommands});
  specs.push_back({"tw_cli",
                   TwCliBinaryNames(),
                   {},
                   TwCliCommands(),
                   ParseTwCli,
                   "",
                   TwCliFollowUpCommands});
  specs.push_back({"areca",
                   ArecaBinaryNames(),
                   {},
                   ArecaCommands(),
                   ParseAreca,
                   "",
                   nullptr});
  specs.push_back({"ssacli",
                   SsacliBinaryNames(),
                   {},
                   SsacliCommands(),
                   ParseSsacli,
                   "",
                   nullptr});
  return specs;
}

struct Configured {
  std::vector<std::string> argv;  // binary (or wrapper) + fixed arguments
};

class RaidModule : public Module {
 public:
  static std::unique_ptr<Module> Create(const ModuleEnv& env,
                                        ConfigErrors& errors) {
    auto m = std::make_unique<RaidModule>();
    m->logger_ = env.logger;
    m->specs_ = KnownTools();
    std::set<std::string> known = {"md"};
    for (const ToolSpec& s : m->specs_) known.insert(s.tool);
    std::string known_list;
    for (const std::string& k : known)
      known_list += (known_list.empty() ? "" : ", ") + k;

    ConfigReader r = ModuleConfigReader(env, errors);
    YAML::Node tools = r.Raw("tools");
    if (tools.IsDefined() && !tools.IsNull()) {
      if (!tools.IsMap()) {
        r.Error("tools", "must be a mapping of tool name to path or argv");
      } else {
        for (const auto& kv : tools) {
          std::string name = kv.first.as<std::string>("");
          std::string key = "tools." + name;
          if (!known.count(name) || name == "md") {
            r.Error(key, "unknown tool (known: " + known_list + ")");
            continue;
          }
          Configured c;
          if (kv.second.IsScalar()) {
            c.argv.push_back(kv.second.as<std::string>(""));
          } else if (kv.second.IsSequence()) {
            for (const auto& a : kv.second) {
              if (!a.IsScalar()) {
                c.argv.clear();
                break;
              }
              c.argv.push_back(a.as<std::string>(""));
            }
          }
          if (c.argv.empty() || c.argv[0].empty()) {
            r.Error(key, "must be a path or a non-empty list of strings");
            continue;
          }
          m->configured_[name] = std::move(c);
        }
      }
    }
    m->mdstat_explicit_ = r.Has("mdstat_path");
    m->mdstat_path_ = r.String("mdstat_path", kDefaultMdstat);
    for (const std::string& d : r.StringList("disabled_tools", {})) {
      if (!known.count(d))
        r.Error("disabled_tools",
                "unknown tool \"" + d + "\" (known: " + known_list + ")");
      m->disabled_.insert(d);
    }
    std::vector<std::string> def_path;
    if (const char* p = getenv("PATH")) def_path = SplitPath(p);
    for (const char* d : {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                          "/usr/bin", "/sbin", "/bin"}) {
      if (std::find(def_path.begin(), def_path.end(), d) == def_path.end())
        def_path.push_back(d);
    }
    m->search_path_ = r.StringList("search_path", def_path);
    r.Finish();
    for (const auto& [name, c] : m->configured_) {
      if (m->disabled_.count(name))
        r.Error("disabled_tools", "\"" + name + "\" is also set in tools");
    }
    return m;
  }

  ~RaidModule() override {
    if (!workdir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(workdir_, ec);
    }
  }

  bool HasCollect() const override { return true; }

  CollectResult Collect(const CollectRequest& req) override {
    std::vector<ToolResult> results;
    std::vector<std::future<ToolResult>> running;
    std::vector<std::string> paths;
    std::string cwd = WorkDir();
    for (const ToolSpec& spec : specs_) {
      if (disabled_.count(spec.tool)) continue;
      std::vector<std::string> argv;
      auto cfg = configured_.find(spec.tool);
      if (cfg != configured_.end()) {
        argv = cfg->second.argv;
        // A bare name is looked up like the defaults; a path must exist.
        if (argv[0].find('/') == std::string::npos) {
          std::string found = FindBinary({argv[0]}, search_path_);
          if (found.empty()) {
            results.push_back(
                Down(spec.tool, "configured tool \"" + argv[0] +
                                    "\" not found in search path"));
            continue;
          }
          argv[0] = found;
        } else if (access(argv[0].c_str(), X_OK) != 0) {
          results.push_back(Down(
              spec.tool, "configured tool " + argv[0] + " is not executable"));
          continue;
        }
      } else {
        std::vector<std::string> dirs = search_path_;
        dirs.insert(dirs.end(), spec.extra_dirs.begin(), spec.extra_dirs.end());
        std::string found = FindBinary(spec.names, dirs);
        if (found.empty()) continue;  // not installed: not reported
        argv = {found};
      }
      if (cwd.empty()) {
        results.push_back(Down(spec.tool, "no private working directory"));
        continue;
      }
      paths.push_back(spec.tool + "=" + argv[0]);
      running.push_back(std::async(std::launch::async,
                                   [&spec, argv, cwd, deadline = req.deadline] {
                                     return RunTool(spec, argv, cwd, deadline);
                                   }));
    }
    if (!disabled_.count("md")) {
      if (auto md = CollectMd()) results.push_back(std::move(*md));
    }
    // Each command's timeout ends before the deadline, so these return in
    // time; the runner kills and reaps what overruns.
    for (auto& f : running) results.push_back(f.get());
    std::sort(results.begin(), results.end(),
              [](const ToolResult& a, const ToolResult& b) {
                return a.tool < b.tool;
              });
    LogChanges(results);
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_paths_ = paths;
      last_.clear();
      for (const ToolResult& r : results)
        last_.push_back({r.tool, r.up, r.error});
    }
    CollectResult out;
    out.families = ToFamilies(results);
    return out;
  }

  std::string Debug() const override {
    std::ostringstream o;
    o << "mdstat_path: " << mdstat_path_ << "\n";
    o << "search_path:";
    for (const auto& d : search_path_) o << " " << d;
    o << "\nconfigured tools:";
    for (const auto& [name, c] : configured_) {
      o << " " << name << "=[";
      for (size_t i = 0; i < c.argv.size(); ++i)
        o << (i ? " " : "") << c.argv[i];
      o << "]";
    }
    o << "\ndisabled_tools:";
    for (const auto& d : disabled_) o << " " << d;
    o << "\nworkdir: " << workdir_ << "\n";
    std::lock_guard<std::mutex> lock(mu_);
    o << "last scrape:\n";
    for (const auto& p : last_paths_) o << "  ran " << p << "\n";
    for (const auto& s : last_)
      o << "  " << s.tool << ": " << (s.up ? "up" : "DOWN")
        << (s.error.empty() ? "" : " (" + s.error + ")") << "\n";
    return o.str();
  }

 private:
  struct Status {
    std::string tool;
    bool up;
    std::string error;
  };

  static ToolResult Down(const std::string& tool, std::string error) {
    ToolResult r;
    r.tool = tool;
    r.error = std::move(error);
    return r;
  }

  std::optional<ToolResult> CollectMd() {
    std::ifstream in(mdstat_path_, std::ios::binary);
    if (!in) {
      // No md driver loaded: nothing to report, unless asked for.
      if (!mdstat_explicit_) return std::nullopt;
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
  std::string WorkDir() {
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
  void LogChanges(const std::vector<ToolResult>& results) {
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

  Logger* logger_ = nullptr;
  std::vector<ToolSpec> specs_;
  std::map<std::string, Configured> configured_;
  std::set<std::string> disabled_;
  std::string mdstat_path_;
  bool mdstat_explicit_ = false;
  std::vector<std::string> search_path_;

  mutable std::mutex mu_;
  std::string workdir_;
  std::map<std::string, std::string> logged_;
  std::vector<std::string> last_paths_;
  std::vector<Status> last_;
};

}  // namespace
}  // namespace exporterd::raid

EXPORTERD_MODULE(raid, exporterd::raid::RaidModule)
