// (module config, varbinds) -> metric families, as snmp_exporter renders
// them (collector.go: pduToSamples, indexesToLabels, pduValueAsString,
// indexOidsAsString), plus the checks client_golang's registry makes when it
// gathers them (names, label names, UTF-8, one help and type per family,
// no series twice). A check that fails there fails the whole scrape upstream
// (HTTP 500); here it is an entry in RenderResult::errors and the caller
// decides.
//
// Output order is what the Go text format prints: families by name, series
// by their label values with labels sorted by name.
#ifndef EXPORTERD_SNMP_RENDER_H_
#define EXPORTERD_SNMP_RENDER_H_

#include <prometheus/metric_family.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pdu.h"
#include "snmp_config.h"

namespace exporterd::snmp {

// Where snmp_exporter 0.21 (Debian 12) and 0.30 render the same config
// differently, which one to follow.
enum class Compat : uint8_t {
  // - a label value that is not UTF-8 fails the scrape;
  // - a TimeTicks value rendered as text is "%!s(uint32=N)";
  // - EnumAsInfo whose name is already a label fails the scrape;
  // - lookups of InetAddress/InetAddressMissingSize/LldpPortId decode the
  //   value with that type directly (no look at the preceding column);
  // - lookups never map through enum_values.
  kV0_21,
  // Invalid UTF-8 becomes U+FFFD, TimeTicks text is the number, such an
  // EnumAsInfo is skipped, combined-type lookups read the preceding column,
  // EnumAsInfo lookups map through enum_values, Bits as text is OctetString.
  kV0_30,
};

struct RenderOptions {
  Compat compat = Compat::kV0_21;
  // --snmp.wrap-large-counters (default on): Counter64 modulo 2^53.
  bool wrap_counters = true;
};

// The varbinds of one scrape, sorted by OID. Exceptions (noSuchObject,
// noSuchInstance, endOfMibView) are dropped, as upstream skips them; of two
// varbinds with one OID the later wins (upstream keeps a map by OID).
class VarbindTable {
 public:
  VarbindTable() = default;
  explicit VarbindTable(std::vector<Varbind> varbinds);

  const Varbind* Find(const Oid& oid) const;
  // [first, last) indexes of the varbinds at or under `prefix`.
  std::pair<size_t, size_t> Subtree(const Oid& prefix) const;
  const std::vector<Varbind>& varbinds() const { return varbinds_; }

 private:
  std::vector<Varbind> varbinds_;
};

// What one module fetched (plan.h builds it): the subtrees it walked and the
// OIDs it got. When several modules share one fetch, a module must see only
// its own, as upstream fetches each module separately. Null scope: all.
struct Scope {
  std::vector<Oid> subtrees;  // sorted, none inside another
  std::vector<Oid> exact;     // sorted, unique
  bool Contains(const Oid& oid) const;
  static Scope Make(std::vector<Oid> subtrees, std::vector<Oid> exact);
};

struct RenderResult {
  std::vector<prometheus::MetricFamily> families;
  // Non-empty: upstream would have failed the scrape with these.
  std::vector<std::string> errors;
};

// One module.
RenderResult Render(const Module& module, const VarbindTable& table,
                    const Scope* scope, const RenderOptions& options);

struct ModuleInput {
  const Module* module;
  const Scope* scope;  // may be null
};

// Several modules in one response, merged like one Go registry: a series
// produced by two modules is an error, as upstream.
RenderResult RenderModules(const std::vector<ModuleInput>& modules,
                           const VarbindTable& table,
                           const RenderOptions& options);

// Building blocks, exposed for tests.

// indexOidsAsString: renders the leading sub-ids of `index` as `type`.
// Returns the label text; *used gets the sub-ids consumed (padded with
// zeros when the OID is short, as upstream), *rest what is left.
std::string IndexToString(const std::vector<int64_t>& index, MetricType type,
                          int fixed_size, bool implied,
                          const EnumValues* enum_values,
                          std::vector<int64_t>* used,
                          std::vector<int64_t>* rest);

// pduValueAsString. `type` nullopt is upstream's "".
std::string ValueToString(const Varbind& vb, std::optional<MetricType> type,
                          std::string_view display_hint,
                          const RenderOptions& options);

// getPduValue.
double ValueToDouble(const Varbind& vb, bool wrap_counters);

// RFC 2579 DISPLAY-HINT for OCTET STRINGs (0.30's applyDisplayHint).
bool ApplyDisplayHint(std::string_view hint, std::string_view data,
                      std::string* out);

// Go's strings.ToValidUTF8(s, "\uFFFD"): each run of invalid bytes becomes
// one U+FFFD.
std::string ToValidUtf8(std::string_view s);
bool IsValidUtf8(std::string_view s);

// RFC 2579 DateAndTime (8 or 11 bytes) -> Unix seconds.
bool ParseDateAndTime(std::string_view bytes, double* unix_seconds);
// itchyny/timefmt-go Parse (strftime-style pattern), UTC unless %z.
bool ParseTimeWithPattern(std::string_view text, std::string_view pattern,
                          double* unix_seconds);
// RFC 1305 NTP timestamp (>= 8 bytes) -> Unix seconds.
bool ParseNtpTimestamp(std::string_view bytes, double* unix_seconds);

// Go's regexp ExpandString for `template` with the submatches of `re`.
std::string ExpandTemplate(const re2::RE2& re, std::string_view template_text,
                           std::string_view text);

// Go's strconv.ParseFloat(s, 64) acceptance (no surrounding space, Inf/NaN
// words, hex floats; out of range is an error).
bool ParseGoFloat(std::string_view s, double* out);

}  // namespace exporterd::snmp

#endif  // EXPORTERD_SNMP_RENDER_H_
