#include "snmp_config.h"

#include <glob.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "exporterd/go_compat.h"

namespace exporterd::snmp {

namespace {

struct TypeName {
  MetricType type;
  std::string_view name;
};

constexpr TypeName kTypeNames[] = {
    {MetricType::kGauge, "gauge"},
    {MetricType::kCounter, "counter"},
    {MetricType::kFloat, "Float"},
    {MetricType::kDouble, "Double"},
    {MetricType::kDateAndTime, "DateAndTime"},
    {MetricType::kParseDateAndTime, "ParseDateAndTime"},
    {MetricType::kNtpTimeStamp, "NTPTimeStamp"},
    {MetricType::kEnumAsInfo, "EnumAsInfo"},
    {MetricType::kEnumAsStateSet, "EnumAsStateSet"},
    {MetricType::kBits, "Bits"},
    {MetricType::kDisplayString, "DisplayString"},
    {MetricType::kOctetString, "OctetString"},
    {MetricType::kPhysAddress48, "PhysAddress48"},
    {MetricType::kInetAddressIPv4, "InetAddressIPv4"},
    {MetricType::kInetAddressIPv6, "InetAddressIPv6"},
    {MetricType::kInetAddress, "InetAddress"},
    {MetricType::kInetAddressMissingSize, "InetAddressMissingSize"},
    {MetricType::kLldpPortId, "LldpPortId"},
    {MetricType::kInteger32, "Integer32"},
    {MetricType::kInteger, "Integer"},
};

std::string AllowedList(bool index_only) {
  std::string s;
  for (const auto& t : kTypeNames) {
    if (index_only && !IsIndexType(t.type)) continue;
    if (!s.empty()) s += ", ";
    s += t.name;
  }
  return s;
}

int Line(const YAML::Node& n) { return NodeLine(n); }

class Parser {
 public:
  Parser(const std::string& file, Config* config, ConfigErrors* errors)
      : file_(file), config_(config), errors_(errors) {}

  void Root(const YAML::Node& root) {
    if (IsAbsent(root)) return;
    if (!root.IsMap()) {
      errors_->Add(file_, Line(root), "", "expected a mapping");
      return;
    }
    bool current = true;
    for (const auto& kv : root) {
      const std::string k = kv.first.Scalar();
      if (k != "auths" && k != "modules" && k != "version") current = false;
    }
    ConfigReader top(root, file_, "", errors_);
    if (current) {
      YAML::Node auths = top.Raw("auths");
      YAML::Node modules = top.Raw("modules");
      if (top.Has("version"))
        config_->version =
            static_cast<int>(top.GoInt("version", 0, INT32_MIN, INT32_MAX));
      ForEachEntry(auths, "auths",
                   [&](const std::string& name, const YAML::Node& key,
                       const YAML::Node& value) {
                     ConfigReader r(value, file_, "auths." + name, errors_);
                     Auth a = ReadAuth(r, /*with_version=*/true);
                     a.file = file_;
                     a.line = Line(key);
                     ValidateAuth(a, r, r);
                     r.Finish();
                     if (auto it = config_->auths.find(name);
                         it != config_->auths.end()) {
                       Error(Line(key), "auths." + name,
                             "auth \"" + name + "\" is already defined");
                       return;
                     }
                     config_->auths.emplace(name, std::move(a));
                   });
      ForEachEntry(modules, "modules",
                   [&](const std::string& name, const YAML::Node& key,
                       const YAML::Node& value) {
                     ReadModule(name, key, value, "modules." + name,
                                /*legacy=*/false);
                   });
      top.Finish();
    } else {
      // Legacy: every key is a module.
      for (const auto& kv : root) {
        const std::string name = kv.first.Scalar();
        top.Ignore(name);
        ReadModule(name, kv.first, kv.second, name, /*legacy=*/true);
      }
    }
  }

 private:
  void Error(int line, const std::string& key, const std::string& msg) {
    errors_->Add(file_, line, key, msg);
  }

