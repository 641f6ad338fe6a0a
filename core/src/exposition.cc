#include "exposition.h"

#include <prometheus/text_serializer.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

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

std::vector<prometheus::MetricFamily> MergeFamilies(
    const std::vector<const std::vector<prometheus::MetricFamily>*>& sources,
    std::vector<std::string>* problems) {
  std::map<std::string, prometheus::MetricFamily> by_name;
  std::map<std::string, int> source_count;
  for (const auto* src : sources) {
    if (!src) continue;
    for (const auto& fam : *src) {
      auto [it, inserted] = by_name.try_emplace(fam.name, fam);
      if (inserted) {
        source_count[fam.name] = 1;
        continue;
      }
      prometheus::MetricFamily& into = it->second;
      if (into.type != fam.type) {
        problems->push_back("family " + fam.name + " has type " +
                            TypeName(fam.type) + " in one source and " +
                            TypeName(into.type) +
                            " in another; dropped the later one");
        continue;
      }
      if (into.help.empty()) into.help = fam.help;
      ++source_count[fam.name];
      into.metric.insert(into.metric.end(), fam.metric.begin(),
                         fam.metric.end());
    }
  }
  std::vector<prometheus::MetricFamily> out;
  out.reserve(by_name.size());
  for (auto& [name, fam] : by_name) {
    if (source_count[name] > 1) {
      // Only families fed by several sources can hold duplicates made here.
      std::set<std::vector<prometheus::ClientMetric::Label>> seen;
      std::vector<prometheus::ClientMetric> kept;
      for (auto& m : fam.metric) {
        if (seen.insert(SortedLabels(m)).second) {
          kept.push_back(std::move(m));
        } else {
          problems->push_back("duplicate series in family " + name +
                              "; kept the first");
        }
      }
      fam.metric = std::move(kept);
    }
    out.push_back(std::move(fam));
  }
  return out;
}

std::string Serialize(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream ss;
  prometheus::TextSerializer().Serialize(ss, families);
  return std::move(ss).str();
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

}  // namespace exporterd
