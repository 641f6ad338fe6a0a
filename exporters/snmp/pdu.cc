#include "pdu.h"

namespace exporterd::snmp {

std::optional<Oid> ParseOid(std::string_view text) {
  if (!text.empty() && text.front() == '.') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  Oid out;
  uint64_t cur = 0;
  bool have = false;
  for (char c : text) {
    if (c == '.') {
      if (!have) return std::nullopt;
      out.push_back(static_cast<uint32_t>(cur));
      cur = 0;
      have = false;
    } else if (c >= '0' && c <= '9') {
      cur = cur * 10 + static_cast<uint64_t>(c - '0');
      if (cur > 0xffffffffULL) return std::nullopt;
      have = true;
    } else {
      return std::nullopt;
    }
  }
  if (!have) return std::nullopt;
  out.push_back(static_cast<uint32_t>(cur));
  if (out.size() > 128) return std::nullopt;
  return out;
}

std::string OidToString(const Oid& oid) {
  std::string s;
  s.reserve(oid.size() * 4);
  for (size_t i = 0; i < oid.size(); ++i) {
    if (i) s.push_back('.');
    s += std::to_string(oid[i]);
  }
  return s;
}

std::string DottedOid(const Oid& oid) { return "." + OidToString(oid); }

}  // namespace exporterd::snmp
