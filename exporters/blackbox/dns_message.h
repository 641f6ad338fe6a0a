// The dns prober's pure parts: DNS messages built and parsed with Debian's
// libldns, each record printed as miekg/dns's RR.String() prints it (the
// text users' validate_*_rrs regexps are written against), and upstream's
// rcode and RR validation rules. No I/O, no clocks.
//
//   std::string err;
//   auto q = dns::BuildQuery(0x1234, "example.com", 1, 1, true, &err);
//   ... send *q, receive `reply` ...
//   auto m = dns::ParseMessage(reply, &err);
//   m->answer[0] == "example.com.\t300\tIN\tA\t192.0.2.1"
#ifndef EXPORTERD_BLACKBOX_DNS_MESSAGE_H_
#define EXPORTERD_BLACKBOX_DNS_MESSAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"

namespace exporterd::blackbox {
class ProbeLog;
}

namespace exporterd::blackbox::dns {

// One reply, as upstream's probe sees it.
struct Message {
  uint16_t id = 0;
  int rcode = 0;  // the header's 4 bits (no EDNS extended rcode)
  bool truncated = false;
  // Each RR in miekg/dns's text form, in wire order. `additional` counts an
  // OPT pseudo-RR as miekg does (libldns takes it out of the section).
  std::vector<std::string> answer, authority, additional;
  // The serial of the last SOA record of the answer section.
  std::optional<uint32_t> soa_serial;
};

// miekg's dns.Fqdn: `name` with a final dot (unless it has an unescaped
// one already).
std::string Fqdn(std::string_view name);

// A query: one question (Fqdn(name), type, class), opcode QUERY, RD as
// given, no EDNS (upstream sends none). nullopt and *error when the name
// cannot be encoded.
std::optional<std::string> BuildQuery(uint16_t id, std::string_view name,
                                      uint16_t type, uint16_t qclass,
                                      bool recursion_desired,
                                      std::string* error);

// A reply in wire format (no TCP length prefix). nullopt and *error when
// libldns refuses it.
std::optional<Message> ParseMessage(std::string_view wire, std::string* error);

// miekg's RcodeToString ("NOERROR", "NXDOMAIN", ...; "" when unknown).
std::string RcodeName(int rcode);

// miekg's names for classes (IN CS CH HS NONE ANY, else CLASS<n>).
std::string ClassName(uint16_t qclass);

// Upstream's validRcode: `rcode` is one of `valid` (names; an unknown name
// fails with *bad_name set). Logs as upstream.
bool ValidRcode(int rcode, const std::vector<std::string>& valid, ProbeLog& log,
                bool* bad_name);

// Upstream's validRRs over the RRs' text forms. A regexp that does not
// compile fails when it is first used, with *bad_regexp set.
bool ValidRrs(const std::vector<std::string>& rrs, const DnsRrValidator& v,
              ProbeLog& log, bool* bad_regexp);

}  // namespace exporterd::blackbox::dns

#endif  // EXPORTERD_BLACKBOX_DNS_MESSAGE_H_
