// Turning metric families into a Prometheus text exposition.
#ifndef EXPORTERD_EXPOSITION_H_
#define EXPORTERD_EXPOSITION_H_

#include <prometheus/metric_family.h>

#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace exporterd {

inline constexpr char kExpositionContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

// Families merged by name, sorted by name. A name fed by one source points at
// that source's family (no copy); a name fed by several is merged into
// `owned`. Valid while the sources live.
struct MergedFamilies {
  std::vector<const prometheus::MetricFamily*> families;
  std::deque<prometheus::MetricFamily> owned;
};

// Merges families from several sources by name. Families of one name must
// agree on type: a later one that does not is dropped. A series (same label
// set) seen twice keeps its first value. Every dropped item is described in
// *problems.
MergedFamilies MergeFamilies(
    const std::vector<const std::vector<prometheus::MetricFamily>*>& sources,
    std::vector<std::string>* problems);

// The text format (version 0.0.4).
std::string Serialize(
    const std::vector<const prometheus::MetricFamily*>& families);
std::string Serialize(const std::vector<prometheus::MetricFamily>& families);

// True if an Accept-Encoding header value allows gzip (q > 0).
bool AcceptsGzip(std::string_view accept_encoding);
// gzip-compresses `in` (RFC 1952). Returns false on a zlib failure.
bool Gzip(std::string_view in, std::string* out);

}  // namespace exporterd

#endif  // EXPORTERD_EXPOSITION_H_
