// Test helpers: fixture files, the snmpbulkwalk capture format, and the
// text exposition exactly as Go's expfmt (client_golang) writes it.
#ifndef EXPORTERD_SNMP_TESTS_TEST_UTIL_H_
#define EXPORTERD_SNMP_TESTS_TEST_UTIL_H_

#include <prometheus/metric_family.h>

#include <string>
#include <string_view>
#include <vector>

#include "pdu.h"

namespace exporterd::snmp::testing {

std::string ReadTestFile(const std::string& path);
std::string TestPath(const std::string& relative);  // under tests/

// Parses `snmpbulkwalk -m '' -On -Ox` / `snmpget` output (see
// fixtures/SOURCES.md): ".1.3.6 = TYPE: value" lines, Hex-STRING values
// continued on following lines, `""` for an empty OCTET STRING, the
// "No Such Object/Instance" and "No more variables" exceptions. Lines
// starting with '#' are comments. Throws std::runtime_error on anything
// else.
std::vector<Varbind> ParseCapture(std::string_view text);

// Go's strconv.FormatFloat(v, 'g', -1, 64) as expfmt's writeFloat uses it.
std::string GoFloat(double v);

// The text format as client_golang writes it (families in the given order).
std::string GoText(const std::vector<prometheus::MetricFamily>& families);

// Drops the snmp_scrape_* families (timings, not rendered here) from an
// exposition.
std::string WithoutScrapeFamilies(std::string_view exposition);

}  // namespace exporterd::snmp::testing

#endif  // EXPORTERD_SNMP_TESTS_TEST_UTIL_H_