  template <typename F>
  void ForEachEntry(const YAML::Node& map, const std::string& path, F f) {
    if (IsAbsent(map)) return;
    if (!map.IsMap()) {
      Error(Line(map), path, "expected a mapping, got " + DescribeNode(map));
      return;
    }
    std::map<std::string, int> seen;
    for (const auto& kv : map) {
      const std::string name = kv.first.Scalar();
      if (auto it = seen.find(name); it != seen.end()) {
        Error(
            Line(kv.first), path + "." + name,
            "duplicate key (first at line " + std::to_string(it->second) + ")");
        continue;
      }
      seen[name] = Line(kv.first);
      f(name, kv.first, kv.second);
    }
  }

  // Each element of a list of mappings.
  template <typename F>
  void ForEachItem(const YAML::Node& list, const std::string& path, F f) {
    if (IsAbsent(list)) return;
    if (!list.IsSequence()) {
      Error(Line(list), path, "expected a list, got " + DescribeNode(list));
      return;
    }
    for (size_t i = 0; i < list.size(); ++i)
      f(list[i], path + "[" + std::to_string(i) + "]");
  }

  Auth ReadAuth(ConfigReader& r, bool with_version) {
    Auth a;
    a.community = r.String("community", a.community);
    a.security_level = r.String("security_level", a.security_level);
    a.username = r.String("username", a.username);
    a.password = r.String("password", a.password);
    a.auth_protocol = r.String("auth_protocol", a.auth_protocol);
    a.priv_protocol = r.String("priv_protocol", a.priv_protocol);
    a.priv_password = r.String("priv_password", a.priv_password);
    a.context_name = r.String("context_name", a.context_name);
    if (with_version)
      a.version =
          static_cast<int>(r.GoInt("version", a.version, INT32_MIN, INT32_MAX));
    return a;
  }

  // Upstream's checks (Auth.UnmarshalYAML, 0.21's Module.UnmarshalYAML), in
  // its order and with its messages; `r` points at the mapping holding
  // `version`.
  void ValidateAuth(const Auth& a, ConfigReader& r, ConfigReader& auth_r) {
    if (a.version < 1 || a.version > 3) {
      r.Error("version", "SNMP version must be 1, 2 or 3. Got: " +
                             std::to_string(a.version));
      return;
    }
    if (a.version != 3) return;
    const std::string& lvl = a.security_level;
    auto one_of = [](const std::string& s,
                     std::initializer_list<const char*> l) {
      for (const char* x : l)
        if (s == x) return true;
      return false;
    };
    if (lvl != "authPriv" && lvl != "authNoPriv" && lvl != "noAuthNoPriv") {
      auth_r.Error("security_level",
                   "security level must be one of authPriv, authNoPriv or "
                   "noAuthNoPriv");
      return;
    }
    if (lvl == "authPriv") {
      if (a.priv_password.empty()) {
        auth_r.Error("priv_password",
                     "priv password is missing, required for SNMPv3 with "
                     "priv");
        return;
      }
      if (!one_of(a.priv_protocol,
                  {"DES", "AES", "AES192", "AES192C", "AES256", "AES256C"})) {
        auth_r.Error("priv_protocol",
                     "priv protocol must be one of DES, AES, AES192, "
                     "AES192C, AES256, AES256C, got \"" +
                         a.priv_protocol + "\"");
        return;
      }
    }
    if (lvl == "authPriv" || lvl == "authNoPriv") {
      if (a.password.empty()) {
        auth_r.Error("password",
                     "auth password is missing, required for SNMPv3 with "
                     "auth");
        return;
      }
      if (!one_of(a.auth_protocol,
                  {"MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"})) {
        auth_r.Error("auth_protocol",
                     "auth protocol must be one of MD5, SHA, SHA224, SHA256, "
                     "SHA384, SHA512, got \"" +
                         a.auth_protocol + "\"");
        return;
      }
    }
    if (a.username.empty())
      auth_r.Error("username", "auth username is missing, required for SNMPv3");
  }

