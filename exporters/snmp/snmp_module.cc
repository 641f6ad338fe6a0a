#include "snmp_module.h"

#include <atomic>
#include <cctype>
#include <filesystem>
#include <set>
#include <tuple>

#include "exporterd/asio.h"
#include "exporterd/config_map.h"
#include "exporterd/metrics.h"

namespace exporterd::snmp {
namespace {

const ConfigMap<ModuleOptions>& Keys() {
  static const ConfigMap<ModuleOptions> m{
      Custom<ModuleOptions>(
          "config_file", "path or list of paths", "",
          "snmp.yml files (globs allowed; relative to this file's "
          "directory), merged like snmp_exporter's repeated --config.file. "
          "Empty: the built-in if_mib (see README).",
          [](ConfigReader& r, ModuleOptions* o) {
            if (!r.Has("config_file")) return;
            YAML::Node n = r.Raw("config_file");
            if (n.IsScalar()) {
              o->config_file = {n.Scalar()};
            } else if (n.IsSequence()) {
              for (const auto& x : n) {
                if (!x.IsScalar()) {
                  r.Error("config_file", "expected a path or a list of paths");
                  return;
                }
                o->config_file.push_back(x.Scalar());
              }
            } else if (!n.IsNull()) {
              r.Error("config_file", "expected a path or a list of paths");
            }
          }),
      Key("expand_environment_variables",
          &ModuleOptions::expand_environment_variables, false,
          "Expand ${VAR} in auth username, password and priv_password "
          "(snmp_exporter's --config.expand-environment-variables)."),
      Key("compat", &ModuleOptions::compat, std::string("0.21"),
          "Which snmp_exporter's output to match where versions differ "
          "(rendering corner cases; module label on snmp_scrape_*).")
          .OneOf({"0.21", "0.30"}),
      Key("wrap_large_counters", &ModuleOptions::wrap_large_counters, true,
          "Counter64 values modulo 2^53 (snmp_exporter's "
          "--snmp.wrap-large-counters)."),
      Key("max_concurrent_walks_per_target",
          &ModuleOptions::max_concurrent_walks_per_target, int64_t{4},
          "Walks/GETs in flight per target across all requests; 1 walks one "
          "subtree at a time like snmp_exporter.")
          .Range(int64_t{1}, int64_t{64}),
      Key("partial_results", &ModuleOptions::partial_results, false,
          "On a failed fetch or at the deadline, answer 200 with what arrived "
          "plus snmp_scrape_success 0, instead of an error (snmp_exporter's "
          "all-or-nothing)."),
      Key("coalesce_requests", &ModuleOptions::coalesce_requests, true,
          "Identical requests in flight (target, auth, modules) share one "
          "scrape."),
  };
  return m;
}

std::atomic<uint64_t> g_instances{0};
std::atomic<uint64_t> g_request_errors{0};

std::string VersionText(const Auth& a) {
  if (a.version == 3)
    return "v3 user " + (a.username.empty() ? "\"\"" : a.username) + " " +
           a.security_level;
  return a.version == 1 ? "v1" : "v2c";
}

bool HexDecode(std::string_view hex, std::string* out) {
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
    hex.remove_prefix(2);
  if (hex.size() % 2) return false;
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int h = val(hex[i]), l = val(hex[i + 1]);
    if (h < 0 || l < 0) return false;
    out->push_back(static_cast<char>(h * 16 + l));
  }
  return true;
}

size_t Count(const TargetRequest& req, std::string_view key) {
  size_t n = 0;
  for (const auto& [k, v] : req.params) n += k == key;
  return n;
}

}  // namespace

