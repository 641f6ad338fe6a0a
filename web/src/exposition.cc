#include "exposition.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

namespace exporterd {

namespace {
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
