// The text exposition format (version 0.0.4), as the daemon serves it and
// as modules print it in their debug pages.
#ifndef EXPORTERD_TEXT_FORMAT_H_
#define EXPORTERD_TEXT_FORMAT_H_

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace exporterd {

std::string Serialize(
    const std::vector<const prometheus::MetricFamily*>& families);
std::string Serialize(const std::vector<prometheus::MetricFamily>& families);

// "counter", "gauge", "summary", "histogram", "untyped".
const char* TypeName(prometheus::MetricType t);

}  // namespace exporterd

#endif  // EXPORTERD_TEXT_FORMAT_H_
