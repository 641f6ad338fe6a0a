// RFC 6455 for the websocket prober, as pure functions (no I/O): the
// client's opening handshake (Sec-WebSocket-Key / Sec-WebSocket-Accept,
// checked as gorilla/websocket's client does), client frames (always
// masked) and a reader that turns the server's frames into messages
// (fragmentation reassembled, control frames surfaced between them).
// Header-only: the build compiles *_prober.cc files, and the unit tests use
// these directly.
#ifndef EXPORTERD_BLACKBOX_WEBSOCKET_CODEC_H_
#define EXPORTERD_BLACKBOX_WEBSOCKET_CODEC_H_

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace exporterd::blackbox::websocket {

inline constexpr std::string_view kAcceptGuid =
    "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

enum Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

inline std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// The Sec-WebSocket-Key for 16 random bytes.
inline std::string HandshakeKey(const std::array<uint8_t, 16>& nonce) {
  return Base64(
      std::string_view(reinterpret_cast<const char*>(nonce.data()), 16));
}

// base64(SHA-1(key + GUID)): what the server must answer.
inline std::string AcceptFor(std::string_view key) {
  std::string s(key);
  s += kAcceptGuid;
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  return Base64(
      std::string_view(reinterpret_cast<const char*>(md), SHA_DIGEST_LENGTH));
}

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

// The opening handshake request; `headers` (name, value) after the fixed
// ones, in order. A "Host" among them replaces the URL's.
inline std::string HandshakeRequest(
    const Url& u, const std::string& key,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string host = u.host_header;
  for (const auto& [name, value] : headers)
    if (EqualFold(name, "Host")) host = value;
  std::string r = "GET " + u.request_uri + " HTTP/1.1\r\n";
  r += "Host: " + host + "\r\n";
  bool agent = false;
  for (const auto& [name, value] : headers)
    if (EqualFold(name, "User-Agent")) agent = true;
  if (!agent) r += "User-Agent: Go-http-client/1.1\r\n";
  r += "Connection: Upgrade\r\n";
  r += "Sec-WebSocket-Key: " + key + "\r\n";
  r += "Sec-WebSocket-Version: 13\r\n";
  r += "Upgrade: websocket\r\n";
  for (const auto& [name, value] : headers) {
    if (EqualFold(name, "Host")) continue;
    r += name + ": " + value + "\r\n";
  }
  r += "\r\n";
  return r;
}

struct Response {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  size_t header_bytes = 0;  // through the blank line

  // All values of `name` (case-insensitive), in order.
  std::vector<std::string> Values(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [n, v] : headers)
      if (EqualFold(n, name)) out.push_back(v);
    return out;
  }
};

enum class ParseStatus { kNeedMore, kDone, kError };

