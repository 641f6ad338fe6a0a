// exporterd: one Prometheus exporter for a whole host.
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "app.h"
#include "logger.h"

int main(int argc, char** argv) {
  // Few malloc arenas: by default every handler and loop thread gets its
  // own, and collections freed in many arenas stay resident.
  mallopt(M_ARENA_MAX, 2);
  exporterd::Flags flags;
  std::string error;
  if (!exporterd::ParseFlags(argc, argv, &flags, &error)) {
    std::cerr << "exporterd: error: " << error << "\n";
    return 2;
  }
  if (flags.help) {
    std::cout << exporterd::FlagsUsage("exporterd");
    return 0;
  }
  if (flags.version) {
    std::cout << exporterd::VersionString();
    return 0;
  }
  exporterd::StderrLogger logger(*exporterd::ParseLogLevel(flags.log_level),
                                 flags.log_format == "json"
                                     ? exporterd::LogFormat::kJson
                                     : exporterd::LogFormat::kLogfmt);
  exporterd::App app(flags, &logger);
  if (flags.config_check) return app.CheckConfig(std::cerr);
  int rc = app.Run();
  // The server has stopped. A module collection stuck past its deadline may
  // still be running on a detached thread: leave without running static
  // destructors under it.
  std::fflush(nullptr);
  std::_Exit(rc);
}
