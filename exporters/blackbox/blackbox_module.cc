#include "blackbox_module.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <thread>

#include "exporterd/config_map.h"
#include "exporterd/metrics.h"
#include "exporterd/text_format.h"
#include "probe.h"

namespace exporterd::blackbox {

namespace asio = boost::asio;

const char kBuiltinBlackboxYml[] = R"(modules:
  http_2xx:
    prober: http
    http:
      preferred_ip_protocol: ip4
  tcp_connect:
    prober: tcp
    tcp:
      preferred_ip_protocol: ip4
  icmp:
    prober: icmp
    icmp:
      preferred_ip_protocol: ip4
  traceroute:
    prober: traceroute
    traceroute:
      preferred_ip_protocol: ip4
)";

namespace {

const ConfigMap<ModuleOptions>& Keys() {
  static const ConfigMap<ModuleOptions> m{
      Key("config_file", &ModuleOptions::config_file, std::string(),
          "blackbox_exporter's blackbox.yml, read unchanged (relative to "
          "this file's directory). Empty: the built-in modules http_2xx, "
          "tcp_connect, icmp and traceroute."),
      Key("max_probes_in_flight", &ModuleOptions::max_probes_in_flight,
          int64_t{10000},
          "Probes in flight per blackbox.yml module; past it /probe answers "
          "503.")
          .Range(int64_t{1}, int64_t{1000000}),
      Key("allowed_targets", &ModuleOptions::allowed_targets,
          std::vector<std::string>{},
          "When set, the only targets /probe accepts: CIDRs (10.0.0.0/8, "
          "::1/128) and host patterns (example.org, *.example.org); a name "
          "that matches no pattern must resolve into a CIDR. Others get 400.")
          .DefaultText("[] (any)"),
  };
  return m;
}

// Go's url.QueryUnescape; false on a bad escape.
bool QueryUnescape(const std::string& in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out->push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size() ||
          !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(in[i + 2])))
        return false;
      out->push_back(
          static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out->push_back(c);
    }
  }
  return true;
}

// The module's YAML as written, secrets shown as <secret> (upstream prints
// its marshalled struct; ours is the source, which carries the same facts).
void MaskSecrets(YAML::Node n) {
  static const char* kSecretKeys[] = {"password",      "credentials",
                                      "client_secret", "key",
                                      "bearer_token",  "client_certificate_key",
                                      "secrets"};
  if (n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.Scalar();
      bool secret = false;
      for (const char* s : kSecretKeys) secret = secret || k == s;
      if (secret && !it->second.IsNull())
        it->second = "<secret>";
      else
        MaskSecrets(it->second);
    }
  } else if (n.IsSequence()) {
    for (auto x : n) MaskSecrets(x);
  }
}

std::map<std::string, std::string> ModuleYaml(const std::string& text) {
  std::map<std::string, std::string> out;
  try {
    YAML::Node root = YAML::Load(text);
    YAML::Node mods = root["modules"];
    if (!mods || !mods.IsMap()) return out;
    for (auto it = mods.begin(); it != mods.end(); ++it) {
      YAML::Node copy = YAML::Clone(it->second);
      MaskSecrets(copy);
      YAML::Emitter e;
      e << copy;
      out[it->first.Scalar()] = std::string(e.c_str()) + "\n";
    }
  } catch (...) {
  }
  return out;
}

bool LabelsLess(const prometheus::ClientMetric& a,
                const prometheus::ClientMetric& b) {
  const size_t n = std::min(a.label.size(), b.label.size());
  for (size_t i = 0; i < n; ++i) {
    if (a.label[i].value != b.label[i].value)
      return a.label[i].value < b.label[i].value;
  }
  return a.label.size() < b.label.size();
}

}  // namespace

// ---- allowed_targets ---------------------------------------------------

