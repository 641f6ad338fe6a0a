// libFuzzer: what an ICMP, ping or UDP/TCP socket may receive, into the
// icmp prober's and traceroute's parsers. Input:
//   [flags] bit 0: IPv6; bit 1: the packet starts with an IPv4 header (a
//           raw IPv4 socket's read); bit 2: an error-queue entry
//   packet (flags without bit 2): the rest, into ParseIcmp
//   error-queue entry: [n] control messages, each [level: 0 = IP, else
//           IPv6][type][len][len bytes]; then the payload, into
//           ParseErrorQueue and HopLimitFrom
// Never crashes. Seeds: fuzz/seeds/icmp/, made from the real captures in
// tests/fixtures/icmp/ (make_icmp_seeds.py).
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "icmp_socket.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace icmp = exporterd::blackbox::icmp;
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  const bool v6 = flags & 1;
  std::span<const uint8_t> rest(data + 1, size - 1);
  if (!(flags & 4)) {
    (void)icmp::ParseIcmp(v6, rest, (flags & 2) != 0);
    return 0;
  }
  std::vector<icmp::ControlMessage> cmsgs;
  size_t n = rest.empty() ? 0 : rest[0] % 5;
  size_t i = rest.empty() ? 0 : 1;
  for (size_t k = 0; k < n && i + 3 <= rest.size(); ++k) {
    icmp::ControlMessage m;
    m.level = rest[i] == 0 ? IPPROTO_IP : IPPROTO_IPV6;
    m.type = rest[i + 1];
    const size_t len = rest[i + 2];
    i += 3;
    const size_t take = len < rest.size() - i ? len : rest.size() - i;
    m.data.assign(rest.begin() + i, rest.begin() + i + take);
    i += take;
    cmsgs.push_back(std::move(m));
  }
  (void)icmp::HopLimitFrom(v6, cmsgs);
  (void)icmp::ParseErrorQueue(v6, cmsgs, rest.subspan(i));
  return 0;
}
