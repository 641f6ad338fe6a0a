#include "dns_message.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "probe.h"

namespace exporterd::blackbox::dns {
namespace {

struct PktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktFree>;

std::string EscapeByte(uint8_t b) {
  char buf[8];
  snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(b));
  return buf;
}

// miekg's sprintName over uncompressed wire labels: the characters special
// in a label escaped with a backslash, unprintable bytes as \DDD.
std::string NameText(const uint8_t* p, size_t n) {
  std::string out;
  size_t i = 0;
  while (i < n && p[i] != 0) {
    size_t len = p[i++];
    for (size_t j = 0; j < len && i < n; ++j, ++i) {
      uint8_t b = p[i];
      switch (b) {
        case '.':
        case ' ':
        case '\'':
        case '@':
        case ';':
        case '(':
        case ')':
        case '"':
        case '\\':
          out.push_back('\\');
          out.push_back(static_cast<char>(b));
          break;
        default:
          if (b < ' ' || b > '~')
            out += EscapeByte(b);
          else
            out.push_back(static_cast<char>(b));
      }
    }
    out.push_back('.');
  }
  if (out.empty()) out = ".";
  return out;
}

std::string NameText(const ldns_rdf* rdf) {
  return NameText(ldns_rdf_data(rdf), ldns_rdf_size(rdf));
}

// miekg's sprintTxt for one character-string (length byte first).
std::string TxtText(const uint8_t* p, size_t n) {
  std::string out = "\"";
  size_t len = n ? p[0] : 0;
  for (size_t i = 1; i <= len && i < n; ++i) {
    uint8_t b = p[i];
    if (b == '"' || b == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(b));
    } else if (b < ' ' || b > '~') {
      out += EscapeByte(b);
    } else {
      out.push_back(static_cast<char>(b));
    }
  }
  out.push_back('"');
  return out;
}

// Go's net.IP.String() for 16 bytes: RFC 5952 (the longest run of two or
// more zero groups, the first on a tie, becomes "::"); miekg prints an
// IPv4-mapped AAAA as ::ffff:a.b.c.d.
std::string Ipv6Text(const uint8_t* b) {
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char buf[64];
  if (memcmp(b, kMapped, 12) == 0) {
    snprintf(buf, sizeof buf, "::ffff:%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
    return buf;
  }
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (b[2 * i] == 0 && b[2 * i + 1] == 0) {
      int j = i;
      while (j < 8 && b[2 * j] == 0 && b[2 * j + 1] == 0) ++j;
      if (j - i > best_len) {
        best = i;
        best_len = j - i;
      }
      i = j;
    } else {
      ++i;
    }
  }
  if (best_len < 2) best = -1;
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out.push_back(':');
    snprintf(buf, sizeof buf, "%x", (b[2 * i] << 8) | b[2 * i + 1]);
    out += buf;
  }
  return out;
}

uint32_t Uint32(const ldns_rdf* rdf) {
  if (!rdf || ldns_rdf_size(rdf) < 4) return 0;
  const uint8_t* p = ldns_rdf_data(rdf);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | p[3];
}

// One rdata field: names, strings and addresses as miekg prints them,
// integers in decimal, anything else as libldns prints it.
std::string RdfText(const ldns_rdf* rdf) {
  const uint8_t* p = ldns_rdf_data(rdf);
  size_t n = ldns_rdf_size(rdf);
  switch (ldns_rdf_get_type(rdf)) {
    case LDNS_RDF_TYPE_DNAME:
      return NameText(p, n);
    case LDNS_RDF_TYPE_STR:
      return TxtText(p, n);
    case LDNS_RDF_TYPE_A:
      if (n == 4) {
        char buf[20];
        snprintf(buf, sizeof buf, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
        return buf;
      }
      break;
    case LDNS_RDF_TYPE_AAAA:
      if (n == 16) return Ipv6Text(p);
      break;
    case LDNS_RDF_TYPE_INT8:
      if (n == 1) return std::to_string(p[0]);
      break;
    case LDNS_RDF_TYPE_INT16:
      if (n == 2) return std::to_string((p[0] << 8) | p[1]);
      break;
    case LDNS_RDF_TYPE_INT32:
    case LDNS_RDF_TYPE_PERIOD:
      if (n == 4) return std::to_string(Uint32(rdf));
      break;
    default:
      break;
  }
  char* s = ldns_rdf2str(rdf);
  std::string out = s ? s : "";
  free(s);
  return out;
}

std::string TypeName(ldns_rr_type t) {
  char* s = ldns_rr_type2str(t);
  std::string out = s ? s : "TYPE" + std::to_string(t);
  free(s);
  return out;
}

// miekg's RR.String(): owner, TTL, class, type and the rdata fields, tab
// separated header, space separated rdata.
std::string RrText(const ldns_rr* rr) {
  std::string out = NameText(ldns_rr_owner(rr));
  out += "\t" + std::to_string(ldns_rr_ttl(rr));
  out += "\t" + ClassName(static_cast<uint16_t>(ldns_rr_get_class(rr)));
  out += "\t" + TypeName(ldns_rr_get_type(rr)) + "\t";
  for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    if (i) out.push_back(' ');
    out += RdfText(ldns_rr_rdf(rr, i));
  }
  return out;
}

