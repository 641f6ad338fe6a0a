#include "landing.h"

namespace exporterd {

namespace {

constexpr char kTemplate[] =
#include "landing_html.inc"
    ;

void Replace(std::string* s, std::string_view key, const std::string& value) {
  size_t at = s->find(key);
  if (at != std::string::npos) s->replace(at, key.size(), value);
}

}  // namespace

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string RenderLanding(const LandingPage& page) {
  std::string routes;
  for (const auto& [path, module] : page.routes)
    routes += "<li><a href=\"" + HtmlEscape(path.substr(1)) + "\">" +
              HtmlEscape(path) + "</a> (module " + HtmlEscape(module) +
              ")</li>";
  std::string reload;
  if (!page.reload_error.empty())
    reload =
        "<p class=\"down\">Last configuration reload failed; still running "
        "the previous one:</p><pre>" +
        HtmlEscape(page.reload_error) + "</pre>\n";
  std::string modules;
  if (page.running) {
    modules =
        "<h2>Modules</h2>\n<p>Configuration: " + HtmlEscape(page.config_file) +
        "</p>\n<table><tr><th>module</th><th>status</th><th>last "
        "error</th><th>timeout</th><th>min_interval</th><th>details</"
        "th></tr>\n";
    for (const LandingModule& m : page.modules)
      modules += "<tr><td>" + HtmlEscape(m.name) + "</td><td class=\"" +
                 m.status_class + "\">" + HtmlEscape(m.status) + "</td><td>" +
                 HtmlEscape(m.error) + "</td><td>" + m.timeout + "</td><td>" +
                 m.min_interval + "</td><td><pre>" + HtmlEscape(m.details) +
                 "</pre></td></tr>\n";
    modules += "</table>\n";
    if (!page.skipped.empty()) {
      modules += "<p>In the default configuration but not installed:";
      for (const auto& s : page.skipped) modules += " " + HtmlEscape(s);
      modules += "</p>\n";
    }
  }
  std::string html = kTemplate;
  Replace(&html, "{{version}}", HtmlEscape(page.version));
  Replace(&html, "{{routes}}", routes);
  Replace(&html, "{{reload}}", reload);
  Replace(&html, "{{modules}}", modules);
  return html;
}

}  // namespace exporterd
