#include "flags.h"

#include <functional>
#include <map>

#include "exporterd/config_reader.h"
#include "logger.h"

namespace exporterd {

namespace {

struct FlagSpec {
  const char* name;
  const char* help;
  bool is_bool;
  std::function<bool(Flags*, const std::string&, std::string*)> set;
};

// A whole number in [min, max] into *out.
template <class T>
bool ParseNumber(const std::string& v, int64_t min, int64_t max, T* out,
                 std::string* err) {
  try {
    size_t pos = 0;
    long long n = std::stoll(v, &pos);
    if (pos == v.size() && n >= min && n <= max) {
      *out = static_cast<T>(n);
      return true;
    }
  } catch (...) {
  }
  *err = "expected a number from " + std::to_string(min) + " to " +
         std::to_string(max);
  return false;
}

bool ParseBool(const std::string& v, bool* out) {
  if (v == "true" || v == "1") return *out = true, true;
  if (v == "false" || v == "0") return *out = false, true;
  return false;
}

const std::vector<FlagSpec>& Specs() {
  static const std::vector<FlagSpec> specs = {
      {"config.file",
       "Configuration file (YAML). Without it the embedded default is used.",
       false,
       [](Flags* f, const std::string& v, std::string*) {
         f->config_file = v;
         return true;
       }},
      {"config.check", "Validate the configuration, print every error, exit.",
       true,
       [](Flags* f, const std::string& v, std::string*) {
         return ParseBool(v, &f->config_check);
       }},
      {"web.listen-address",
       "Address to listen on (host:port or :port); repeatable. Default "
       ":19400.",
       false,
       [](Flags* f, const std::string& v, std::string*) {
         f->listen_addresses.push_back(v);
         return true;
       }},
      {"web.config.file",
       "exporter-toolkit web config file: TLS and basic auth.", false,
       [](Flags* f, const std::string& v, std::string*) {
         f->web_config_file = v;
         return true;
       }},
      {"web.timeout-offset",
       "Subtracted from X-Prometheus-Scrape-Timeout-Seconds. Default 500ms.",
       false,
       [](Flags* f, const std::string& v, std::string* err) {
         auto d = ParseDuration(v);
         if (!d) *err = "expected a duration like 500ms";
         if (d) f->timeout_offset = *d;
         return d.has_value();
       }},
      {"web.threads",
       "Threads for handlers that block (/metrics collections, synchronous "
       "modules). Default 8.",
       false,
       [](Flags* f, const std::string& v, std::string* err) {
         return ParseNumber(v, 1, 256, &f->web_threads, err);
       }},
      {"web.io-threads",
       "Event loops (one thread each) for connections and asynchronous "
       "probes. Default 0: one per CPU.",
       false,
       [](Flags* f, const std::string& v, std::string* err) {
         return ParseNumber(v, 0, 256, &f->io_threads, err);
       }},
      {"web.max-requests",
       "Multi-target requests (/probe, /snmp, ...) in flight at once; past "
       "it they get 503 at once. Default 4096.",
       false,
       [](Flags* f, const std::string& v, std::string* err) {
         return ParseNumber(v, 1, 1000000, &f->max_requests, err);
       }},
      {"web.max-connections",
       "Open connections at once; past it new ones are closed. Default "
       "16384 (less when the file descriptor limit is lower).",
       false,
       [](Flags* f, const std::string& v, std::string* err) {
         return ParseNumber(v, 1, 10000000, &f->max_connections, err);
       }},
      {"web.max-connections-per-address",
       "Open connections from one client address. Default 4096.", false,
       [](Flags* f, const std::string& v, std::string* err) {
         return ParseNumber(v, 1, 10000000, &f->max_connections_per_address,
                            err);
       }},
      {"log.level",
       "Only log messages with the given severity or above: "
       "debug, info, warn, error.",
       false,
       [](Flags* f, const std::string& v, std::string* err) {
         if (!ParseLogLevel(v)) {
           *err = "expected debug, info, warn or error";
           return false;
         }
         f->log_level = v;
         return true;
       }},
      {"log.format", "Output format of log messages: logfmt or json.", false,
       [](Flags* f, const std::string& v, std::string* err) {
         if (v != "logfmt" && v != "json") {
           *err = "expected logfmt or json";
           return false;
         }
         f->log_format = v;
         return true;
       }},
      {"module.dir",
       "Directory with exporterd_<name>.so modules. Repeatable; searched in "
       "order. Default: modules/ beside the binary, "
       "else <binary>/" EXPORTERD_RELATIVE_MODULE_DIR
       ", else " EXPORTERD_INSTALL_MODULE_DIR ".",
       false,
       [](Flags* f, const std::string& v, std::string*) {
         f->module_dirs.push_back(v);
         return true;
       }},
      {"version", "Show version and exit.", true,
       [](Flags* f, const std::string& v, std::string*) {
         return ParseBool(v, &f->version);
       }},
      {"help", "Show this help and exit.", true,
       [](Flags* f, const std::string& v, std::string*) {
         return ParseBool(v, &f->help);
       }},
  };
  return specs;
}

}  // namespace

bool ParseFlags(int argc, char** argv, Flags* flags, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h") arg = "--help";
    if (arg.rfind("--", 0) != 0) {
      *error = "unexpected argument '" + arg + "'";
      return false;
    }
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    bool negated = false;
    const FlagSpec* spec = nullptr;
    for (const auto& s : Specs()) {
      if (name == s.name) spec = &s;
      if (s.is_bool && name == std::string("no-") + s.name) {
        spec = &s;
        negated = true;
      }
    }
    if (!spec) {
      *error = "unknown long flag '--" + name + "', try --help";
      return false;
    }
    if (spec->is_bool) {
      if (!has_value) value = negated ? "false" : "true";
    } else if (!has_value) {
      if (i + 1 >= argc) {
        *error = "expected argument for flag '--" + name + "'";
        return false;
      }
      value = argv[++i];
    }
    std::string why;
    if (!spec->set(flags, value, &why)) {
      *error = "invalid value '" + value + "' for flag '--" + name + "'" +
               (why.empty() ? "" : ": " + why);
      return false;
    }
  }
  if (flags->listen_addresses.empty())
    flags->listen_addresses.push_back(":" + std::to_string(kDefaultPort));
  return true;
}

std::string FlagsUsage(const std::string& program) {
  std::string s = "usage: " + program +
                  " [<flags>]\n\nOne Prometheus exporter for a whole host: "
                  "modules for SNMP, Ceph, RAID,\nPostfix queues, Bacula and "
                  "blackbox probes.\n\nFlags:\n";
  for (const auto& spec : Specs()) {
    std::string left = std::string("  --") + spec.name;
    if (!spec.is_bool) left += "=VALUE";
    if (left.size() < 28)
      left.resize(28, ' ');
    else
      left += "\n" + std::string(28, ' ');
    s += left + spec.help + "\n";
  }
  return s;
}

}  // namespace exporterd