// Parses the status line and headers at the start of `data`.
inline ParseStatus ParseResponse(std::string_view data, Response* out,
                                 std::string* error) {
  size_t end = data.find("\r\n\r\n");
  size_t term = 4;
  if (end == std::string_view::npos) {
    end = data.find("\n\n");
    term = 2;
  }
  if (end == std::string_view::npos) return ParseStatus::kNeedMore;
  std::string_view head = data.substr(0, end);
  out->header_bytes = end + term;
  out->headers.clear();
  size_t pos = 0;
  bool first = true;
  while (pos <= head.size()) {
    size_t nl = head.find('\n', pos);
    std::string_view line = head.substr(
        pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first) {
      first = false;
      // HTTP/1.x SP 3DIGIT [SP reason]
      if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." ||
          line[8] != ' ' ||
          !std::isdigit(static_cast<unsigned char>(line[9])) ||
          !std::isdigit(static_cast<unsigned char>(line[10])) ||
          !std::isdigit(static_cast<unsigned char>(line[11])) ||
          (line.size() > 12 && line[12] != ' ')) {
        *error = "malformed HTTP response \"" + std::string(line) + "\"";
        return ParseStatus::kError;
      }
      out->status =
          (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
      out->reason = line.size() > 13 ? std::string(line.substr(13)) : "";
    } else if (!line.empty()) {
      size_t c = line.find(':');
      if (c == std::string_view::npos || c == 0) {
        *error = "malformed MIME header line: " + std::string(line);
        return ParseStatus::kError;
      }
      std::string_view v = line.substr(c + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
      out->headers.emplace_back(std::string(line.substr(0, c)), std::string(v));
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return ParseStatus::kDone;
}

// Whether a comma-separated token list header holds `token`
// (case-insensitive), over all of its values.
inline bool TokenListContains(const std::vector<std::string>& values,
                              std::string_view token) {
  for (const auto& v : values) {
    size_t pos = 0;
    while (pos <= v.size()) {
      size_t comma = v.find(',', pos);
      std::string_view t = std::string_view(v).substr(
          pos, comma == std::string::npos ? std::string::npos : comma - pos);
      while (!t.empty() && (t.front() == ' ' || t.front() == '\t'))
        t.remove_prefix(1);
      while (!t.empty() && (t.back() == ' ' || t.back() == '\t'))
        t.remove_suffix(1);
      if (EqualFold(t, token)) return true;
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  return false;
}

// gorilla's client check: 101, Upgrade: websocket, Connection: upgrade and
// the right Sec-WebSocket-Accept. "" when upgraded, else the error.
inline std::string CheckUpgrade(const Response& r, std::string_view key) {
  if (r.status != 101 || !TokenListContains(r.Values("Upgrade"), "websocket") ||
      !TokenListContains(r.Values("Connection"), "upgrade"))
    return "websocket: bad handshake";
  auto accept = r.Values("Sec-WebSocket-Accept");
  if (accept.empty() || accept[0] != AcceptFor(key))
    return "websocket: bad handshake";
  return "";
}

// One client frame: FIN as given, masked with `mask`.
inline std::string EncodeFrame(uint8_t opcode, std::string_view payload,
                               const std::array<uint8_t, 4>& mask,
                               bool fin = true) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | (opcode & 0x0F)));
  const uint64_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xFF));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i)
      f.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  }
  for (uint8_t m : mask) f.push_back(static_cast<char>(m));
  for (size_t i = 0; i < payload.size(); ++i)
    f.push_back(
        static_cast<char>(static_cast<uint8_t>(payload[i]) ^ mask[i % 4]));
  return f;
}

struct Frame {
  bool fin = false;
  uint8_t rsv = 0;  // the three reserved bits
  uint8_t opcode = 0;
  bool masked = false;
  std::string payload;  // unmasked
};

// Decodes one frame from the front of `data`: the bytes used, 0 when more
// are needed. (A frame's length field beyond 2^63 is taken as is.)
inline size_t DecodeFrame(std::string_view data, Frame* f) {
  if (data.size() < 2) return 0;
  const auto b0 = static_cast<uint8_t>(data[0]);
  const auto b1 = static_cast<uint8_t>(data[1]);
  f->fin = (b0 & 0x80) != 0;
  f->rsv = static_cast<uint8_t>((b0 >> 4) & 0x07);
  f->opcode = b0 & 0x0F;
  f->masked = (b1 & 0x80) != 0;
  uint64_t len = b1 & 0x7F;
  size_t pos = 2;
  if (len == 126) {
    if (data.size() < 4) return 0;
    len = (uint64_t{static_cast<uint8_t>(data[2])} << 8) |
          static_cast<uint8_t>(data[3]);
    pos = 4;
  } else if (len == 127) {
    if (data.size() < 10) return 0;
    len = 0;
    for (size_t i = 0; i < 8; ++i)
      len = (len << 8) | static_cast<uint8_t>(data[2 + i]);
    pos = 10;
  }
  std::array<uint8_t, 4> mask{};
  if (f->masked) {
    if (data.size() < pos + 4) return 0;
    for (size_t i = 0; i < 4; ++i)
      mask[i] = static_cast<uint8_t>(data[pos + i]);
    pos += 4;
  }
  if (data.size() - pos < len) return 0;
  f->payload.assign(data.substr(pos, static_cast<size_t>(len)));
  if (f->masked)
    for (size_t i = 0; i < f->payload.size(); ++i)
      f->payload[i] =
          static_cast<char>(static_cast<uint8_t>(f->payload[i]) ^ mask[i % 4]);
  return pos + static_cast<size_t>(len);
}