  std::vector<std::string> OidList(ConfigReader& r, const std::string& key) {
    std::vector<std::string> out;
    YAML::Node n = r.Raw(key);
    if (IsAbsent(n)) return out;
    if (!n.IsSequence()) {
      r.Error(key, "expected a list of OIDs, got " + DescribeNode(n));
      return out;
    }
    for (size_t i = 0; i < n.size(); ++i) {
      const std::string path =
          r.path() + "." + key + "[" + std::to_string(i) + "]";
      if (!n[i].IsScalar() || !ParseOid(n[i].Scalar())) {
        Error(Line(n[i]), path,
              "expected a numeric OID like 1.3.6.1.2.1.2, got " +
                  DescribeNode(n[i]));
        continue;
      }
      std::string s = n[i].Scalar();
      if (!s.empty() && s[0] == '.') s.erase(0, 1);
      out.push_back(std::move(s));
    }
    return out;
  }

  std::optional<Oid> ReadOid(ConfigReader& r, const std::string& key,
                             bool required) {
    YAML::Node n = r.Raw(key);
    if (IsAbsent(n)) {
      if (required) r.Error(key.empty() ? "" : key, "missing");
      return std::nullopt;
    }
    std::optional<Oid> oid;
    if (n.IsScalar()) oid = ParseOid(n.Scalar());
    if (!oid || oid->empty()) {
      r.Error(key, "expected a numeric OID like 1.3.6.1.2.1.2, got " +
                       DescribeNode(n));
      return std::nullopt;
    }
    return oid;
  }

  EnumValues ReadEnumValues(ConfigReader& r) {
    EnumValues out;
    YAML::Node n = r.Raw("enum_values");
    if (IsAbsent(n)) return out;
    if (!n.IsMap()) {
      r.Error("enum_values", "expected a mapping of integers to names, got " +
                                 DescribeNode(n));
      return out;
    }
    for (const auto& kv : n) {
      const std::string path = r.path() + ".enum_values." + kv.first.Scalar();
      auto k = GoYamlInt(kv.first);
      if (!k) {
        Error(Line(kv.first), path, "expected an integer key");
        continue;
      }
      if (out.count(*k)) {
        Error(Line(kv.first), path, "duplicate key");
        continue;
      }
      if (kv.second.IsNull()) {
        out[*k] = "";
      } else if (!kv.second.IsScalar()) {
        Error(Line(kv.second), path,
              "expected a string, got " + DescribeNode(kv.second));
      } else {
        out[*k] = kv.second.Scalar();
      }
    }
    return out;
  }

  std::optional<MetricType> ReadType(ConfigReader& r, bool index_only,
                                     bool required) {
    YAML::Node n = r.Raw("type");
    if (IsAbsent(n) || (n.IsScalar() && n.Scalar().empty())) {
      if (required) r.Error("type", "missing");
      return std::nullopt;
    }
    std::optional<MetricType> t;
    if (n.IsScalar()) t = ParseMetricType(n.Scalar());
    if (!t || (index_only && !IsIndexType(*t))) {
      r.Error(
          "type",
          std::string(index_only ? "invalid index type " : "invalid type ") +
              DescribeNode(n) + ", expected one of " + AllowedList(index_only));
      return std::nullopt;
    }
    return t;
  }

  std::string LabelName(ConfigReader& r, const std::string& key) {
    std::string s = r.String(key, "");
    if (!r.Has(key)) {
      r.Error("", "missing " + key);
    } else if (!IsValidLabelName(s)) {
      r.Error(key, "invalid label name \"" + s + "\"");
    }
    return s;
  }

