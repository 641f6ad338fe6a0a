// Go behaviour that modules reimplementing Go exporters (snmp_exporter,
// blackbox_exporter) need byte for byte.
#ifndef EXPORTERD_GO_COMPAT_H_
#define EXPORTERD_GO_COMPAT_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exporterd {

// Go's regexp.Expand: `tmpl` with $1, ${1}, $name, ${name} replaced by the
// submatches and $$ by $. `groups[i]` is submatch i (nullopt: it did not
// take part); `names` maps group names to their index. A reference to a
// missing group expands to nothing; a `$` not followed by a valid
// reference stays as it is.
std::string GoExpand(std::string_view tmpl,
                     const std::vector<std::optional<std::string_view>>& groups,
                     const std::map<std::string, int>& names);

// Go's time.ParseDuration: "1.5s", "300ms", "1h2m", "-2s", "0"; units ns,
// us (µs, μs), ms, s, m, h, repeats allowed ("1s1s"). nullopt where Go
// errs: bad syntax, or outside int64 nanoseconds (-2^63 ns is taken).
std::optional<std::chrono::nanoseconds> GoParseDuration(std::string_view s);

// Go's base64.StdEncoding.DecodeString: the standard alphabet, padded to
// 4-byte groups, '\r' and '\n' skipped, trailing bits not checked. False
// where Go errs. Decodes straight into *out (no other copy of the bytes:
// callers may cleanse it).
bool GoBase64Decode(std::string_view in, std::string* out);

// A plain (unquoted, untagged) YAML scalar as go-yaml, v2 and v3 alike,
// decodes it into a Go int64: '_' dropped, then strconv.ParseInt(s, 0, 64)
// (a sign; decimal, 0x, 0o, 0b or 0-prefixed octal), else a YAML-style
// float ("1e3", ".5") inside int64's range, truncated. nullopt otherwise.
// A quoted scalar is a string to go-yaml: the caller refuses it.
std::optional<int64_t> GoYamlInt(std::string_view plain);

}  // namespace exporterd

#endif  // EXPORTERD_GO_COMPAT_H_
