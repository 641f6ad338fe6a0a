// Values as they come off the wire: what the client (snmp_client.*) hands the
// renderer (render.*). No net-snmp types here, so the pure code and its fuzz
// and unit tests never include net-snmp's headers.
#ifndef EXPORTERD_SNMP_PDU_H_
#define EXPORTERD_SNMP_PDU_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exporterd::snmp {

using Oid = std::vector<uint32_t>;

// BER tags as net-snmp reports them (ASN_* in asn1.h / snmp.h).
enum class PduType : uint8_t {
  kInteger = 0x02,
  kOctetString = 0x04,
  kNull = 0x05,
  kObjectId = 0x06,
  kIpAddress = 0x40,
  kCounter32 = 0x41,
  kGauge32 = 0x42,
  kTimeTicks = 0x43,
  kOpaque = 0x44,
  kCounter64 = 0x46,
  kOpaqueFloat = 0x78,   // net-snmp's decoded Opaque float
  kOpaqueDouble = 0x79,  // net-snmp's decoded Opaque double
  kNoSuchObject = 0x80,
  kNoSuchInstance = 0x81,
  kEndOfMibView = 0x82,
};

struct Varbind {
  Oid oid;
  PduType type = PduType::kNull;
  int64_t int_value = 0;    // kInteger
  uint64_t uint_value = 0;  // kCounter32, kGauge32, kTimeTicks, kCounter64
  double float_value = 0;   // kOpaqueFloat, kOpaqueDouble
  std::string bytes;        // kOctetString, kIpAddress (4 bytes), kOpaque
  Oid oid_value;            // kObjectId
};

// "1.3.6.1" or ".1.3.6.1" -> Oid; nullopt when malformed. Sub-identifiers
// are 32-bit; at least one is required; at most 128 (SNMP's limit).
std::optional<Oid> ParseOid(std::string_view text);
// "1.3.6.1" (as snmp.yml writes OIDs).
std::string OidToString(const Oid& oid);
// ".1.3.6.1" (leading dot, as `snmpwalk -On` prints it).
std::string DottedOid(const Oid& oid);

}  // namespace exporterd::snmp

#endif  // EXPORTERD_SNMP_PDU_H_
