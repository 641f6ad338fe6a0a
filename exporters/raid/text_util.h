// Small string helpers shared by the RAID CLI and md parsers.
#ifndef EXPORTERD_RAID_TEXT_UTIL_H_
#define EXPORTERD_RAID_TEXT_UTIL_H_

#include <cctype>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exporterd::raid::text {

inline std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

inline std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline bool StartsWith(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

inline bool Contains(std::string_view s, std::string_view p) {
  return s.find(p) != std::string_view::npos;
}

// ASCII case-insensitive StartsWith, equality and Contains.
inline bool IStartsWith(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  auto lower = [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  };
  for (size_t i = 0; i < p.size(); ++i) {
    if (lower(s[i]) != lower(p[i])) return false;
  }
  return true;
}

inline bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && IStartsWith(a, b);
}

inline bool IContains(std::string_view s, std::string_view p) {
  for (size_t i = 0; i + p.size() <= s.size(); ++i) {
    if (IStartsWith(s.substr(i), p)) return true;
  }
  return false;
}

// Runs of whitespace become one space; ends trimmed.
inline std::string CollapseSpaces(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : Trim(s)) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

inline std::vector<std::string_view> Lines(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string_view::npos) {
      if (start < s.size()) out.push_back(s.substr(start));
      break;
    }
    std::string_view line = s.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    start = nl + 1;
  }
  return out;
}

inline std::vector<std::string_view> Fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// A leading decimal number of type T (double or an integer): "21C (69.80
// F)" -> 21, " 40 C" -> 40, "97 %", "+3", "-5"; as an int, "12.5" -> 12.
// nullopt unless the text (after white space and a sign) starts with a
// digit: no ".5", "inf", "nan" or hex.
template <class T>
std::optional<T> Leading(std::string_view s) {
  s = Trim(s);
  size_t digit = 0;  // where the first digit must be
  if (!s.empty() && s[0] == '+')
    s.remove_prefix(1);  // from_chars takes "-" but not "+"
  else if (!s.empty() && s[0] == '-')
    digit = 1;
  if (s.size() <= digit || !std::isdigit(static_cast<unsigned char>(s[digit])))
    return std::nullopt;
  T v{};
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr == s.data()) return std::nullopt;
  return v;
}

inline std::optional<double> LeadingNumber(std::string_view s) {
  return Leading<double>(s);
}

// A whole unsigned integer ("12"), nullopt otherwise.
inline std::optional<long long> ParseInt(std::string_view s) {
  s = Trim(s);
  if (s.empty() || s.size() > 18) return std::nullopt;
  long long v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace exporterd::raid::text

#endif  // EXPORTERD_RAID_TEXT_UTIL_H_
