// The websocket prober's target, split as Go's url.Parse and then
// gorilla/websocket's dialer would (ws/wss only, no user info, a numeric
// port, the fragment dropped): pure code, unit tested
// (tests/websocket_url_test.cc).
#ifndef EXPORTERD_BLACKBOX_WEBSOCKET_URL_H_
#define EXPORTERD_BLACKBOX_WEBSOCKET_URL_H_

#include <cctype>
#include <optional>
#include <string>
#include <string_view>

namespace exporterd::blackbox::websocket {

// A ws:// or wss:// URL, split as Go's url.Parse would for the parts the
// dialer uses.
struct Url {
  bool tls = false;
  std::string host;         // without brackets
  std::string port;         // "" when absent
  std::string host_header;  // as written: host[:port]
  std::string request_uri;  // path?query, "/" when empty
};

inline char Lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

inline bool EqualFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}

// Parses `target`; nullopt and *error ("malformed ws or wss URL", ...)
// when it is not a ws/wss URL with a host.
inline std::optional<Url> ParseUrl(std::string_view target,
                                   std::string* error) {
  size_t colon = target.find("://");
  if (colon == std::string_view::npos) {
    *error = "malformed ws or wss URL";
    return std::nullopt;
  }
  std::string_view scheme = target.substr(0, colon);
  Url u;
  if (EqualFold(scheme, "ws")) {
    u.tls = false;
  } else if (EqualFold(scheme, "wss")) {
    u.tls = true;
  } else {
    *error = "malformed ws or wss URL";
    return std::nullopt;
  }
  std::string_view rest = target.substr(colon + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail =
      end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    // User info is not allowed in websocket URIs (gorilla).
    *error = "malformed ws or wss URL";
    return std::nullopt;
  }
  size_t hash = tail.find('#');
  if (hash != std::string_view::npos) tail = tail.substr(0, hash);
  u.host_header = std::string(authority);
  if (!authority.empty() && authority[0] == '[') {
    size_t rb = authority.find(']');
    if (rb == std::string_view::npos) {
      *error = "missing ']' in host";
      return std::nullopt;
    }
    u.host = std::string(authority.substr(1, rb - 1));
    std::string_view after = authority.substr(rb + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        *error = "invalid port after host";
        return std::nullopt;
      }
      u.port = std::string(after.substr(1));
    }
  } else {
    size_t c = authority.rfind(':');
    if (c != std::string_view::npos) {
      u.host = std::string(authority.substr(0, c));
      u.port = std::string(authority.substr(c + 1));
    } else {
      u.host = std::string(authority);
    }
  }
  for (char c : u.port) {
    if (c < '0' || c > '9') {
      *error = "invalid port \":" + u.port + "\" after host";
      return std::nullopt;
    }
  }
  if (u.host.empty()) {
    *error = "malformed ws or wss URL";
    return std::nullopt;
  }
  u.request_uri = tail.empty() || tail[0] != '/' ? "/" + std::string(tail)
                                                 : std::string(tail);
  return u;
}

}  // namespace exporterd::blackbox::websocket

#endif  // EXPORTERD_BLACKBOX_WEBSOCKET_URL_H_