bool TargetRules::Add(const std::string& rule, std::string* error) {
  std::string r = rule;
  size_t slash = r.find('/');
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(r.substr(0, slash), ec);
  if (!ec) {
    int max = ip.is_v4() ? 32 : 128;
    int bits = max;
    if (slash != std::string::npos) {
      try {
        size_t used = 0;
        bits = std::stoi(r.substr(slash + 1), &used);
        if (used != r.size() - slash - 1) bits = -1;
      } catch (...) {
        bits = -1;
      }
      if (bits < 0 || bits > max) {
        *error = "bad prefix length in " + rule;
        return false;
      }
    }
    cidrs_.push_back({ip, bits, rule});
    return true;
  }
  if (slash != std::string::npos || r.empty()) {
    *error = rule + " is neither a CIDR nor a host pattern";
    return false;
  }
  for (char c : r) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
          c == '*' || c == '_')) {
      *error = rule + " is neither a CIDR nor a host pattern";
      return false;
    }
  }
  std::string lower;
  for (char c : r)
    lower.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  hosts_.push_back(lower);
  return true;
}

std::string TargetRules::HostOf(const std::string& target) {
  std::string t = target;
  size_t scheme = t.find("://");
  if (scheme != std::string::npos) t = t.substr(scheme + 3);
  size_t end = t.find_first_of("/?#");
  if (end != std::string::npos) t = t.substr(0, end);
  size_t at = t.rfind('@');
  if (at != std::string::npos) t = t.substr(at + 1);
  std::string host, port;
  if (SplitHostPort(t, &host, &port)) return host;
  if (t.size() >= 2 && t.front() == '[' && t.back() == ']')
    return t.substr(1, t.size() - 2);
  return t;
}

