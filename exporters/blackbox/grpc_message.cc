#include "grpc_message.h"

#include <algorithm>
#include <vector>

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

// protowire.ConsumeVarint: at most 10 bytes, the tenth 0 or 1.
bool GetVarint(std::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    if (shift == 63 && b > 1) return false;
    *v |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

// Wire types (protowire.Type).
constexpr uint64_t kVarint = 0, kFixed64 = 1, kBytes = 2, kStartGroup = 3,
                   kEndGroup = 4, kFixed32 = 5;
constexpr uint64_t kMaxFieldNumber = (1 << 29) - 1;

// The value of a field of wire type 0, 1, 2 or 5; false for others.
bool SkipValue(std::string_view* m, uint64_t type) {
  uint64_t v = 0;
  size_t size = 0;
  switch (type) {
    case kVarint:
      return GetVarint(m, &v);
    case kFixed64:
      size = 8;
      break;
    case kBytes:
      if (!GetVarint(m, &v) || m->size() < v) return false;
      size = static_cast<size_t>(v);
      break;
    case kFixed32:
      size = 4;
      break;
    default:
      return false;
  }
  if (m->size() < size) return false;
  m->remove_prefix(size);
  return true;
}

// A group (an unknown field to protobuf-go, which skips it as
// protowire.ConsumeFieldValue does): fields up to the end-group tag of the
// same number, groups nested in it at most 10001 deep in all
// (DefaultRecursionLimit 10000). Inside, a field number only has to be
// positive and fit an int32.
bool SkipGroup(std::string_view* m, uint64_t number) {
  std::vector<uint64_t> open{number};
  while (!open.empty()) {
    uint64_t key = 0;
    if (!GetVarint(m, &key) || key >> 3 == 0 || key >> 3 > INT32_MAX)
      return false;
    if ((key & 7) == kStartGroup) {
      if (open.size() > 10000) return false;
      open.push_back(key >> 3);
    } else if ((key & 7) == kEndGroup) {
      if (key >> 3 != open.back()) return false;
      open.pop_back();
    } else if (!SkipValue(m, key & 7)) {
      return false;
    }
  }
  return true;
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

std::optional<int32_t> HealthCheckStatus(std::string_view body) {
  if (body.size() < 5 || body[0] != 0) return std::nullopt;
  uint32_t n = (uint32_t{static_cast<uint8_t>(body[1])} << 24) |
               (uint32_t{static_cast<uint8_t>(body[2])} << 16) |
               (uint32_t{static_cast<uint8_t>(body[3])} << 8) |
               uint32_t{static_cast<uint8_t>(body[4])};
  if (body.size() - 5 != n) return std::nullopt;  // cut, or more after it
  std::string_view m = body.substr(5);
  uint64_t status = 0;  // absent: UNKNOWN
  while (!m.empty()) {
    uint64_t key = 0;
    if (!GetVarint(&m, &key) || key >> 3 == 0 || key >> 3 > kMaxFieldNumber)
      return std::nullopt;
    if (key == (1 << 3 | kVarint)) {
      if (!GetVarint(&m, &status)) return std::nullopt;
    } else if ((key & 7) == kStartGroup) {
      if (!SkipGroup(&m, key >> 3)) return std::nullopt;
    } else if (!SkipValue(&m, key & 7)) {
      return std::nullopt;  // an end-group tag outside a group, 6, 7
    }
  }
  return static_cast<int32_t>(static_cast<uint32_t>(status));
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
