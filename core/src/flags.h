// Command-line flags, spelled like the Prometheus exporters' (kingpin) flags.
#ifndef EXPORTERD_FLAGS_H_
#define EXPORTERD_FLAGS_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace exporterd {

inline constexpr int kDefaultPort = 19400;

struct Flags {
  std::string config_file;  // empty: embedded default
  bool config_check = false;
  std::vector<std::string> listen_addresses;  // default {":19400"}
  std::string web_config_file;
  std::string log_level = "info";
  std::string log_format = "logfmt";
  std::vector<std::string>
      module_dirs;  // empty: next to the binary, else libdir
  std::chrono::milliseconds timeout_offset{500};
  int web_threads = 8;          // request handler threads
  int io_threads = 0;           // event loops; 0: one per CPU
  int64_t max_requests = 4096;  // multi-target requests in flight
  int64_t max_connections = 16384;
  int64_t max_connections_per_address = 4096;
  bool version = false;
  bool help = false;
};

// Parses argv. On error returns false with a message in *error.
bool ParseFlags(int argc, char** argv, Flags* flags, std::string* error);
std::string FlagsUsage(const std::string& program);

}  // namespace exporterd

#endif  // EXPORTERD_FLAGS_H_
