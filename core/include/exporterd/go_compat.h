// Go behaviour that modules reimplementing Go exporters (snmp_exporter,
// blackbox_exporter) need byte for byte.
#ifndef EXPORTERD_GO_COMPAT_H_
#define EXPORTERD_GO_COMPAT_H_

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

}  // namespace exporterd

#endif  // EXPORTERD_GO_COMPAT_H_