// What the reader found next in the server's bytes.
struct Event {
  enum Kind {
    kNeedMore,
    kMessage,
    kPing,
    kPong,
    kClose,
    kError
  } kind = kNeedMore;
  uint8_t opcode = 0;  // kMessage: kText or kBinary
  std::string data;    // message, ping/pong payload, close reason, error
  int close_code = 0;  // kClose: 1005 when the frame had none
};

// Server frames in, messages out (gorilla's NextReader rules: unmasked
// frames, no reserved bits, control frames final and <= 125 bytes,
// continuations only inside a fragmented message).
class MessageReader {
 public:
  void Feed(std::string_view bytes) { buf_.append(bytes); }

  Event Next() {
    Event e;
    for (;;) {
      Frame f;
      size_t used = DecodeFrame(buf_, &f);
      if (used == 0) return e;  // kNeedMore
      buf_.erase(0, used);
      if (f.rsv != 0) return Error("unexpected reserved bits");
      if (f.masked) return Error("incorrect mask flag");
      const bool control = f.opcode >= 0x8;
      if (control) {
        if (f.payload.size() > 125) return Error("control frame length > 125");
        if (!f.fin) return Error("control frame not final");
        if (f.opcode == kPing || f.opcode == kPong) {
          e.kind = f.opcode == kPing ? Event::kPing : Event::kPong;
          e.data = std::move(f.payload);
          return e;
        }
        if (f.opcode != kClose)
          return Error("unknown opcode " + std::to_string(f.opcode));
        e.kind = Event::kClose;
        if (f.payload.size() == 1) return Error("invalid close frame");
        if (f.payload.size() >= 2) {
          e.close_code = (static_cast<uint8_t>(f.payload[0]) << 8) |
                         static_cast<uint8_t>(f.payload[1]);
          e.data = f.payload.substr(2);
        } else {
          e.close_code = 1005;
        }
        return e;
      }
      if (f.opcode == kContinuation) {
        if (!in_message_) return Error("unexpected continuation");
        message_ += f.payload;
      } else if (f.opcode == kText || f.opcode == kBinary) {
        if (in_message_)
          return Error("message start before final message frame");
        in_message_ = true;
        opcode_ = f.opcode;
        message_ = std::move(f.payload);
      } else {
        return Error("unknown opcode " + std::to_string(f.opcode));
      }
      if (f.fin) {
        in_message_ = false;
        e.kind = Event::kMessage;
        e.opcode = opcode_;
        e.data = std::move(message_);
        message_.clear();
        return e;
      }
    }
  }

 private:
  Event Error(std::string what) {
    Event e;
    e.kind = Event::kError;
    e.data = "websocket: " + std::move(what);
    return e;
  }
  std::string buf_;
  bool in_message_ = false;
  uint8_t opcode_ = 0;
  std::string message_;
};

// gorilla's CloseError text: "websocket: close 1000 (normal): bye".
inline std::string CloseErrorText(int code, std::string_view text) {
  std::string s = "websocket: close " + std::to_string(code);
  switch (code) {
    case 1000:
      s += " (normal)";
      break;
    case 1001:
      s += " (going away)";
      break;
    case 1002:
      s += " (protocol error)";
      break;
    case 1003:
      s += " (unsupported data)";
      break;
    case 1005:
      s += " (no status)";
      break;
    case 1006:
      s += " (abnormal closure)";
      break;
    case 1007:
      s += " (invalid payload data)";
      break;
    case 1008:
      s += " (policy violation)";
      break;
    case 1009:
      s += " (message too big)";
      break;
    case 1010:
      s += " (mandatory extension missing)";
      break;
    case 1011:
      s += " (internal server error)";
      break;
    case 1015:
      s += " (TLS handshake error)";
      break;
    default:
      break;
  }
  if (!text.empty()) s += ": " + std::string(text);
  return s;
}

}  // namespace exporterd::blackbox::websocket

#endif  // EXPORTERD_BLACKBOX_WEBSOCKET_CODEC_H_
