#include "exporterd/go_compat.h"

#include <cctype>
#include <cstdint>

namespace exporterd {
namespace {

// Go takes Unicode letters and digits; every byte of a multi-byte UTF-8
// sequence is >= 0x80, which covers the non-ASCII ones closely enough.
bool IsGoNameChar(unsigned char c) {
  return c == '_' || std::isalnum(c) || c >= 0x80;
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

}  // namespace exporterd