std::vector<std::string> RrTexts(const ldns_rr_list* list) {
  std::vector<std::string> out;
  if (!list) return out;
  for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i)
    out.push_back(RrText(ldns_rr_list_rr(list, i)));
  return out;
}

// miekg's OPT.String() without the options (libldns keeps only the
// header fields of an OPT record).
std::string OptText(const ldns_pkt* p) {
  std::string s = "\n;; OPT PSEUDOSECTION:\n; EDNS: version " +
                  std::to_string(ldns_pkt_edns_version(p)) + "; ";
  s += ldns_pkt_edns_do(p) ? "flags: do; " : "flags:; ";
  uint16_t mbz = ldns_pkt_edns_z(p) & 0x7fff;
  if (mbz) {
    char buf[32];
    snprintf(buf, sizeof buf, "MBZ: 0x%04x, ", mbz);
    s += buf;
  }
  s += "udp: " + std::to_string(ldns_pkt_edns_udp_size(p));
  return s;
}

std::string GoIntSlice(const std::vector<int>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += " ";
    s += std::to_string(v[i]);
  }
  return s + "]";
}

}  // namespace

std::string Fqdn(std::string_view name) {
  // Ends in an unescaped dot: an even number of backslashes before it.
  if (!name.empty() && name.back() == '.') {
    size_t bs = 0;
    for (size_t i = name.size() - 1; i > 0 && name[i - 1] == '\\'; --i) ++bs;
    if (bs % 2 == 0) return std::string(name);
  }
  return std::string(name) + ".";
}

std::optional<std::string> BuildQuery(uint16_t id, std::string_view name,
                                      uint16_t type, uint16_t qclass,
                                      bool recursion_desired,
                                      std::string* error) {
  const std::string fqdn = Fqdn(name);
  ldns_rdf* dname = nullptr;
  ldns_status st = ldns_str2rdf_dname(&dname, fqdn.c_str());
  if (st != LDNS_STATUS_OK) {
    *error = std::string("dns: bad query name: ") + ldns_get_errorstr_by_id(st);
    return std::nullopt;
  }
  // ldns_pkt_query_new takes the name.
  PktPtr pkt(ldns_pkt_query_new(dname, static_cast<ldns_rr_type>(type),
                                static_cast<ldns_rr_class>(qclass),
                                recursion_desired ? LDNS_RD : 0));
  if (!pkt) {
    *error = "dns: cannot build the query";
    return std::nullopt;
  }
  ldns_pkt_set_id(pkt.get(), id);
  uint8_t* wire = nullptr;
  size_t size = 0;
  st = ldns_pkt2wire(&wire, pkt.get(), &size);
  if (st != LDNS_STATUS_OK) {
    *error = std::string("dns: ") + ldns_get_errorstr_by_id(st);
    return std::nullopt;
  }
  std::string out(reinterpret_cast<char*>(wire), size);
  free(wire);
  return out;
}

std::optional<Message> ParseMessage(std::string_view wire, std::string* error) {
  ldns_pkt* raw = nullptr;
  ldns_status st = ldns_wire2pkt(
      &raw, reinterpret_cast<const uint8_t*>(wire.data()), wire.size());
  if (st != LDNS_STATUS_OK) {
    *error = std::string("dns: ") + ldns_get_errorstr_by_id(st);
    return std::nullopt;
  }
  PktPtr pkt(raw);
  Message m;
  m.id = ldns_pkt_id(raw);
  m.rcode = ldns_pkt_get_rcode(raw);
  m.truncated = ldns_pkt_tc(raw);
  m.answer = RrTexts(ldns_pkt_answer(raw));
  m.authority = RrTexts(ldns_pkt_authority(raw));
  m.additional = RrTexts(ldns_pkt_additional(raw));
  // libldns moves an OPT record out of the additional section; miekg keeps
  // it there. The header's count tells whether there was one.
  const size_t arcount = wire.size() >= 12
                             ? (static_cast<uint8_t>(wire[10]) << 8) |
                                   static_cast<uint8_t>(wire[11])
                             : 0;
  if (arcount > m.additional.size()) m.additional.push_back(OptText(raw));
  const ldns_rr_list* answer = ldns_pkt_answer(raw);
  for (size_t i = 0; answer && i < ldns_rr_list_rr_count(answer); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(answer, i);
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) >= 3)
      m.soa_serial = Uint32(ldns_rr_rdf(rr, 2));
  }
  return m;
}