  void ReadMetric(const YAML::Node& node, const std::string& path, Module* m) {
    ConfigReader r(node, file_, path, errors_);
    Metric metric;
    metric.name = r.String("name", "");
    if (!r.Has("name"))
      r.Error("", "missing name");
    else if (!IsValidMetricName(metric.name))
      r.Error("name", "invalid metric name \"" + metric.name + "\"");
    if (auto oid = ReadOid(r, "oid", true)) metric.oid = *oid;
    if (auto t = ReadType(r, false, true)) metric.type = *t;
    metric.help = r.String("help", "");
    ForEachItem(r.Raw("indexes"), path + ".indexes",
                [&](const YAML::Node& n, const std::string& p) {
                  ConfigReader ir(n, file_, p, errors_);
                  Index idx;
                  idx.labelname = LabelName(ir, "labelname");
                  if (auto t = ReadType(ir, true, true)) idx.type = *t;
                  idx.fixed_size =
                      static_cast<int>(ir.GoInt("fixed_size", 0, 0, 65535));
                  idx.implied = ir.Bool("implied", false);
                  idx.enum_values = ReadEnumValues(ir);
                  ir.Finish();
                  metric.indexes.push_back(std::move(idx));
                });
    ForEachItem(r.Raw("lookups"), path + ".lookups",
                [&](const YAML::Node& n, const std::string& p) {
                  ConfigReader lr(n, file_, p, errors_);
                  Lookup l;
                  l.labels = lr.StringList("labels", {});
                  l.labelname = LabelName(lr, "labelname");
                  if (!l.labels.empty()) {
                    if (auto oid = ReadOid(lr, "oid", true)) l.oid = *oid;
                  } else if (lr.Has("oid")) {
                    if (auto oid = ReadOid(lr, "oid", false)) l.oid = *oid;
                  }
                  l.type = ReadType(lr, false, false);
                  l.display_hint = lr.String("display_hint", "");
                  l.enum_values = ReadEnumValues(lr);
                  lr.Finish();
                  metric.lookups.push_back(std::move(l));
                });
    ForEachEntry(r.Raw("regex_extracts"), path + ".regex_extracts",
                 [&](const std::string& suffix, const YAML::Node&,
                     const YAML::Node& list) {
                   std::vector<RegexExtract> alts;
                   ForEachItem(list, path + ".regex_extracts." + suffix,
                               [&](const YAML::Node& n, const std::string& p) {
                                 ConfigReader er(n, file_, p, errors_);
                                 RegexExtract e;
                                 e.value = er.String("value", e.value);
                                 YAML::Node rn = er.Raw("regex");
                                 if (!IsAbsent(rn)) {
                                   if (!rn.IsScalar()) {
                                     er.Error("regex", "expected a string");
                                   } else {
                                     e.regex_text = rn.Scalar();
                                     e.regex =
                                         Compile("^(?:" + e.regex_text + ")$",
                                                 er, "regex");
                                   }
                                 }
                                 er.Finish();
                                 alts.push_back(std::move(e));
                               });
                   metric.regex_extracts[suffix] = std::move(alts);
                 });
    metric.datetime_pattern = r.String("datetime_pattern", "");
    if (metric.type == MetricType::kParseDateAndTime &&
        metric.datetime_pattern.empty())
      r.Error("datetime_pattern", "required for type ParseDateAndTime");
    metric.enum_values = ReadEnumValues(r);
    metric.offset = r.Float("offset", 0);
    metric.scale = r.Float("scale", 0);
    metric.display_hint = r.String("display_hint", "");
    r.Finish();
    m->metrics.push_back(std::move(metric));
  }

  std::shared_ptr<const re2::RE2> Compile(const std::string& pattern,
                                          ConfigReader& r,
                                          const std::string& key) {
    RE2::Options opt;
    opt.set_log_errors(false);
    auto re = std::make_shared<const re2::RE2>(pattern, opt);
    if (!re->ok()) {
      r.Error(key, "invalid regular expression: " + re->error());
      return nullptr;
    }
    return re;
  }

