// libFuzzer: blackbox.yml text into ParseConfig. Never crashes, never leaks;
// errors and warnings are values.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config.h"
#include "exporterd/go_compat.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Past this, YAML parsing time says nothing about the parser.
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  exporterd::ConfigErrors errors;
  auto config = exporterd::blackbox::ParseConfig(text, "fuzz.yml", &errors);
  std::string error;
  if (config) {
    for (const auto& [name, m] : config->modules) {
      (void)exporterd::blackbox::ProbeTimeoutSeconds(m.timeout, "10", 0.5,
                                                     &error);
    }
  }
  (void)errors.ToString();
  // The standalone parsers on the raw text too.
  (void)exporterd::GoParseDuration(text);
  (void)exporterd::GoYamlInt(text);
  (void)exporterd::blackbox::ParseBase2Bytes(text);
  (void)exporterd::blackbox::CompressionAcceptable("gzip", text);
  (void)exporterd::blackbox::ProbeTimeoutSeconds(std::chrono::seconds(5), text,
                                                 0.5, &error);
  return 0;
}
