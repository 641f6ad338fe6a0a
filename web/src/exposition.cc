#include "exposition.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

namespace exporterd {

namespace {
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

std::vector<prometheus::ClientMetric::Label> SortedLabels(
    const prometheus::ClientMetric& m) {
  auto l = m.label;
  std::sort(l.begin(), l.end());
  return l;
}
}  // namespace

MergedFamilies MergeFamilies(
    const std::vector<const std::vector<prometheus::MetricFamily>*>& sources,
    std::vector<std::string>* problems) {
  // Name -> the families feeding it, in source order.
  std::map<std::string_view, std::vector<const prometheus::MetricFamily*>>
      by_name;
  for (const auto* src : sources) {
    if (!src) continue;
    for (const auto& fam : *src) {
      auto& feeds = by_name[fam.name];
      if (!feeds.empty() && feeds.front()->type != fam.type) {
        problems->push_back("family " + fam.name + " has type " +
                            TypeName(fam.type) + " in one source and " +
                            TypeName(feeds.front()->type) +
                            " in another; dropped the later one");
        continue;
      }
      feeds.push_back(&fam);
    }
  }
  MergedFamilies out;
  out.families.reserve(by_name.size());
  for (const auto& [name, feeds] : by_name) {
    if (feeds.size() == 1) {
      out.families.push_back(feeds.front());
      continue;
    }
    prometheus::MetricFamily& into = out.owned.emplace_back();
    into.name = feeds.front()->name;
    into.type = feeds.front()->type;
    std::set<std::vector<prometheus::ClientMetric::Label>> seen;
    for (const auto* fam : feeds) {
      if (into.help.empty()) into.help = fam->help;
      for (const auto& m : fam->metric) {
        if (seen.insert(SortedLabels(m)).second) {
          into.metric.push_back(m);
        } else {
          problems->push_back("duplicate series in family " + into.name +
                              "; kept the first");
        }
      }
    }
    out.families.push_back(&into);
  }
  return out;
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

bool AcceptsGzip(std::string_view accept_encoding) {
  // Comma-separated codings with optional ";q=".
  size_t pos = 0;
  while (pos <= accept_encoding.size()) {
    size_t end = accept_encoding.find(',', pos);
    if (end == std::string_view::npos) end = accept_encoding.size();
    std::string item(accept_encoding.substr(pos, end - pos));
    pos = end + 1;
    std::string coding, params;
    size_t semi = item.find(';');
    coding = item.substr(0, semi);
    if (semi != std::string::npos) params = item.substr(semi + 1);
    auto trim = [](std::string& s) {
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.pop_back();
      size_t i = 0;
      while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
        ++i;
      s.erase(0, i);
      for (auto& c : s) c = static_cast<char>(std::tolower(c));
    };
    trim(coding);
    trim(params);
    if (coding != "gzip" && coding != "x-gzip" && coding != "*") continue;
    if (params.rfind("q=", 0) == 0) {
      try {
        if (std::stod(params.substr(2)) <= 0) continue;
      } catch (...) {
        continue;
      }
    }
    return true;
  }
  return false;
}

bool Gzip(std::string_view in, std::string* out) {
  z_stream zs{};
  // 15 window bits + 16: gzip wrapper. Level 1: scrapes favour speed, and
  // exposition text compresses well even so.
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return false;
  out->resize(deflateBound(&zs, in.size()));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out->data());
  zs.avail_out = static_cast<uInt>(out->size());
  int rc = deflate(&zs, Z_FINISH);
  out->resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END;
}

bool DeflateRaw(std::string_view in, bool last, DeflatedPart* out) {
  z_stream zs{};
  // -15: raw deflate, no wrapper; the parts are framed by GzipFrame().
  if (deflateInit2(&zs, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return false;
  // A full flush ends byte-aligned with no back references out of the
  // part, so another part's blocks may follow it.
  out->data.resize(deflateBound(&zs, in.size()) + 16);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out->data.data());
  zs.avail_out = static_cast<uInt>(out->data.size());
  int rc = deflate(&zs, last ? Z_FINISH : Z_FULL_FLUSH);
  bool ok = last ? rc == Z_STREAM_END : rc == Z_OK && zs.avail_in == 0;
  out->data.resize(zs.total_out);
  out->data.shrink_to_fit();  // kept for as long as the collection serves
  deflateEnd(&zs);
  out->crc =
      static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(in.data()),
                                  static_cast<uInt>(in.size())));
  out->size = in.size();
  return ok;
}

std::string GzipHeader() {
  // Magic, deflate, no flags, no mtime, no extra flags, OS unknown.
  return std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
}

std::string GzipTrailer(const DeflatedPart& first, const DeflatedPart& last) {
  uint32_t crc = static_cast<uint32_t>(
      crc32_combine(first.crc, last.crc, static_cast<z_off_t>(last.size)));
  uint32_t size = static_cast<uint32_t>(first.size + last.size);
  std::string t(8, '\0');
  for (int i = 0; i < 4; ++i) {
    t[static_cast<size_t>(i)] = static_cast<char>(crc >> (8 * i) & 0xff);
    t[static_cast<size_t>(4 + i)] = static_cast<char>(size >> (8 * i) & 0xff);
  }
  return t;
}

}  // namespace exporterd