ParsedQuery ParseQuery(const TargetRequest& req,
                       const std::shared_ptr<const Config>& config,
                       const ScrapeOptions& options,
                       const std::string& instance_key) {
  ParsedQuery out;
  auto refuse = [&](std::string why) {
    out.status = 400;
    out.error = std::move(why) + "\n";
    return out;
  };
  const std::string target = req.Param("target");
  if (Count(req, "target") != 1 || target.empty())
    return refuse("'target' parameter must be specified once");
  for (const char* once : {"auth", "snmp_context", "snmp_engineid"})
    if (Count(req, once) > 1)
      return refuse(std::string("'") + once +
                    "' parameter must only be specified once");
  const bool auth_given = Count(req, "auth") == 1;
  const std::string auth_name = auth_given ? req.Param("auth") : "public_v2";
  const std::string context = req.Param("snmp_context");
  const bool context_given = Count(req, "snmp_context") == 1;
  std::string engine_id;
  if (Count(req, "snmp_engineid") == 1 &&
      !HexDecode(req.Param("snmp_engineid"), &engine_id))
    return refuse("'snmp_engineid' must be hexadecimal, got '" +
                  req.Param("snmp_engineid") + "'");

  std::vector<std::string> names;
  std::set<std::string> seen;
  bool any_module_param = false;
  for (const auto& [k, v] : req.params) {
    if (k != "module") continue;
    any_module_param = true;
    size_t start = 0;
    while (start <= v.size()) {
      size_t end = v.find(',', start);
      if (end == std::string::npos) end = v.size();
      std::string m = v.substr(start, end - start);
      if (!m.empty() && seen.insert(m).second) names.push_back(m);
      start = end + 1;
    }
  }
  if (!any_module_param) names.push_back("if_mib");

  const Auth* explicit_auth = nullptr;
  if (auth_given) {
    auto it = config->auths.find(auth_name);
    if (it == config->auths.end())
      return refuse(
          "Unknown auth '" + auth_name + "'" +
          (config->auths.empty() ? " (the snmp.yml defines no auths)" : ""));
    explicit_auth = &it->second;
  }
  auto req_out = std::make_shared<ScrapeRequest>();
  req_out->target = target;
  req_out->config = config;
  req_out->options = options;
  req_out->debug = req.debug;

  // Modules sharing credentials and walk parameters share one session.
  using GroupKey = std::tuple<const Auth*, uint32_t, int, int64_t, bool, bool>;
  std::map<GroupKey, size_t> group_of;
  for (const auto& name : names) {
    auto it = config->modules.find(name);
    if (it == config->modules.end()) {
      std::string known;
      size_t shown = 0;
      for (const auto& [n, _] : config->modules) {
        if (++shown > 12) {
          known += ", ...";
          break;
        }
        known += (known.empty() ? "" : ", ") + n;
      }
      return refuse("Unknown module '" + name + "' (known: " + known + ")");
    }
    const Module& mod = it->second;
    const Auth* auth = explicit_auth;
    std::string auth_text;
    if (!auth && mod.legacy_auth) {
      auth = &*mod.legacy_auth;
      auth_text = "module " + name + "'s auth, " + VersionText(*auth);
    } else if (!auth) {
      auto a = config->auths.find(auth_name);
      if (a == config->auths.end())
        return refuse("Unknown auth '" + auth_name + "' (module " + name +
                      " has no auth of its own)");
      auth = &a->second;
    }
    if (auth_text.empty())
      auth_text = "auth " + auth_name + ", " + VersionText(*auth);
    const WalkParams& wp = mod.walk_params;
    GroupKey key{
        auth,
        wp.max_repetitions,
        wp.retries,
        std::chrono::duration_cast<std::chrono::milliseconds>(wp.timeout)
            .count(),
        wp.use_unconnected_udp_socket,
        wp.allow_nonincreasing_oids};
    auto [g, fresh] = group_of.emplace(key, req_out->groups.size());
    if (fresh) {
      SessionGroup sg;
      SessionOptions& s = sg.session;
      s.target = target;
      s.version = auth->version;
      s.community = auth->community;
      s.username = auth->username;
      s.security_level =
          auth->security_level == "authPriv"     ? SecurityLevel::kAuthPriv
          : auth->security_level == "authNoPriv" ? SecurityLevel::kAuthNoPriv
                                                 : SecurityLevel::kNoAuthNoPriv;
      s.auth_protocol = auth->auth_protocol;
      s.password = auth->password;
      s.priv_protocol = auth->priv_protocol;
      s.priv_password = auth->priv_password;
      s.context_name = context_given ? context : auth->context_name;
      if (auth->version == 3) s.context_engine_id = engine_id;
      s.timeout = std::max(
          std::chrono::milliseconds(1),
          std::chrono::duration_cast<std::chrono::milliseconds>(wp.timeout));
      s.retries = wp.retries;
      s.max_repetitions = wp.max_repetitions;
      s.allow_nonincreasing_oids = wp.allow_nonincreasing_oids;
      s.use_unconnected_udp_socket = wp.use_unconnected_udp_socket;
      sg.auth_text = auth_text;
      req_out->groups.push_back(std::move(sg));
    }
    req_out->groups[g->second].modules.push_back(&mod);
    req_out->modules.push_back(&mod);
  }
  if (!instance_key.empty() && !req.debug) {
    std::string key = instance_key + '\0' + target + '\0' +
                      (auth_given ? auth_name : "") + '\0' + context +
                      (context_given ? "1" : "0") + '\0' + engine_id + '\0';
    for (const auto& n : names) key += n + ',';
    req_out->coalesce_key = std::move(key);
  }
  out.request = std::move(req_out);
  return out;
}

std::string SnmpModule::ConfigReference() { return Keys().Reference(); }

