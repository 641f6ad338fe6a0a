// libFuzzer: varbinds -> metric families for a fixed module that uses every
// index, lookup and value type. The input is a list of varbinds:
//   [oid_len][oid sub-ids, 1 byte each][type][value_len][value bytes]
// (integers are read from the value bytes). Never crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "render.h"
#include "snmp_config.h"

namespace {

const char kModule[] = R"(modules:
  m:
    metrics:
    - name: a
      oid: 1.1
      type: DisplayString
      indexes:
      - {labelname: i, type: InetAddress}
      - {labelname: s, type: DisplayString}
      - {labelname: o, type: OctetString, implied: true}
      lookups:
      - {labels: [i, s], labelname: l, oid: 1.9, type: EnumAsInfo, enum_values: {1: x}}
      - {labels: [l], labelname: l2, oid: 1.8, type: InetAddress}
      regex_extracts:
        X: [{regex: '(\d+).*', value: '$1'}]
    - {name: b, oid: 1.2, type: Bits, enum_values: {0: z, 9: n}, indexes: [{labelname: p, type: PhysAddress48}]}
    - {name: c, oid: 1.3, type: EnumAsStateSet, enum_values: {1: up, 2: down}, indexes: [{labelname: e, type: EnumAsInfo}]}
    - {name: d, oid: 1.4, type: DateAndTime}
    - {name: e, oid: 1.5, type: ParseDateAndTime, datetime_pattern: '%c %z'}
    - {name: f, oid: 1.6, type: NTPTimeStamp, scale: 2, offset: 1}
    - {name: g, oid: 1.7.2, type: LldpPortId, indexes: [{labelname: q, type: InetAddressMissingSize}], display_hint: '*1x:/'}
    - {name: h, oid: 1.10, type: OctetString, display_hint: '1d.2o-3x*'}
    - {name: k, oid: 1.11, type: counter, indexes: [{labelname: v6, type: InetAddressIPv6}]}
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static exporterd::snmp::Config config = [] {
    exporterd::snmp::Config c;
    exporterd::ConfigErrors e;
    exporterd::snmp::ParseConfigText(kModule, "m.yml", &c, &e);
    if (!e.empty()) __builtin_trap();
    return c;
  }();
  using exporterd::snmp::PduType;
  static const PduType kTypes[] = {
      PduType::kInteger,     PduType::kOctetString, PduType::kNull,
      PduType::kObjectId,    PduType::kIpAddress,   PduType::kCounter32,
      PduType::kGauge32,     PduType::kTimeTicks,   PduType::kOpaque,
      PduType::kCounter64,   PduType::kOpaqueFloat, PduType::kOpaqueDouble,
      PduType::kNoSuchObject};
  std::vector<exporterd::snmp::Varbind> vbs;
  size_t i = 0;
  while (i < size) {
    exporterd::snmp::Varbind vb;
    size_t n = data[i++] % 24;
    for (size_t k = 0; k < n && i < size; ++k) vb.oid.push_back(data[i++]);
    if (i >= size) break;
    vb.type = kTypes[data[i++] % std::size(kTypes)];
    if (i >= size) break;
    size_t len = data[i++];
    len = std::min(len, size - i);
    vb.bytes.assign(reinterpret_cast<const char*>(data + i), len);
    uint64_t u = 0;
    for (size_t k = 0; k < len && k < 8; ++k) u = (u << 8) | data[i + k];
    vb.uint_value = u;
    vb.int_value = static_cast<int64_t>(u);
    double d;
    __builtin_memcpy(&d, &u, sizeof d);
    vb.float_value = d;
    for (size_t k = 0; k < len; ++k) vb.oid_value.push_back(data[i + k]);
    i += len;
    vbs.push_back(std::move(vb));
  }
  exporterd::snmp::VarbindTable table(std::move(vbs));
  for (auto compat :
       {exporterd::snmp::Compat::kV0_21, exporterd::snmp::Compat::kV0_30}) {
    exporterd::snmp::RenderOptions o;
    o.compat = compat;
    exporterd::snmp::Render(config.modules.at("m"), table, nullptr, o);
  }
  return 0;
}