  void ReadModule(const std::string& name, const YAML::Node& key,
                  const YAML::Node& node, const std::string& path,
                  bool legacy) {
    ConfigReader r(node, file_, path, errors_);
    Module m;
    m.name = name;
    m.file = file_;
    m.line = Line(key);
    m.walk = OidList(r, "walk");
    m.get = OidList(r, "get");
    WalkParams& wp = m.walk_params;
    wp.max_repetitions = static_cast<uint32_t>(
        r.GoInt("max_repetitions", wp.max_repetitions, 0, UINT32_MAX));
    wp.retries = static_cast<int>(r.GoInt("retries", wp.retries, 0, INT32_MAX));
    if (YAML::Node t = r.Raw("timeout"); !IsAbsent(t)) {
      std::optional<std::chrono::nanoseconds> d;
      if (t.IsScalar()) {
        if (auto ns = GoYamlInt(t))  // yaml.v2: a number is in ns
          d = std::chrono::nanoseconds(*ns);
        else
          d = GoParseDuration(t.Scalar());
      }
      if (!d || d->count() < 0)
        r.Error("timeout",
                "expected a duration like 5s or 500ms, got " + DescribeNode(t));
      else
        wp.timeout = *d;
    }
    wp.use_unconnected_udp_socket = r.Bool("use_unconnected_udp_socket", false);
    wp.allow_nonincreasing_oids = r.Bool("allow_nonincreasing_oids", false);
    if (legacy) {
      Auth a;
      a.version = static_cast<int>(r.GoInt("version", 2, INT32_MIN, INT32_MAX));
      ConfigReader ar = r.Child("auth");
      Auth read = ReadAuth(ar, /*with_version=*/false);
      read.version = a.version;
      read.file = file_;
      read.line = m.line;
      ValidateAuth(read, r, ar);
      ar.Finish();
      m.legacy_auth = std::move(read);
    }
    ForEachItem(r.Raw("metrics"), path + ".metrics",
                [&](const YAML::Node& n, const std::string& p) {
                  ReadMetric(n, p, &m);
                });
    ForEachItem(r.Raw("filters"), path + ".filters",
                [&](const YAML::Node& n, const std::string& p) {
                  ConfigReader fr(n, file_, p, errors_);
                  DynamicFilter f;
                  if (auto oid = ReadOid(fr, "oid", true)) f.oid = *oid;
                  f.targets = OidList(fr, "targets");
                  f.values = fr.StringList("values", {});
                  for (const auto& v : f.values)
                    f.value_regexes.push_back(Compile(v, fr, "values"));
                  fr.Finish();
                  m.filters.push_back(std::move(f));
                });
    r.Finish();
    if (config_->modules.count(name)) {
      const Module& prev = config_->modules.at(name);
      Error(m.line, path,
            "module \"" + name + "\" is already defined at " + prev.file + ":" +
                std::to_string(prev.line));
      return;
    }
    config_->modules.emplace(name, std::move(m));
  }

  const std::string& file_;
  Config* config_;
  ConfigErrors* errors_;
};

}  // namespace

std::optional<MetricType> ParseMetricType(std::string_view s) {
  for (const auto& t : kTypeNames)
    if (t.name == s) return t.type;
  return std::nullopt;
}

std::string_view MetricTypeName(MetricType t) {
  for (const auto& x : kTypeNames)
    if (x.type == t) return x.name;
  return "";
}

bool IsIndexType(MetricType t) {
  switch (t) {
    case MetricType::kInteger32:
    case MetricType::kInteger:
    case MetricType::kGauge:
    case MetricType::kCounter:
    case MetricType::kPhysAddress48:
    case MetricType::kOctetString:
    case MetricType::kDisplayString:
    case MetricType::kInetAddressIPv4:
    case MetricType::kInetAddressIPv6:
    case MetricType::kInetAddress:
    case MetricType::kInetAddressMissingSize:
    case MetricType::kLldpPortId:
    case MetricType::kEnumAsInfo:
      return true;
    default:
      return false;
  }
}

bool IsValidMetricName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              c == ':' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view s) {
  if (s.empty() || s.substr(0, 2) == "__") return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string ExpandEnv(
    std::string_view s,
    const std::function<std::optional<std::string>(const std::string&)>& getenv,
    std::string* missing) {
  auto special = [](char c) {
    return std::string_view("*#$@!?-0123456789").find(c) !=
           std::string_view::npos;
  };
  auto alnum = [](char c) {
    return c == '_' || std::isalnum(static_cast<unsigned char>(c));
  };
  auto lookup = [&](const std::string& name) {
    auto v = getenv(name);
    if (!v && missing->empty()) *missing = name;
    return v.value_or("");
  };
  std::string out;
  size_t i = 0;  // start of the pending literal
  for (size_t j = 0; j < s.size(); ++j) {
    if (s[j] != '$' || j + 1 >= s.size()) continue;
    out.append(s.substr(i, j - i));
    std::string_view rest = s.substr(j + 1);
    std::string name;
    size_t w = 0;
    if (rest[0] == '{') {
      if (rest.size() > 2 && special(rest[1]) && rest[2] == '}') {
        name = std::string(1, rest[1]);
        w = 3;
      } else {
        size_t k = 1;
        while (k < rest.size() && rest[k] != '}') ++k;
        if (k == rest.size()) {
          w = 1;  // bad syntax: eat "${"
        } else if (k == 1) {
          w = 2;  // bad syntax: eat "${}"
        } else {
          name = std::string(rest.substr(1, k - 1));
          w = k + 1;
        }
      }
    } else if (special(rest[0])) {
      name = std::string(1, rest[0]);
      w = 1;
    } else {
      while (w < rest.size() && alnum(rest[w])) ++w;
      name = std::string(rest.substr(0, w));
    }
    if (name.empty() && w > 0) {
      // invalid syntax: the characters are eaten
    } else if (name.empty()) {
      out.push_back('$');
    } else {
      out += lookup(name);
    }
    j += w;
    i = j + 1;
  }
  if (i < s.size()) out.append(s.substr(i));
  return out;
}

bool ParseConfigText(std::string_view text, const std::string& file,
                     Config* config, ConfigErrors* errors) {
  const size_t before = errors->list.size();
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    errors->Add(file, e.mark.line >= 0 ? e.mark.line + 1 : 0, "",
                "YAML: " + e.msg);
    return false;
  }
  Parser p(file, config, errors);
  p.Root(root);
  return errors->list.size() == before;
}

