// Turning metric families into a Prometheus text exposition.
#ifndef EXPORTERD_EXPOSITION_H_
#define EXPORTERD_EXPOSITION_H_

#include <prometheus/metric_family.h>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "exporterd/text_format.h"  // Serialize

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

// True if an Accept-Encoding header value allows gzip (q > 0).
bool AcceptsGzip(std::string_view accept_encoding);
// gzip-compresses `in` (RFC 1952). Returns false on a zlib failure.
bool Gzip(std::string_view in, std::string* out);

// One gzip member made of two separately compressed parts, so that a large
// part shared by many responses is compressed once:
//   GzipHeader() + first.data + last.data + GzipTrailer(first, last)
// `first` is made with last=false, `last` with last=true.
struct DeflatedPart {
  std::string data;   // raw deflate blocks
  uint32_t crc = 0;   // CRC-32 of the input
  uint64_t size = 0;  // input bytes
};
bool DeflateRaw(std::string_view in, bool last, DeflatedPart* out);
std::string GzipHeader();
std::string GzipTrailer(const DeflatedPart& first, const DeflatedPart& last);

}  // namespace exporterd

#endif  // EXPORTERD_EXPOSITION_H_
