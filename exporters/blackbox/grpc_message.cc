#include "grpc_message.h"

#include <algorithm>

namespace exporterd::blackbox::grpc {
namespace {

// A gRPC message frame: not compressed, 4-byte big-endian length.
std::string Frame(const std::string& message) {
  std::string out(5, '\0');
  uint32_t n = static_cast<uint32_t>(message.size());
  out[1] = static_cast<char>(n >> 24);
  out[2] = static_cast<char>(n >> 16);
  out[3] = static_cast<char>(n >> 8);
  out[4] = static_cast<char>(n);
  return out + message;
}

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    *v |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

// Go's strconv.Quote, enough for a log line: printable ASCII kept, '"' and
// '\\' escaped, other bytes as \xNN.
std::string Quote(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out + "\"";
}

}  // namespace

std::string HealthCheckRequest(const std::string& service) {
  std::string m;
  if (!service.empty()) {
    m.push_back(0x0a);
    PutVarint(service.size(), &m);
    m += service;
  }
  return Frame(m);
}

int HealthCheckStatus(std::string_view body) {
  if (body.size() < 5 || body[0] != 0) return -1;
  uint32_t n = (uint32_t{static_cast<uint8_t>(body[1])} << 24) |
               (uint32_t{static_cast<uint8_t>(body[2])} << 16) |
               (uint32_t{static_cast<uint8_t>(body[3])} << 8) |
               uint32_t{static_cast<uint8_t>(body[4])};
  if (body.size() - 5 < n) return -1;
  std::string_view m = body.substr(5, n);
  uint64_t status = 0;  // absent: UNKNOWN
  while (!m.empty()) {
    uint64_t key = 0, v = 0;
    if (!GetVarint(&m, &key)) return -1;
    switch (key & 7) {
      case 0:
        if (!GetVarint(&m, &v)) return -1;
        if (key >> 3 == 1) status = v;
        break;
      case 1:
        if (m.size() < 8) return -1;
        m.remove_prefix(8);
        break;
      case 2:
        if (!GetVarint(&m, &v) || m.size() < v) return -1;
        m.remove_prefix(v);
        break;
      case 5:
        if (m.size() < 4) return -1;
        m.remove_prefix(4);
        break;
      default:
        return -1;
    }
  }
  return status <= 3 ? static_cast<int>(status) : -1;
}

std::optional<int32_t> ParseStatus(std::string_view value, std::string* err) {
  std::string_view digits = value;
  bool neg = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    neg = digits[0] == '-';
    digits.remove_prefix(1);
  }
  bool syntax = !digits.empty();
  uint64_t v = 0;  // saturates past int32: Go reports the range then
  for (char c : digits) {
    if (c < '0' || c > '9') {
      syntax = false;
      break;
    }
    v = std::min<uint64_t>(v * 10 + static_cast<uint64_t>(c - '0'),
                           uint64_t{1} << 32);
  }
  const char* why = !syntax ? "invalid syntax"
                    : v > (neg ? uint64_t{1} << 31 : INT32_MAX)
                        ? "value out of range"
                        : nullptr;
  if (why) {
    *err = "strconv.ParseInt: parsing " + Quote(value) + ": " + why;
    return std::nullopt;
  }
  return static_cast<int32_t>(neg ? -static_cast<int64_t>(v)
                                  : static_cast<int64_t>(v));
}

}  // namespace exporterd::blackbox::grpc