std::unique_ptr<exporterd::Module> SnmpModule::Create(const ModuleEnv& env,
                                                      ConfigErrors& errors) {
  auto m = std::make_unique<SnmpModule>();
  ConfigReader r = ModuleConfigReader(env, errors);
  m->options_ = Keys().Read(r);
  m->logger_ = env.logger;

  ScrapeOptions& so = m->scrape_options_;
  so.max_walks_per_target =
      static_cast<size_t>(m->options_.max_concurrent_walks_per_target);
  so.partial_results = m->options_.partial_results;
  so.render.compat =
      m->options_.compat == "0.30" ? Compat::kV0_30 : Compat::kV0_21;
  so.render.wrap_counters = m->options_.wrap_large_counters;

  auto config = std::make_shared<Config>();
  LoadOptions lo;
  lo.expand_environment_variables = m->options_.expand_environment_variables;
  if (m->options_.config_file.empty()) {
    ParseConfigText(kBuiltinIfMib, "<built-in if_mib.yml>", config.get(),
                    &errors);
    FinishConfig(lo, config.get(), &errors);
    m->files_ = {"<built-in if_mib.yml>"};
  } else {
    std::filesystem::path base;
    if (!env.config_file.empty() && env.config_file[0] != '<')
      base = std::filesystem::path(env.config_file).parent_path();
    std::vector<std::string> patterns;
    for (const auto& f : m->options_.config_file)
      patterns.push_back(
          f.empty() || f[0] == '/' || base.empty() ? f : (base / f).string());
    std::vector<std::string> warnings;
    LoadConfigFiles(patterns, lo, config.get(), &errors, &warnings);
    for (const auto& w : warnings) env.logger->Warn(w, {{"module", env.name}});
    m->files_ = patterns;
  }
  m->config_ = std::move(config);
  m->instance_key_ = std::to_string(++g_instances);
  // The process-wide scraper (the same for every instance: net-snmp is
  // driven from one thread).
  Scraper::Get();
  return m;
}

void SnmpModule::HandleAsync(std::shared_ptr<TargetCall> call) {
  ParsedQuery q = ParseQuery(call->request(), config_, scrape_options_,
                             options_.coalesce_requests ? instance_key_ : "");
  if (!q.request) {
    ++g_request_errors;
    return call->Reply({q.status, q.error, {}});
  }
  Scraper::Get().Start(std::move(q.request), std::move(call));
}

TargetResponse SnmpModule::Handle(const TargetRequest&) {
  return {500, "snmp: the module answers asynchronously only\n", {}};
}

CollectResult SnmpModule::Collect(const CollectRequest&) {
  ScraperCounters c = Scraper::Get().counters();
  CollectResult r;
  auto& out = r.families;
  AddScalar(&out, "snmp_request_errors_total",
            "Errors in requests to the SNMP exporter.",
            static_cast<double>(g_request_errors.load()),
            prometheus::MetricType::Counter);
  AddScalar(&out, "snmp_packets_total",
            "Number of SNMP packet sent, including retries.",
            static_cast<double>(c.packets), prometheus::MetricType::Counter);
  AddScalar(&out, "snmp_packet_retries_total", "Number of SNMP packet retries.",
            static_cast<double>(c.retries), prometheus::MetricType::Counter);
  AddScalar(&out, "snmp_request_in_flight",
            "Current number of SNMP scrapes being requested.",
            static_cast<double>(c.in_flight));
  AddScalar(&out, "snmp_scrapes_total",
            "Scrapes asked for on /snmp (coalesced ones included).",
            static_cast<double>(c.requests), prometheus::MetricType::Counter);
  AddScalar(&out, "snmp_scrapes_coalesced_total",
            "Requests answered by joining an identical scrape in flight.",
            static_cast<double>(c.coalesced), prometheus::MetricType::Counter);
  AddScalar(&out, "snmp_fetches_deduplicated_total",
            "Walks and GETs not sent because another module of the same "
            "request already fetched them.",
            static_cast<double>(c.walks_saved),
            prometheus::MetricType::Counter);
  Family f = Family::Counter(
      "snmp_scrape_failures_total",
      "Failed /snmp scrapes by target and reason (timeout, refused, auth, "
      "resolve, agent_error, deadline, ...).");
  for (const auto& [k, n] : c.failures)
    f.Add({{"target", k.first}, {"reason", k.second}}, static_cast<double>(n));
  f.MoveTo(&out);
  return r;
}

std::string SnmpModule::Debug() const {
  std::string s = "snmp.yml:";
  for (const auto& f : files_) s += " " + f;
  s += "\nmodules:";
  for (const auto& [n, _] : config_->modules) s += " " + n;
  s += "\nauths:";
  for (const auto& [n, _] : config_->auths) s += " " + n;
  s += "\n";
  return s;
}

}  // namespace exporterd::snmp

EXPORTERD_MODULE(snmp, exporterd::snmp::SnmpModule)