bool FinishConfig(const LoadOptions& options, Config* config,
                  ConfigErrors* errors) {
  if (!options.expand_environment_variables) return true;
  auto getenv = options.getenv;
  if (!getenv) {
    getenv = [](const std::string& n) -> std::optional<std::string> {
      const char* v = std::getenv(n.c_str());
      if (!v) return std::nullopt;
      return std::string(v);
    };
  }
  bool ok = true;
  auto expand = [&](std::string* field, const Auth& a, const std::string& key) {
    if (field->empty()) return;
    std::string missing;
    std::string v = ExpandEnv(*field, getenv, &missing);
    if (!missing.empty()) {
      errors->Add(a.file, a.line, key,
                  missing + " environment variable not found");
      ok = false;
      return;
    }
    *field = std::move(v);
  };
  for (auto& [name, a] : config->auths) {
    const std::string p = "auths." + name;
    expand(&a.username, a, p + ".username");
    expand(&a.password, a, p + ".password");
    expand(&a.priv_password, a, p + ".priv_password");
  }
  for (auto& [name, m] : config->modules) {
    if (!m.legacy_auth) continue;
    const std::string p = name + ".auth";
    Auth& a = *m.legacy_auth;
    expand(&a.username, a, p + ".username");
    expand(&a.password, a, p + ".password");
    expand(&a.priv_password, a, p + ".priv_password");
  }
  return ok;
}

bool LoadConfigFiles(const std::vector<std::string>& patterns,
                     const LoadOptions& options, Config* config,
                     ConfigErrors* errors, std::vector<std::string>* warnings) {
  bool ok = true;
  for (const auto& pattern : patterns) {
    std::vector<std::string> files;
    glob_t g{};
    int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) files.push_back(g.gl_pathv[i]);
    }
    ::globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH) {
      errors->Add(pattern, 0, "", "cannot expand the pattern");
      ok = false;
      continue;
    }
    if (files.empty()) {
      // Upstream only warns (filepath.Glob ignores a missing file); a
      // plain path that does not exist is an error here.
      if (pattern.find_first_of("*?[") == std::string::npos) {
        errors->Add(pattern, 0, "", "No such file or directory");
        ok = false;
      } else if (warnings) {
        warnings->push_back("No file found matching pattern " + pattern);
      }
    }
    for (const auto& f : files) {
      std::string why;
      auto text = ReadConfigFile(f, options.max_file_bytes, &why);
      if (!text) {
        errors->Add(f, 0, "", why);
        ok = false;
        continue;
      }
      ok = ParseConfigText(*text, f, config, errors) && ok;
    }
  }
  ok = FinishConfig(options, config, errors) && ok;
  return ok;
}

}  // namespace exporterd::snmp
