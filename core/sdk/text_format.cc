#include "exporterd/text_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace exporterd {

const char* TypeName(prometheus::MetricType t) {
  switch (t) {
    case prometheus::MetricType::Counter:
      return "counter";
    case prometheus::MetricType::Gauge:
      return "gauge";
    case prometheus::MetricType::Summary:
      return "summary";
    case prometheus::MetricType::Histogram:
      return "histogram";
    default:
      return "untyped";
  }
}

namespace {

// Text format 0.0.4 writer. Appends to one string; numbers go through
// std::to_chars (shortest round-trip form), which is several times faster
// than the ostream-based prometheus::TextSerializer on large expositions.
class TextWriter {
 public:
  explicit TextWriter(std::string* out) : out_(out) {}

  void Family(const prometheus::MetricFamily& f) {
    out_->append("# HELP ").append(f.name).push_back(' ');
    for (char c : f.help) {
      if (c == '\\')
        out_->append("\\\\");
      else if (c == '\n')
        out_->append("\\n");
      else
        out_->push_back(c);
    }
    out_->append("\n# TYPE ").append(f.name).push_back(' ');
    out_->append(TypeName(f.type)).push_back('\n');
    for (const auto& m : f.metric) Metric(f, m);
  }

 private:
  void Metric(const prometheus::MetricFamily& f,
              const prometheus::ClientMetric& m) {
    using prometheus::MetricType;
    switch (f.type) {
      case MetricType::Counter:
        Sample(f.name, "", m, nullptr, nullptr, m.counter.value);
        break;
      case MetricType::Gauge:
        Sample(f.name, "", m, nullptr, nullptr, m.gauge.value);
        break;
      case MetricType::Summary:
        for (const auto& q : m.summary.quantile) {
          Number(q.quantile, &scratch_);
          Sample(f.name, "", m, "quantile", &scratch_, q.value);
        }
        Sample(f.name, "_sum", m, nullptr, nullptr, m.summary.sample_sum);
        Sample(f.name, "_count", m, nullptr, nullptr,
               static_cast<double>(m.summary.sample_count));
        break;
      case MetricType::Histogram: {
        bool has_inf = false;
        for (const auto& b : m.histogram.bucket) {
          has_inf = has_inf || std::isinf(b.upper_bound);
          Number(b.upper_bound, &scratch_);
          Sample(f.name, "_bucket", m, "le", &scratch_,
                 static_cast<double>(b.cumulative_count));
        }
        if (!has_inf) {
          scratch_ = "+Inf";
          Sample(f.name, "_bucket", m, "le", &scratch_,
                 static_cast<double>(m.histogram.sample_count));
        }
        Sample(f.name, "_sum", m, nullptr, nullptr, m.histogram.sample_sum);
        Sample(f.name, "_count", m, nullptr, nullptr,
               static_cast<double>(m.histogram.sample_count));
        break;
      }
      default:
        Sample(f.name, "", m, nullptr, nullptr, m.untyped.value);
    }
  }

  void Sample(const std::string& name, const char* suffix,
              const prometheus::ClientMetric& m, const char* extra_label,
              const std::string* extra_value, double value) {
    out_->append(name).append(suffix);
    if (!m.label.empty() || extra_label) {
      out_->push_back('{');
      bool first = true;
      for (const auto& l : m.label) {
        if (!first) out_->push_back(',');
        first = false;
        Label(l.name, l.value);
      }
      if (extra_label) {
        if (!first) out_->push_back(',');
        Label(extra_label, *extra_value);
      }
      out_->push_back('}');
    }
    out_->push_back(' ');
    Number(value, out_, /*append=*/true);
    if (m.timestamp_ms != 0) {
      out_->push_back(' ');
      out_->append(std::to_string(m.timestamp_ms));
    }
    out_->push_back('\n');
  }

  void Label(std::string_view name, std::string_view value) {
    out_->append(name).append("=\"");
    for (char c : value) {
      switch (c) {
        case '\\':
          out_->append("\\\\");
          break;
        case '"':
          out_->append("\\\"");
          break;
        case '\n':
          out_->append("\\n");
          break;
        default:
          out_->push_back(c);
      }
    }
    out_->push_back('"');
  }

  static void Number(double v, std::string* out, bool append = false) {
    if (!append) out->clear();
    if (std::isnan(v)) {
      out->append("NaN");
    } else if (std::isinf(v)) {
      out->append(v > 0 ? "+Inf" : "-Inf");
    } else {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, v);
      out->append(buf, r.ptr);
    }
  }

  std::string* out_;
  std::string scratch_;
};

}  // namespace

std::string Serialize(
    const std::vector<const prometheus::MetricFamily*>& families) {
  size_t samples = 0;
  for (const auto* f : families) samples += f->metric.size();
  std::string out;
  out.reserve(samples * 64 + families.size() * 128);
  TextWriter w(&out);
  for (const auto* f : families) w.Family(*f);
  return out;
}

std::string Serialize(const std::vector<prometheus::MetricFamily>& families) {
  std::vector<const prometheus::MetricFamily*> ptrs;
  ptrs.reserve(families.size());
  for (const auto& f : families) ptrs.push_back(&f);
  return Serialize(ptrs);
}

}  // namespace exporterd