namespace {

bool Glob(const std::string& pattern, const std::string& s) {
  // '*' matches any run of characters (one label or more).
  size_t p = 0, i = 0, star = std::string::npos, mark = 0;
  while (i < s.size()) {
    if (p < pattern.size() && pattern[p] == s[i]) {
      ++p, ++i;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = i;
    } else if (star != std::string::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool InCidr(const asio::ip::address& ip, const asio::ip::address& net,
            int bits) {
  auto bytes = [](const asio::ip::address& a) {
    std::vector<unsigned char> b;
    if (a.is_v4()) {
      auto x = a.to_v4().to_bytes();
      b.assign(x.begin(), x.end());
    } else if (a.to_v6().is_v4_mapped()) {
      auto x =
          asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_bytes();
      b.assign(x.begin(), x.end());
    } else {
      auto x = a.to_v6().to_bytes();
      b.assign(x.begin(), x.end());
    }
    return b;
  };
  auto a = bytes(ip), n = bytes(net);
  if (a.size() != n.size()) return false;
  for (int i = 0; i < bits; ++i) {
    int byte = i / 8, bit = 7 - i % 8;
    if (((a[static_cast<size_t>(byte)] >> bit) & 1) !=
        ((n[static_cast<size_t>(byte)] >> bit) & 1))
      return false;
  }
  return true;
}

}  // namespace

std::string TargetRules::Describe() const {
  std::string s;
  for (const auto& c : cidrs_) s += (s.empty() ? "" : ", ") + c.text;
  for (const auto& h : hosts_) s += (s.empty() ? "" : ", ") + h;
  return s;
}

std::string TargetRules::CheckAddress(const asio::ip::address& ip) const {
  for (const auto& c : cidrs_)
    if (InCidr(ip, c.net, c.bits)) return "";
  return "allowed_targets: " + Describe();
}

std::string TargetRules::Check(const std::string& host) const {
  if (empty()) return "";
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (!ec) {
    std::string why = CheckAddress(ip);
    return why.empty() ? "" : "target " + host + " is not in " + why;
  }
  std::string lower;
  for (char c : host)
    lower.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  while (!lower.empty() && lower.back() == '.') lower.pop_back();
  for (const auto& h : hosts_)
    if (Glob(h, lower)) return "";
  if (has_cidrs()) return "defer";
  return "target " + host +
         " matches no host pattern of allowed_targets: " + Describe();
}

// ---- the module ---------------------------------------------------------

ProbeLoops& ProbeLoops::Get(size_t n) {
  static ProbeLoops* loops = [n] {
    auto* l = new ProbeLoops;
    for (size_t i = 0; i < std::max<size_t>(n, 1); ++i) {
      auto* io = new asio::io_context(1);
      // Kept reachable (and never released) for the process's life.
      static auto* guards = new std::vector<
          asio::executor_work_guard<asio::io_context::executor_type>*>;
      guards->push_back(
          new asio::executor_work_guard<asio::io_context::executor_type>(
              io->get_executor()));
      std::thread([io, i] {
        std::string name = "blackbox-" + std::to_string(i);
        pthread_setname_np(pthread_self(), name.c_str());
        io->run();
      }).detach();
      l->loops_.push_back(io);
    }
    return l;
  }();
  return *loops;
}

asio::io_context& ProbeLoops::Next() {
  return *loops_[next_++ % loops_.size()];
}

std::string BlackboxModule::ConfigReference() { return Keys().Reference(); }

std::unique_ptr<exporterd::Module> BlackboxModule::Create(
    const ModuleEnv& env, ConfigErrors& errors) {
  auto m = std::make_unique<BlackboxModule>();
  ConfigReader r = ModuleConfigReader(env, errors);
  m->options_ = Keys().Read(r);
  m->logger_ = env.logger;
  for (const auto& rule : m->options_.allowed_targets) {
    std::string err;
    if (!m->rules_.Add(rule, &err))
      errors.Add(env.config_file, 0, env.key_path + ".allowed_targets", err);
  }
  std::optional<Config> config;
  std::string text;
  if (m->options_.config_file.empty()) {
    m->source_ = "<built-in blackbox.yml>";
    text = kBuiltinBlackboxYml;
    config = ParseConfig(text, m->source_, &errors);
  } else {
    std::filesystem::path p = m->options_.config_file;
    if (p.is_relative() && !env.config_file.empty() &&
        env.config_file[0] != '<')
      p = std::filesystem::path(env.config_file).parent_path() / p;
    m->source_ = p.string();
    config = LoadConfigFile(m->source_, &errors);
    if (config) {
      std::string err;
      if (auto t = ReadConfigFile(m->source_, kMaxBlackboxConfigBytes, &err))
        text = *t;
    }
  }
  if (!config) return m;  // errors say why; the core keeps the old module
  for (const auto& w : config->warnings)
    env.logger->Warn(w.ToString(), {{"module", env.name}});
  for (const auto& [name, mod] : config->modules) {
    if (!mod.unsupported_reason.empty())
      env.logger->Warn(
          "blackbox module " + name +
              " loads, but its probes will fail: " + mod.unsupported_reason,
          {{"module", env.name}});
    else if (!Probers().count(mod.prober))
      env.logger->Warn("blackbox module " + name + " uses prober " +
                           mod.prober +
                           ", which this build does not have yet; its probes "
                           "fail with reason unsupported",
                       {{"module", env.name}});
    m->counters_[name] = std::make_shared<Counters>();
  }
  m->module_yaml_ = ModuleYaml(text);
  m->shared_rules_ = std::make_shared<const TargetRules>(m->rules_);
  m->loops_ = &ProbeLoops::Get(env.loops->size());
  m->config_ = std::make_shared<const Config>(std::move(*config));
  return m;
}

TargetResponse BlackboxModule::Handle(const TargetRequest&) {
  return {500, "blackbox: the module answers asynchronously only\n", {}};
}

void BlackboxModule::HandleAsync(std::shared_ptr<TargetCall> call) {
  const TargetRequest& req = call->request();
  std::string module_name = req.Param("module");
  if (module_name.empty()) module_name = "http_2xx";
  auto it = config_->modules.find(module_name);
  if (it == config_->modules.end()) {
    ++unknown_modules_;
    std::string known;
    for (const auto& [n, _] : config_->modules)
      known += (known.empty() ? "" : ", ") + n;
    return call->Reply(
        {400,
         "Unknown module \"" + module_name + "\" (known: " + known + ")\n",
         {}});
  }
  std::string target = req.Param("target");
  if (target.empty())
    return call->Reply({400, "Target parameter is missing\n", {}});
  std::string decoded;
  if (QueryUnescape(target, &decoded)) target = decoded;

  // The loaded module, shared by its probes (it lives as long as they do,
  // across a reload); a request that changes it (hostname=) gets a copy.
  std::shared_ptr<const blackbox::Module> module(config_, &it->second);
  const std::string hostname = req.Param("hostname");
  if (module->prober == "http" && !hostname.empty()) {
    for (const auto& [k, v] : module->http.headers)
      if (CanonicalHeaderKey(k) == "Host" && v != hostname)
        return call->Reply(
            {400,
             "host header defined both in module configuration (" + v +
                 ") and with URL-parameter 'hostname' (" + hostname + ")\n",
             {}});
    auto copy = std::make_shared<blackbox::Module>(*module);
    std::erase_if(copy->http.headers, [](const auto& h) {
      return CanonicalHeaderKey(h.first) == "Host";
    });
    copy->http.headers.emplace_back("Host", hostname);
    module = std::move(copy);
  }
  if (module->prober == "tcp" && !hostname.empty() &&
      module->tcp.tls_config.server_name.empty()) {
    auto copy = std::make_shared<blackbox::Module>(*module);
    copy->tcp.tls_config.server_name = hostname;
    module = std::move(copy);
  }

  bool defer_check = false;
  if (!rules_.empty()) {
    std::string why = rules_.Check(TargetRules::HostOf(target));
    if (why == "defer")
      defer_check = true;
    else if (!why.empty())
      return call->Reply({400, why + "\n", {}});
  }

  std::shared_ptr<Counters> counters = counters_.at(module_name);
  Counters& c = *counters;
  if (c.in_flight.fetch_add(1) >= options_.max_probes_in_flight) {
    --c.in_flight;
    ++c.rejected;
    return call->Reply({503,
                        "too many probes in flight for module " + module_name +
                            " (" +
                            std::to_string(options_.max_probes_in_flight) +
                            ", max_probes_in_flight); retry later\n",
                        {}});
  }
  ++c.probes;

  // Upstream's timeout rule on top of the core's deadline (which already is
  // the scrape-timeout header less --web.timeout-offset, capped by the
  // module's exporterd timeout): blackbox.yml's `timeout` when smaller.
  // The probe ends a little before the core's deadline: the core answers
  // 504 at its deadline, and our own reply (probe_success 0, reason
  // timeout) must be on its way by then (OnCancel runs on the core's loop,
  // the probe on ours).
  constexpr auto kReplyMargin = std::chrono::milliseconds(25);
  const auto now = ProbeClock::now();
  double timeout =
      std::chrono::duration<double>(req.deadline - kReplyMargin - now).count();
  const double module_timeout =
      std::chrono::duration<double>(module->timeout).count();
  if ((module_timeout > 0 && module_timeout < timeout) || timeout < 0)
    timeout = module_timeout;
  if (timeout < 0) timeout = 0;
  const auto deadline = now + std::chrono::duration_cast<ProbeClock::duration>(
                                  std::chrono::duration<double>(timeout));

  const bool debug = req.debug;
  // Only debug=true shows it.
  std::string yaml = debug && module_yaml_.count(module_name)
                         ? module_yaml_.at(module_name)
                         : std::string();
  std::string prober_name = module->prober;
  Logger* logger = logger_;
  asio::io_context& loop = loops_->Next();
  auto run = std::make_shared<ProbeRun>(
      loop, std::move(module), target, deadline, timeout,
      [call, debug, yaml, counters, logger](ProbeRun& r) {
        --counters->in_flight;
        if (!r.success()) ++counters->failures;
        if (!r.refused.empty()) return call->Reply({400, r.refused + "\n", {}});
        auto& m = r.metrics();
        AddScalar(&m, "probe_success",
                  "Displays whether or not the probe was a success",
                  r.success() ? 1 : 0);
        AddScalar(&m, "probe_duration_seconds",
                  "Returns how long the probe took to complete in seconds",
                  r.duration_seconds());
        AddScalar(&m, "probe_timeout_seconds",
                  "Returns how long the probe timeout is in seconds",
                  r.timeout_seconds());
        if (!r.success())
          Family::Info("probe_failure_info",
                       "Why the probe failed (exporterd): one of a fixed set "
                       "of reasons, see the module's README")
              .Add({{"reason", r.failure_reason()}})
              .MoveTo(&m);
        // As client_golang's Gather: families by name, series by labels.
        std::sort(m.begin(), m.end(),
                  [](const auto& a, const auto& b) { return a.name < b.name; });
        for (auto& f : m)
          std::stable_sort(f.metric.begin(), f.metric.end(), LabelsLess);
        if (r.success())
          r.log().Debug(
              "Probe succeeded",
              {{"duration_seconds", std::to_string(r.duration_seconds())}});
        else
          r.log().Error(
              "Probe failed",
              {{"duration_seconds", std::to_string(r.duration_seconds())}});
        if (!r.success() && logger)
          logger->Debug("probe failed", {{"module", r.module().name},
                                         {"target", r.target()},
                                         {"reason", r.failure_reason()},
                                         {"err", r.log().last_error()}});
        TargetResponse resp;
        if (debug) {
          resp.text =
              "Logs for the probe:\n" + r.log().text() +
              (r.debug_report.empty() ? "" : "\n\n\n" + r.debug_report) +
              "\n\n\nMetrics that would have been returned:\n" + Serialize(m) +
              "\n\n\nModule configuration:\n" + yaml;
        } else {
          resp.families = std::move(m);
        }
        call->Reply(std::move(resp));
      });
  if (defer_check) {
    run->address_check = [rules = shared_rules_](const asio::ip::address& ip) {
      return rules->CheckAddress(ip);
    };
  }
  run->log().Debug(
      "Beginning probe",
      {{"probe", prober_name}, {"timeout_seconds", std::to_string(timeout)}});
  std::weak_ptr<ProbeRun> weak = run;
  call->OnCancel([weak, &loop] {
    asio::post(loop, [weak] {
      if (auto r = weak.lock()) r->Abort();
    });
  });
  asio::post(loop, [run, prober_name] {
    run->Arm();
    auto p = Probers().find(prober_name);
    if (p == Probers().end()) {
      run->log().Error("Prober not available in this build",
                       {{"prober", prober_name}});
      run->Fail(reason::kUnsupported);
      return run->Finish(false);
    }
    p->second->Start(run);
  });
}

CollectResult BlackboxModule::Collect(const CollectRequest&) {
  CollectResult r;
  auto& out = r.families;
  AddScalar(&out, "blackbox_module_unknown_total",
            "Count of unknown modules requested by probes",
            static_cast<double>(unknown_modules_.load()),
            prometheus::MetricType::Counter);
  Family in_flight =
      Family::Gauge("blackbox_probes_in_flight",
                    "Probes running now, by blackbox.yml module.");
  Family probes = Family::Counter(
      "blackbox_probes_total",
      "Probes started since the module was loaded, by blackbox.yml module.");
  Family failed = Family::Counter(
      "blackbox_probe_failures_total",
      "Probes that ended with probe_success 0, by blackbox.yml module.");
  Family rejected = Family::Counter(
      "blackbox_probes_rejected_total",
      "Probes refused with 503 (max_probes_in_flight), by blackbox.yml "
      "module.");
  for (const auto& [name, c] : counters_) {
    in_flight.Add({{"module", name}}, static_cast<double>(c->in_flight.load()));
    probes.Add({{"module", name}}, static_cast<double>(c->probes.load()));
    failed.Add({{"module", name}}, static_cast<double>(c->failures.load()));
    rejected.Add({{"module", name}}, static_cast<double>(c->rejected.load()));
  }
  in_flight.MoveTo(&out);
  probes.MoveTo(&out);
  failed.MoveTo(&out);
  rejected.MoveTo(&out);
  return r;
}

std::string BlackboxModule::Debug() const {
  std::string s = "blackbox.yml: " + source_ + "\nmodules:";
  for (const auto& [n, m] : config_->modules) {
    s += " " + n + " (" + m.prober;
    if (!m.unsupported_reason.empty() || !Probers().count(m.prober))
      s += ", probes fail: unsupported";
    s += ")";
  }
  s += "\n";
  if (!rules_.empty()) s += "allowed_targets: " + rules_.Describe() + "\n";
  return s;
}

}  // namespace exporterd::blackbox

EXPORTERD_MODULE(blackbox, exporterd::blackbox::BlackboxModule)