std::string RcodeName(int rcode) {
  static const char* const kNames[] = {
      "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
      "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
  if (rcode >= 0 && rcode <= 10) return kNames[rcode];
  switch (rcode) {
    case 16:
      return "BADSIG";
    case 17:
      return "BADKEY";
    case 18:
      return "BADTIME";
    case 19:
      return "BADMODE";
    case 20:
      return "BADNAME";
    case 21:
      return "BADALG";
    case 22:
      return "BADTRUNC";
    case 23:
      return "BADCOOKIE";
    default:
      return "";
  }
}

std::string ClassName(uint16_t qclass) {
  switch (qclass) {
    case 1:
      return "IN";
    case 2:
      return "CS";
    case 3:
      return "CH";
    case 4:
      return "HS";
    case 254:
      return "NONE";
    case 255:
      return "ANY";
    default:
      return "CLASS" + std::to_string(qclass);
  }
}

bool ValidRcode(int rcode, const std::vector<std::string>& valid, ProbeLog& log,
                bool* bad_name) {
  std::vector<int> codes;
  for (const auto& name : valid) {
    auto rc = DnsRcodeFromName(name);
    if (!rc) {
      log.Error("Invalid rcode", {{"rcode", name}});
      *bad_name = true;
      return false;
    }
    codes.push_back(*rc);
  }
  for (int rc : codes) {
    if (rc == rcode) {
      log.Debug("Rcode is valid", {{"rcode", std::to_string(rcode)},
                                   {"string_rcode", RcodeName(rcode)}});
      return true;
    }
  }
  log.Error("Rcode is not one of the valid rcodes",
            {{"rcode", std::to_string(rcode)},
             {"string_rcode", RcodeName(rcode)},
             {"valid_rcodes", GoIntSlice(codes)}});
  return false;
}

bool ValidRrs(const std::vector<std::string>& rrs, const DnsRrValidator& v,
              ProbeLog& log, bool* bad_regexp) {
  if (rrs.empty() && !v.fail_if_not_matches_regexp.empty()) {
    log.Error("fail_if_not_matches_regexp specified but no RRs returned");
    return false;
  }
  if (rrs.empty() && !v.fail_if_none_matches_regexp.empty()) {
    log.Error("fail_if_none_matches_regexp specified but no RRs returned");
    return false;
  }
  // Go compiles each regexp when it is used: a bad one fails there.
  auto match = [&](const Regexp& re, const std::string& rr, bool* m) {
    if (!re.ok()) {
      log.Error("Error matching regexp",
                {{"regexp", re.pattern()}, {"err", re.error()}});
      *bad_regexp = true;
      return false;
    }
    *m = RE2::PartialMatch(rr, re.re());
    return true;
  };
  bool any_match = false, all_match = true;
  for (const auto& rr : rrs) {
    log.Debug("Validating RR", {{"rr", rr}});
    bool m = false;
    for (const auto& re : v.fail_if_matches_regexp) {
      if (!match(re, rr, &m)) return false;
      if (m) {
        log.Error("At least one RR matched regexp",
                  {{"regexp", re.pattern()}, {"rr", rr}});
        return false;
      }
    }
    for (const auto& re : v.fail_if_all_match_regexp) {
      if (!match(re, rr, &m)) return false;
      if (!m) all_match = false;
    }
    for (const auto& re : v.fail_if_not_matches_regexp) {
      if (!match(re, rr, &m)) return false;
      if (!m) {
        log.Error("At least one RR did not match regexp",
                  {{"regexp", re.pattern()}, {"rr", rr}});
        return false;
      }
    }
    for (const auto& re : v.fail_if_none_matches_regexp) {
      if (!match(re, rr, &m)) return false;
      if (m) any_match = true;
    }
  }
  if (!v.fail_if_all_match_regexp.empty() && !all_match) {
    log.Error("Not all RRs matched regexp");
    return false;
  }
  if (!v.fail_if_none_matches_regexp.empty() && !any_match) {
    log.Error("None of the RRs did matched any regexp");
    return false;
  }
  return true;
}

}  // namespace exporterd::blackbox::dns
