// The landing page (GET /): what the daemon runs and how each module is.
// The page is landing.html, built in; this fills its {{placeholders}}.
#ifndef EXPORTERD_LANDING_H_
#define EXPORTERD_LANDING_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace exporterd {

struct LandingModule {
  std::string name;
  std::string status_class;  // up, down, idle
  std::string status;        // "up", "down (timeout)", "idle: ..."
  std::string error;
  std::string timeout;
  std::string min_interval;
  std::string details;  // the module's Debug()
};

struct LandingPage {
  std::string version;
  std::vector<std::pair<std::string, std::string>> routes;  // path, module
  std::string reload_error;  // empty: the last reload succeeded
  bool running = false;      // a configuration is installed
  std::string config_file;
  std::vector<LandingModule> modules;
  std::vector<std::string> skipped;  // in the default, not installed
};

std::string RenderLanding(const LandingPage& page);

std::string HtmlEscape(std::string_view s);

}  // namespace exporterd

#endif  // EXPORTERD_LANDING_H_
