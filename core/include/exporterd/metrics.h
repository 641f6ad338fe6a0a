// The one way to build metric families, for modules and the core alike.
//
//   Family up = Family::Gauge("raid_up", "1 if the tool answered.");
//   up.Add({{"tool", "storcli"}}, 1);
//   Family::Info("raid_controller_info", "Controller facts.")
//       .Add({{"model", m}, {"serial", s}})        // value 1
//       .MoveTo(&out);
//
// A Family is a prometheus::MetricFamily under construction: samples are
// appended in order, labels kept in the order given (the exposition prints
// them so). MoveTo() hands it over; nothing is copied.
#ifndef EXPORTERD_METRICS_H_
#define EXPORTERD_METRICS_H_

#include <prometheus/metric_family.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace exporterd {

using Labels = std::vector<prometheus::ClientMetric::Label>;

class Family {
 public:
  static Family Gauge(std::string name, std::string help) {
    return Family(std::move(name), std::move(help),
                  prometheus::MetricType::Gauge);
  }
  static Family Counter(std::string name, std::string help) {
    return Family(std::move(name), std::move(help),
                  prometheus::MetricType::Counter);
  }
  // A gauge of string facts: Add(labels) gives value 1.
  static Family Info(std::string name, std::string help) {
    return Family(std::move(name), std::move(help),
                  prometheus::MetricType::Gauge);
  }
  static Family Untyped(std::string name, std::string help) {
    return Family(std::move(name), std::move(help),
                  prometheus::MetricType::Untyped);
  }
  static Family Histogram(std::string name, std::string help) {
    return Family(std::move(name), std::move(help),
                  prometheus::MetricType::Histogram);
  }

  // One sample. Value 1 by default (info series).
  Family& Add(Labels labels, double value = 1) {
    prometheus::ClientMetric m;
    m.label = std::move(labels);
    switch (f_.type) {
      case prometheus::MetricType::Counter:
        m.counter.value = value;
        break;
      case prometheus::MetricType::Untyped:
        m.untyped.value = value;
        break;
      default:
        m.gauge.value = value;
        break;
    }
    f_.metric.push_back(std::move(m));
    return *this;
  }
  // One histogram: `buckets` are (upper bound, cumulative count) in rising
  // order, +Inf excluded (the exposition adds it from `count`).
  Family& AddHistogram(Labels labels,
                       const std::vector<std::pair<double, uint64_t>>& buckets,
                       double sum, uint64_t count) {
    prometheus::ClientMetric m;
    m.label = std::move(labels);
    m.histogram.sample_count = count;
    m.histogram.sample_sum = sum;
    for (const auto& [le, n] : buckets) m.histogram.bucket.push_back({n, le});
    f_.metric.push_back(std::move(m));
    return *this;
  }

  bool empty() const { return f_.metric.empty(); }
  size_t size() const { return f_.metric.size(); }
  const prometheus::MetricFamily& family() const { return f_; }

  // Appends the family to `out`, also when it has no samples (it then
  // prints as HELP and TYPE only).
  void MoveTo(std::vector<prometheus::MetricFamily>* out) {
    out->push_back(std::move(f_));
  }
  prometheus::MetricFamily Take() { return std::move(f_); }

 private:
  Family(std::string name, std::string help, prometheus::MetricType type) {
    f_.name = std::move(name);
    f_.help = std::move(help);
    f_.type = type;
  }
  prometheus::MetricFamily f_;
};

// A family with one unlabelled sample, appended to `out`.
inline void AddScalar(
    std::vector<prometheus::MetricFamily>* out, std::string name,
    std::string help, double value,
    prometheus::MetricType type = prometheus::MetricType::Gauge) {
  Family f = type == prometheus::MetricType::Counter
                 ? Family::Counter(std::move(name), std::move(help))
                 : Family::Gauge(std::move(name), std::move(help));
  f.Add({}, value).MoveTo(out);
}

}  // namespace exporterd

#endif  // EXPORTERD_METRICS_H_
