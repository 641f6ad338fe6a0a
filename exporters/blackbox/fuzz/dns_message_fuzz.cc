// libFuzzer: a DNS server's reply, whatever its bytes, into ParseMessage
// (libldns' wire parser, then our miekg-style text of every record); the
// same bytes as a query name into Fqdn and BuildQuery. Never crashes, never
// leaks. Seeds: real replies (tests/fixtures/dns/*.bin).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dns_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view wire(reinterpret_cast<const char*>(data), size);
  std::string error;
  if (auto m = exporterd::blackbox::dns::ParseMessage(wire, &error)) {
    (void)exporterd::blackbox::dns::RcodeName(m->rcode);
  }
  if (size <= 1024) {
    const uint16_t type =
        size >= 2 ? static_cast<uint16_t>(data[0] << 8 | data[1]) : 1;
    (void)exporterd::blackbox::dns::BuildQuery(0x1234, wire, type, type ^ 1,
                                               size % 2, &error);
    (void)exporterd::blackbox::dns::ClassName(type);
  }
  return 0;
}
