#include "exporterd/go_compat.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

namespace exporterd {
namespace {

// Go takes Unicode letters and digits; every byte of a multi-byte UTF-8
// sequence is >= 0x80, which covers the non-ASCII ones closely enough.
bool IsGoNameChar(unsigned char c) {
  return c == '_' || std::isalnum(c) || c >= 0x80;
}

// strconv.ParseInt(s, 0, 64) on text without '_'.
std::optional<int64_t> GoParseInt(std::string_view s) {
  size_t i = 0;
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    i = 1;
  }
  int base = 10;
  if (s.size() > i + 1 && s[i] == '0') {
    switch (std::tolower(static_cast<unsigned char>(s[i + 1]))) {
      case 'x':
        base = 16, i += 2;
        break;
      case 'o':
        base = 8, i += 2;
        break;
      case 'b':
        base = 2, i += 2;
        break;
      default:
        base = 8, i += 1;
    }
  }
  if (i >= s.size()) return std::nullopt;
  constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;  // -(-2^63)
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    int d;
    if (std::isdigit(c))
      d = c - '0';
    else if (std::isalpha(c))
      d = std::tolower(c) - 'a' + 10;
    else
      return std::nullopt;
    if (d >= base) return std::nullopt;
    if (v > (kMinMagnitude - static_cast<uint64_t>(d)) / base)
      return std::nullopt;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  if (neg) return static_cast<int64_t>(0 - v);  // v <= 2^63
  if (v == kMinMagnitude) return std::nullopt;
  return static_cast<int64_t>(v);
}

// go-yaml's float syntax: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsYamlStyleFloat(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > from;
  };
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  } else {
    if (!digits()) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

}  // namespace

std::string GoExpand(std::string_view tmpl,
                     const std::vector<std::optional<std::string_view>>& groups,
                     const std::map<std::string, int>& names) {
  std::string out;
  while (!tmpl.empty()) {
    size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) {
      out.append(tmpl);
      break;
    }
    out.append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar);
    if (tmpl.size() > 1 && tmpl[1] == '$') {
      out.push_back('$');
      tmpl.remove_prefix(2);
      continue;
    }
    // Go's extract(): $name or ${name}.
    bool brace = tmpl.size() > 1 && tmpl[1] == '{';
    size_t i = brace ? 2 : 1;
    size_t start = i;
    while (i < tmpl.size() && IsGoNameChar(static_cast<unsigned char>(tmpl[i])))
      ++i;
    std::string_view name = tmpl.substr(start, i - start);
    bool ok = !name.empty();
    if (ok && brace) {
      if (i >= tmpl.size() || tmpl[i] != '}')
        ok = false;
      else
        ++i;
    }
    if (!ok) {
      out.push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    tmpl.remove_prefix(i);
    // A number (no leading zeros, < 1e8) is a group index; else a name.
    int64_t num = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || num >= 100000000) {
        num = -1;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (name.size() > 1 && name[0] == '0') num = -1;
    if (num < 0) {
      auto it = names.find(std::string(name));
      if (it != names.end()) num = it->second;
    }
    if (num >= 0 && static_cast<size_t>(num) < groups.size() && groups[num])
      out.append(*groups[num]);
  }
  return out;
}

std::optional<std::chrono::nanoseconds> GoParseDuration(std::string_view s) {
  constexpr uint64_t kMaxPlusOne = uint64_t{1} << 63;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return std::nullopt;
  uint64_t total = 0;
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(s[0]))) return std::nullopt;
    uint64_t v = 0;  // the integer part
    size_t i = 0;
    while (i < s.size() && is_digit(s[i])) {
      if (v > kMaxPlusOne / 10) return std::nullopt;
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (v > kMaxPlusOne) return std::nullopt;
      ++i;
    }
    const bool pre = i > 0;
    s.remove_prefix(i);
    // The fraction as Go keeps it: digits while they fit, then ignored.
    uint64_t frac = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      bool overflow = false;
      size_t j = 0;
      while (j < s.size() && is_digit(s[j])) {
        if (!overflow) {
          if (frac > (std::numeric_limits<int64_t>::max() - 9) / 10) {
            overflow = true;
          } else {
            frac = frac * 10 + static_cast<uint64_t>(s[j] - '0');
            scale *= 10;
          }
        }
        ++j;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) return std::nullopt;
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !is_digit(s[u])) ++u;
    if (u == 0) return std::nullopt;  // missing unit
    const std::string_view unit_name = s.substr(0, u);
    s.remove_prefix(u);
    uint64_t unit = 0;
    if (unit_name == "ns")
      unit = 1;
    else if (unit_name == "us" || unit_name == "\xc2\xb5s" ||
             unit_name == "\xce\xbcs")
      unit = 1000;
    else if (unit_name == "ms")
      unit = 1000000;
    else if (unit_name == "s")
      unit = 1000000000;
    else if (unit_name == "m")
      unit = 60ULL * 1000000000;
    else if (unit_name == "h")
      unit = 3600ULL * 1000000000;
    else
      return std::nullopt;
    if (v > kMaxPlusOne / unit) return std::nullopt;
    v *= unit;
    if (frac > 0) {
      v += static_cast<uint64_t>(static_cast<double>(frac) *
                                 (static_cast<double>(unit) / scale));
      if (v > kMaxPlusOne) return std::nullopt;
    }
    total += v;
    if (total > kMaxPlusOne) return std::nullopt;
  }
  if (neg) {
    return std::chrono::nanoseconds(total == kMaxPlusOne
                                        ? std::numeric_limits<int64_t>::min()
                                        : -static_cast<int64_t>(total));
  }
  if (total > kMaxPlusOne - 1) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<int64_t>(total));
}

std::optional<int64_t> GoYamlInt(std::string_view plain) {
  std::string s;
  for (char c : plain)
    if (c != '_') s.push_back(c);
  if (auto v = GoParseInt(s)) return v;
  if (!IsYamlStyleFloat(s)) return std::nullopt;
  const double d = std::strtod(s.c_str(), nullptr);
  // The largest doubles below 2^63 and at -2^63.
  if (!std::isfinite(d) || d > 9.2233720368547748e18 ||
      d < -9.2233720368547758e18)
    return std::nullopt;
  return static_cast<int64_t>(d);
}

bool GoBase64Decode(std::string_view in, std::string* out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string text;
  for (char c : in)
    if (c != '\r' && c != '\n') text.push_back(c);
  if (text.size() % 4 != 0) return false;
  out->clear();
  out->reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;  // '=' only at the end of the last group: "x=" or "=="
    for (int j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        ++pad;
        v[j] = 0;
        continue;
      }
      if (pad > 0) return false;  // data after '='
      v[j] = value(c);
      if (v[j] < 0) return false;
    }
    const uint32_t bits = (static_cast<uint32_t>(v[0]) << 18) |
                          (static_cast<uint32_t>(v[1]) << 12) |
                          (static_cast<uint32_t>(v[2]) << 6) |
                          static_cast<uint32_t>(v[3]);
    out->push_back(static_cast<char>(bits >> 16));
    if (pad < 2) out->push_back(static_cast<char>((bits >> 8) & 0xff));
    if (pad < 1) out->push_back(static_cast<char>(bits & 0xff));
  }
  return true;
}

}  // namespace exporterd
