#include "render.h"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>

#include "exporterd/go_compat.h"

namespace exporterd::snmp {

namespace {

// Sub-ids an index may claim beyond what the OID has (upstream pads with
// zeros; a bogus length sub-id of 4e9 would make it allocate 32 GB).
constexpr size_t kMaxPad = 4096;

int CompareOid(const uint32_t* a, size_t na, const uint32_t* b, size_t nb) {
  size_t n = std::min(na, nb);
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  if (na == nb) return 0;
  return na < nb ? -1 : 1;
}

bool OidLess(const Oid& a, const Oid& b) {
  return CompareOid(a.data(), a.size(), b.data(), b.size()) < 0;
}

bool HasPrefix(const Oid& oid, const Oid& prefix) {
  return oid.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), oid.begin());
}

bool IsException(PduType t) {
  return t == PduType::kNoSuchObject || t == PduType::kNoSuchInstance ||
         t == PduType::kEndOfMibView;
}

bool IsBytes(PduType t) {
  return t == PduType::kOctetString || t == PduType::kOpaque;
}

bool IsCombined(MetricType t) {
  return t == MetricType::kInetAddress ||
         t == MetricType::kInetAddressMissingSize ||
         t == MetricType::kLldpPortId;
}

// combinedTypeMapping.
std::optional<MetricType> CombinedSubtype(MetricType t, int64_t v) {
  if (t == MetricType::kInetAddress ||
      t == MetricType::kInetAddressMissingSize) {
    if (v == 1) return MetricType::kInetAddressIPv4;
    if (v == 2) return MetricType::kInetAddressIPv6;
    return std::nullopt;
  }
  if (t == MetricType::kLldpPortId) {
    if (v == 1 || v == 2 || v == 5 || v == 7) return MetricType::kDisplayString;
    if (v == 3) return MetricType::kPhysAddress48;
  }
  return std::nullopt;
}

// Go's int(float64) for values in range; saturates outside.
int64_t ToInt(double v) {
  if (std::isnan(v)) return INT64_MIN;
  if (v >= 9.2233720368547758e18 || v < -9.2233720368547758e18)
    return INT64_MIN;
  return static_cast<int64_t>(v);
}

// gosnmp.ToBigInt(value).Int64().
int64_t BigIntValue(const Varbind& vb) {
  switch (vb.type) {
    case PduType::kInteger:
      return vb.int_value;
    case PduType::kCounter32:
    case PduType::kGauge32:
    case PduType::kTimeTicks:
    case PduType::kCounter64:
      return static_cast<int64_t>(vb.uint_value);
    default:
      return 0;  // bytes, strings, nil
  }
}

const char kHex[] = "0123456789ABCDEF";

void AppendHexByte(std::string* s, unsigned v) {
  s->push_back(kHex[(v >> 4) & 0xF]);
  s->push_back(kHex[v & 0xF]);
}

// fmt's %02X of an int.
void AppendHex02(std::string* s, int64_t v) {
  char buf[24];
  bool neg = v < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  int n = 0;
  do {
    buf[n++] = kHex[u & 0xF];
    u >>= 4;
  } while (u);
  if (neg) s->push_back('-');
  if (n < 2) s->push_back('0');
  while (n) s->push_back(buf[--n]);
}

std::string FormatFloatF(double v, bool as_float32) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  std::to_chars_result r =
      as_float32
          ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v),
                          std::chars_format::fixed)
          : std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

// splitOid: the first `count` sub-ids (zero-padded) and the rest.
size_t Split(const std::vector<int64_t>& in, size_t from, size_t count,
             std::vector<int64_t>* head) {
  count = std::min(count, (in.size() - from) + kMaxPad);
  head->clear();
  head->reserve(count);
  size_t avail = in.size() - from;
  for (size_t i = 0; i < count; ++i)
    head->push_back(i < avail ? in[from + i] : 0);
  return from + std::min(count, avail);
}

// indexOidsAsString over in[from..]; returns the position after what it
// used.
size_t IndexString(const std::vector<int64_t>& in, size_t from, MetricType type,
                   int64_t fixed_size, bool implied, const EnumValues* enums,
                   std::string* out, std::vector<int64_t>* used) {
  out->clear();
  if (IsCombined(type)) {
    std::vector<int64_t> sub;
    size_t n = type == MetricType::kInetAddressMissingSize ? 1 : 2;
    size_t value_from = Split(in, from, n, &sub);
    if (auto t = CombinedSubtype(type, sub[0])) {
      std::vector<int64_t> inner;
      size_t end =
          IndexString(in, value_from, *t, 0, false, enums, out, &inner);
      *used = std::move(sub);
      used->insert(used->end(), inner.begin(), inner.end());
      return end;
    }
    if (type == MetricType::kInetAddressMissingSize)
      return IndexString(in, from, MetricType::kOctetString, 0, true, enums,
                         out, used);
    return IndexString(in, from, MetricType::kOctetString, sub[1] + 2, false,
                       enums, out, used);
  }
  switch (type) {
    case MetricType::kInteger32:
    case MetricType::kInteger:
    case MetricType::kGauge:
    case MetricType::kCounter: {
      size_t end = Split(in, from, 1, used);
      *out = std::to_string((*used)[0]);
      return end;
    }
    case MetricType::kPhysAddress48: {
      size_t end = Split(in, from, 6, used);
      for (size_t i = 0; i < 6; ++i) {
        if (i) out->push_back(':');
        AppendHex02(out, (*used)[i]);
      }
      return end;
    }
    case MetricType::kEnumAsInfo: {
      size_t end = Split(in, from, 1, used);
      int64_t v = (*used)[0];
      if (enums) {
        if (auto it = enums->find(v); it != enums->end()) {
          *out = it->second;
          return end;
        }
      }
      *out = std::to_string(v);
      return end;
    }
    case MetricType::kInetAddressIPv4: {
      size_t end = Split(in, from, 4, used);
      for (size_t i = 0; i < 4; ++i) {
        if (i) out->push_back('.');
        *out += std::to_string((*used)[i]);
      }
      return end;
    }
    case MetricType::kInetAddressIPv6: {
      size_t end = Split(in, from, 16, used);
      for (size_t i = 0; i < 16; ++i) {
        if (i && i % 2 == 0) out->push_back(':');
        AppendHex02(out, (*used)[i]);
      }
      return end;
    }
    default:
      break;
  }
  // OctetString and DisplayString (and, as a fallback where upstream would
  // panic, every other type).
  const bool display = type == MetricType::kDisplayString;
  used->clear();
  int64_t length = fixed_size;
  size_t pos = from;
  if (implied) length = static_cast<int64_t>(in.size() - from);
  if (length == 0) {
    std::vector<int64_t> len;
    pos = Split(in, from, 1, &len);
    length = len[0];
    used->push_back(len[0]);
  }
  if (length < 0) length = 0;
  std::vector<int64_t> content;
  size_t end = Split(in, pos, static_cast<size_t>(length), &content);
  used->insert(used->end(), content.begin(), content.end());
  if (display) {
    out->reserve(content.size());
    for (int64_t o : content) out->push_back(static_cast<char>(o & 0xFF));
  } else if (!content.empty()) {
    out->reserve(2 + 2 * content.size());
    *out = "0x";
    for (int64_t o : content) AppendHexByte(out, static_cast<unsigned>(o));
  }
  return end;
}

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string* FindLabel(Labels* l, std::string_view name) {
  for (auto& [n, v] : *l)
    if (n == name) return &v;
  return nullptr;
}

void SetLabel(Labels* l, const std::string& name, std::string value) {
  if (std::string* v = FindLabel(l, name))
    *v = std::move(value);
  else
    l->emplace_back(name, std::move(value));
}

// A module's view of the table.
class View {
 public:
  View(const VarbindTable& t, const Scope* s) : table_(t), scope_(s) {}
  const Varbind* Find(const Oid& oid) const {
    const Varbind* vb = table_.Find(oid);
    if (vb && scope_ && !scope_->Contains(oid)) return nullptr;
    return vb;
  }
  const VarbindTable& table() const { return table_; }
  const Scope* scope() const { return scope_; }

 private:
  const VarbindTable& table_;
  const Scope* scope_;
};

struct Series {
  Labels labels;
  double value;
};

struct Family {
  std::string help;
  prometheus::MetricType type;
  std::vector<Series> series;
};

class Emitter {
 public:
  explicit Emitter(std::vector<std::string>* errors) : errors_(errors) {}

  void Add(const std::string& name, const std::string& help,
           prometheus::MetricType type, Labels labels, double value) {
    if (!IsValidMetricName(name)) {
      errors_->push_back("\"" + name + "\" is not a valid metric name");
      return;
    }
    for (size_t i = 0; i < labels.size(); ++i) {
      const auto& [n, v] = labels[i];
      if (!IsValidLabelName(n)) {
        errors_->push_back("metric " + name + ": \"" + n +
                           "\" is not a valid label name");
        return;
      }
      for (size_t j = 0; j < i; ++j) {
        if (labels[j].first == n) {
          errors_->push_back("metric " + name + ": duplicate label name \"" +
                             n + "\"");
          return;
        }
      }
      if (!IsValidUtf8(v)) {
        errors_->push_back("metric " + name + ": label " + n + " value " +
                           Quoted(v) + " is not valid UTF-8");
        return;
      }
    }
    auto [it, inserted] = families_.try_emplace(name);
    Family& f = it->second;
    if (inserted) {
      f.help = help;
      f.type = type;
    } else if (f.help != help) {
      errors_->push_back("collected metric " + name + " has help " +
                         Quoted(help) + " but should have " + Quoted(f.help));
      return;
    } else if (f.type != type) {
      errors_->push_back("collected metric " + name +
                         " has a different type than the same name before");
      return;
    }
    f.series.push_back(Series{std::move(labels), value});
  }

  std::vector<prometheus::MetricFamily> Finish() {
    std::vector<prometheus::MetricFamily> out;
    out.reserve(families_.size());
    for (auto& [name, f] : families_) {
      for (auto& s : f.series)
        std::sort(
            s.labels.begin(), s.labels.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
      // client_golang's metricSorter: label count, then values in order.
      std::stable_sort(f.series.begin(), f.series.end(),
                       [](const Series& a, const Series& b) {
                         if (a.labels.size() != b.labels.size())
                           return a.labels.size() < b.labels.size();
                         for (size_t i = 0; i < a.labels.size(); ++i) {
                           int c =
                               a.labels[i].second.compare(b.labels[i].second);
                           if (c) return c < 0;
                         }
                         return false;
                       });
      prometheus::MetricFamily mf;
      mf.name = name;
      mf.help = f.help;
      mf.type = f.type;
      mf.metric.reserve(f.series.size());
      const Series* prev = nullptr;
      for (auto& s : f.series) {
        if (prev && prev->labels == s.labels) {
          errors_->push_back("collected metric " + name + Show(s.labels) +
                             " was collected before with the same name and "
                             "label values");
          continue;
        }
        prev = &s;
        prometheus::ClientMetric m;
        m.label.reserve(s.labels.size());
        for (auto& [n, v] : s.labels)
          m.label.push_back(prometheus::ClientMetric::Label{n, v});
        if (f.type == prometheus::MetricType::Counter)
          m.counter.value = s.value;
        else
          m.gauge.value = s.value;
        mf.metric.push_back(std::move(m));
      }
      out.push_back(std::move(mf));
    }
    return out;
  }

 private:
  static std::string Quoted(std::string_view v) {
    std::string s = "\"";
    for (unsigned char c : v) {
      if (c < 0x20 || c >= 0x7f) {
        s += "\\x";
        AppendHexByte(&s, c);
      } else {
        s.push_back(static_cast<char>(c));
      }
    }
    return s + "\"";
  }
  static std::string Show(const Labels& l) {
    std::string s = "{";
    for (const auto& [n, v] : l) {
      if (s.size() > 1) s += ",";
      s += n + "=" + Quoted(v);
    }
    return s + "}";
  }

  std::vector<std::string>* errors_;
  std::map<std::string, Family> families_;
};

Oid PrevOid(const Oid& oid, bool* ok) {
  Oid p = oid;
  *ok = !p.empty() && p.back() > 0;
  if (*ok) --p.back();
  return p;
}

// Appends label sub-ids to `oid`; false if the result names no OID (an
// unknown label or an out-of-range sub-id: upstream builds a string no PDU
// has).
bool AppendLabelOids(
    Oid* oid, const std::vector<std::string>& labels,
    const std::vector<std::pair<std::string, std::vector<int64_t>>>& lo) {
  for (const auto& l : labels) {
    const std::vector<int64_t>* v = nullptr;
    for (const auto& [n, ids] : lo)
      if (n == l) v = &ids;
    if (!v || v->empty()) return false;
    for (int64_t x : *v) {
      if (x < 0 || x > static_cast<int64_t>(UINT32_MAX)) return false;
      oid->push_back(static_cast<uint32_t>(x));
    }
  }
  return true;
}

class ModuleRenderer {
 public:
  ModuleRenderer(const View& view, const RenderOptions& options,
                 Emitter* emitter, std::vector<std::string>* errors)
      : view_(view), opt_(options), emit_(emitter), errors_(errors) {}

  void Run(const Module& module) {
    // The metric trie: the last metric of an OID wins; a metric under
    // another metric's OID never matches (the shorter one does).
    std::vector<const Metric*> metrics;
    for (const auto& m : module.metrics) metrics.push_back(&m);
    std::stable_sort(metrics.begin(), metrics.end(),
                     [](const Metric* a, const Metric* b) {
                       return OidLess(a->oid, b->oid);
                     });
    std::vector<const Metric*> effective;
    for (size_t i = 0; i < metrics.size(); ++i) {
      if (i + 1 < metrics.size() && metrics[i + 1]->oid == metrics[i]->oid)
        continue;  // a later one with the same OID wins
      if (!effective.empty() &&
          HasPrefix(metrics[i]->oid, effective.back()->oid))
        continue;
      effective.push_back(metrics[i]);
    }
    const auto& vbs = view_.table().varbinds();
    std::vector<int64_t> index;
    for (const Metric* m : effective) {
      auto [first, last] = view_.table().Subtree(m->oid);
      // Whole range visible when one of the scope's subtrees holds it.
      bool all = !view_.scope();
      if (!all) {
        for (const auto& s : view_.scope()->subtrees)
          if (HasPrefix(m->oid, s)) all = true;
      }
      for (size_t i = first; i < last; ++i) {
        const Varbind& vb = vbs[i];
        if (!all && !view_.scope()->Contains(vb.oid)) continue;
        index.assign(vb.oid.begin() + static_cast<ptrdiff_t>(m->oid.size()),
                     vb.oid.end());
        Sample(*m, vb, index);
      }
    }
  }

 private:
  std::string Utf8(std::string s) const {
    if (opt_.compat == Compat::kV0_30 && !IsValidUtf8(s)) return ToValidUtf8(s);
    return s;
  }

  void Labelize(const Metric& metric, const std::vector<int64_t>& index,
                Labels* labels) {
    std::vector<std::pair<std::string, std::vector<int64_t>>> label_oids;
    size_t pos = 0;
    std::string text;
    for (const auto& idx : metric.indexes) {
      std::vector<int64_t> used;
      pos = IndexString(index, std::min(pos, index.size()), idx.type,
                        idx.fixed_size, idx.implied, &idx.enum_values, &text,
                        &used);
      SetLabel(labels, idx.labelname, Utf8(text));
      bool set = false;
      for (auto& [n, v] : label_oids)
        if (n == idx.labelname) v = used, set = true;
      if (!set) label_oids.emplace_back(idx.labelname, std::move(used));
    }
    for (const auto& lookup : metric.lookups) {
      if (lookup.labels.empty()) {
        labels->erase(std::remove_if(labels->begin(), labels->end(),
                                     [&](const auto& l) {
                                       return l.first == lookup.labelname;
                                     }),
                      labels->end());
        continue;
      }
      Oid oid = lookup.oid;
      const Varbind* vb = nullptr;
      if (AppendLabelOids(&oid, lookup.labels, label_oids))
        vb = view_.Find(oid);
      if (!vb) {
        SetLabel(labels, lookup.labelname, "");
        continue;
      }
      std::optional<MetricType> t = lookup.type;
      std::string value;
      bool done = false;
      if (opt_.compat == Compat::kV0_30) {
        if (t && IsCombined(*t)) {
          bool ok;
          Oid prev = PrevOid(lookup.oid, &ok);
          if (ok && AppendLabelOids(&prev, lookup.labels, label_oids)) {
            if (const Varbind* p = view_.Find(prev)) {
              int64_t v = ToInt(ValueToDouble(*p, opt_.wrap_counters));
              if (auto sub = CombinedSubtype(*t, v)) t = sub;
            }
          }
        }
        if (t == MetricType::kEnumAsInfo && !lookup.enum_values.empty()) {
          int64_t v = BigIntValue(*vb);
          auto it = lookup.enum_values.find(v);
          value =
              it != lookup.enum_values.end() ? it->second : std::to_string(v);
          done = true;
        }
      }
      if (!done) value = ValueToString(*vb, t, lookup.display_hint, opt_);
      SetLabel(labels, lookup.labelname, std::move(value));
      std::vector<int64_t> ids{BigIntValue(*vb)};
      bool set = false;
      for (auto& [n, v] : label_oids)
        if (n == lookup.labelname) v = ids, set = true;
      if (!set) label_oids.emplace_back(lookup.labelname, std::move(ids));
    }
  }

  static std::string HelpOf(const Metric& m) { return m.help; }

  void Sample(const Metric& metric, const Varbind& vb,
              const std::vector<int64_t>& index) {
    Labels labels;
    Labelize(metric, index, &labels);
    double value = ValueToDouble(vb, opt_.wrap_counters);
    prometheus::MetricType type = prometheus::MetricType::Gauge;
    using MT = MetricType;
    switch (metric.type) {
      case MT::kCounter:
        type = prometheus::MetricType::Counter;
        break;
      case MT::kGauge:
      case MT::kFloat:
      case MT::kDouble:
        break;
      case MT::kDateAndTime:
        if (!IsBytes(vb.type) || !ParseDateAndTime(vb.bytes, &value)) return;
        break;
      case MT::kParseDateAndTime: {
        RenderOptions o = opt_;
        o.compat = Compat::kV0_30;
        std::string text = ValueToString(vb, MT::kDisplayString, "", o);
        if (!ParseTimeWithPattern(text, metric.datetime_pattern, &value))
          return;
        break;
      }
      case MT::kNtpTimeStamp:
        if (!IsBytes(vb.type) || !ParseNtpTimestamp(vb.bytes, &value)) return;
        break;
      case MT::kEnumAsInfo:
        EnumAsInfo(metric, ToInt(value), std::move(labels));
        return;
      case MT::kEnumAsStateSet:
        EnumAsStateSet(metric, ToInt(value), std::move(labels));
        return;
      case MT::kBits:
        Bits(metric, vb, std::move(labels));
        return;
      default: {
        // Some form of string.
        value = 1.0;
        std::optional<MT> t = metric.type;
        if (IsCombined(metric.type)) {
          bool ok;
          Oid prev = PrevOid(metric.oid, &ok);
          t = MT::kOctetString;
          if (ok && !index.empty()) {
            bool in_range = true;
            for (int64_t x : index) {
              if (x < 0 || x > static_cast<int64_t>(UINT32_MAX))
                in_range = false;
              prev.push_back(static_cast<uint32_t>(x));
            }
            const Varbind* p = in_range ? view_.Find(prev) : nullptr;
            if (p) {
              int64_t v = ToInt(ValueToDouble(*p, opt_.wrap_counters));
              if (auto sub = CombinedSubtype(metric.type, v)) t = sub;
            }
          }
        }
        if (!metric.regex_extracts.empty()) {
          RegexExtracts(metric, ValueToString(vb, t, metric.display_hint, opt_),
                        labels);
          return;
        }
        if (!FindLabel(&labels, metric.name))
          labels.emplace_back(metric.name,
                              ValueToString(vb, t, metric.display_hint, opt_));
      }
    }
    if (metric.scale != 0.0) value *= metric.scale;
    value += metric.offset;
    emit_->Add(metric.name, metric.help, type, std::move(labels), value);
  }

  void RegexExtracts(const Metric& metric, const std::string& text,
                     const Labels& labels) {
    for (const auto& [suffix, alts] : metric.regex_extracts) {
      for (const auto& e : alts) {
        if (!e.regex) continue;
        if (!RE2::PartialMatch(text, *e.regex)) continue;
        double v;
        if (!ParseGoFloat(ExpandTemplate(*e.regex, e.value, text), &v))
          continue;
        if (metric.scale != 0.0) v *= metric.scale;
        v += metric.offset;
        emit_->Add(metric.name + suffix, metric.help + " (regex extracted)",
                   prometheus::MetricType::Gauge, labels, v);
        break;
      }
    }
  }

  void EnumAsInfo(const Metric& metric, int64_t v, Labels labels) {
    auto it = metric.enum_values.find(v);
    std::string state =
        it != metric.enum_values.end() ? it->second : std::to_string(v);
    if (opt_.compat == Compat::kV0_30 && FindLabel(&labels, metric.name))
      return;
    labels.emplace_back(metric.name, std::move(state));
    emit_->Add(metric.name + "_info", metric.help + " (EnumAsInfo)",
               prometheus::MetricType::Gauge, std::move(labels), 1.0);
  }

  void EnumAsStateSet(const Metric& metric, int64_t v, Labels labels) {
    const std::string help = metric.help + " (EnumAsStateSet)";
    auto it = metric.enum_values.find(v);
    Labels l = labels;
    l.emplace_back(metric.name, it != metric.enum_values.end()
                                    ? it->second
                                    : std::to_string(v));
    emit_->Add(metric.name, help, prometheus::MetricType::Gauge, std::move(l),
               1.0);
    for (const auto& [k, name] : metric.enum_values) {
      if (k == v) continue;
      Labels o = labels;
      o.emplace_back(metric.name, name);
      emit_->Add(metric.name, help, prometheus::MetricType::Gauge, std::move(o),
                 0.0);
    }
  }

  void Bits(const Metric& metric, const Varbind& vb, Labels labels) {
    if (!IsBytes(vb.type)) {
      errors_->push_back("BITS type was not a BISTRING on the wire: metric " +
                         metric.name + " at " + OidToString(vb.oid));
      return;
    }
    const std::string help = metric.help + " (Bits)";
    const std::string& b = vb.bytes;
    for (const auto& [k, name] : metric.enum_values) {
      double bit = 0;
      if (k >= 0 && static_cast<uint64_t>(k) < b.size() * 8 &&
          (static_cast<unsigned char>(b[static_cast<size_t>(k / 8)]) &
           (0x80u >> (k % 8))) != 0)
        bit = 1;
      Labels l = labels;
      l.emplace_back(metric.name, name);
      emit_->Add(metric.name, help, prometheus::MetricType::Gauge, std::move(l),
                 bit);
    }
  }

  const View& view_;
  const RenderOptions& opt_;
  Emitter* emit_;
  std::vector<std::string>* errors_;
};

// Civil date -> days since 1970-01-01 (Howard Hinnant's algorithm), for any
// month (normalized like Go's time.Date).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  // Normalize the month into [1, 12].
  int64_t m0 = m - 1;
  y += m0 >= 0 ? m0 / 12 : -((11 - m0) / 12);
  m0 -= (m0 >= 0 ? m0 / 12 : -((11 - m0) / 12)) * 12;
  m = m0 + 1;
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t UnixFromCivil(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi,
                      int64_t s) {
  return DaysFromCivil(y, mo, 1) * 86400 + (d - 1) * 86400 + h * 3600 +
         mi * 60 + s;
}

}  // namespace

VarbindTable::VarbindTable(std::vector<Varbind> varbinds) {
  varbinds.erase(
      std::remove_if(varbinds.begin(), varbinds.end(),
                     [](const Varbind& v) { return IsException(v.type); }),
      varbinds.end());
  std::stable_sort(
      varbinds.begin(), varbinds.end(),
      [](const Varbind& a, const Varbind& b) { return OidLess(a.oid, b.oid); });
  // Keep the last of equal OIDs.
  varbinds_.reserve(varbinds.size());
  for (size_t i = 0; i < varbinds.size(); ++i) {
    if (i + 1 < varbinds.size() && varbinds[i + 1].oid == varbinds[i].oid)
      continue;
    varbinds_.push_back(std::move(varbinds[i]));
  }
}

const Varbind* VarbindTable::Find(const Oid& oid) const {
  auto it = std::lower_bound(
      varbinds_.begin(), varbinds_.end(), oid,
      [](const Varbind& v, const Oid& o) { return OidLess(v.oid, o); });
  if (it != varbinds_.end() && it->oid == oid) return &*it;
  return nullptr;
}

std::pair<size_t, size_t> VarbindTable::Subtree(const Oid& prefix) const {
  auto first = std::lower_bound(
      varbinds_.begin(), varbinds_.end(), prefix,
      [](const Varbind& v, const Oid& o) { return OidLess(v.oid, o); });
  auto last = std::partition_point(
      first, varbinds_.end(),
      [&](const Varbind& v) { return HasPrefix(v.oid, prefix); });
  return {static_cast<size_t>(first - varbinds_.begin()),
          static_cast<size_t>(last - varbinds_.begin())};
}

Scope Scope::Make(std::vector<Oid> subtrees, std::vector<Oid> exact) {
  Scope s;
  std::sort(subtrees.begin(), subtrees.end(), OidLess);
  for (auto& t : subtrees) {
    if (!s.subtrees.empty() && HasPrefix(t, s.subtrees.back())) continue;
    s.subtrees.push_back(std::move(t));
  }
  std::sort(exact.begin(), exact.end(), OidLess);
  exact.erase(std::unique(exact.begin(), exact.end()), exact.end());
  s.exact = std::move(exact);
  return s;
}

bool Scope::Contains(const Oid& oid) const {
  // Subtrees do not nest: only the greatest one <= oid can be its prefix.
  auto it = std::upper_bound(subtrees.begin(), subtrees.end(), oid, OidLess);
  if (it != subtrees.begin() && HasPrefix(oid, *(it - 1))) return true;
  return std::binary_search(exact.begin(), exact.end(), oid, OidLess);
}

std::string IndexToString(const std::vector<int64_t>& index, MetricType type,
                          int fixed_size, bool implied,
                          const EnumValues* enum_values,
                          std::vector<int64_t>* used,
                          std::vector<int64_t>* rest) {
  std::string out;
  std::vector<int64_t> u;
  size_t end =
      IndexString(index, 0, type, fixed_size, implied, enum_values, &out, &u);
  if (used) *used = std::move(u);
  if (rest)
    rest->assign(index.begin() + static_cast<ptrdiff_t>(end), index.end());
  return out;
}

std::string ValueToString(const Varbind& vb, std::optional<MetricType> type,
                          std::string_view display_hint,
                          const RenderOptions& options) {
  const bool v30 = options.compat == Compat::kV0_30;
  switch (vb.type) {
    case PduType::kInteger:
      return std::to_string(vb.int_value);
    case PduType::kCounter32:
    case PduType::kGauge32:
    case PduType::kCounter64:
      return std::to_string(vb.uint_value);
    case PduType::kTimeTicks:
      // gosnmp decodes TimeTicks as uint32, which 0.21's switch lacks.
      if (v30) return std::to_string(static_cast<uint32_t>(vb.uint_value));
      return "%!s(uint32=" +
             std::to_string(static_cast<uint32_t>(vb.uint_value)) + ")";
    case PduType::kOpaqueFloat:
      return FormatFloatF(vb.float_value, true);
    case PduType::kOpaqueDouble:
      return FormatFloatF(vb.float_value, false);
    case PduType::kObjectId:
      return OidToString(vb.oid_value);
    case PduType::kIpAddress: {
      // gosnmp: net.IP(...).String(); no bytes -> nil.
      char buf[INET6_ADDRSTRLEN];
      if (vb.bytes.size() == 4 &&
          inet_ntop(AF_INET, vb.bytes.data(), buf, sizeof buf))
        return buf;
      if (vb.bytes.size() == 16 &&
          inet_ntop(AF_INET6, vb.bytes.data(), buf, sizeof buf))
        return buf;
      return "";
    }
    case PduType::kOctetString:
    case PduType::kOpaque:
      break;
    default:
      return "";
  }
  const std::string& b = vb.bytes;
  if (v30 && !display_hint.empty() &&
      (!type || *type == MetricType::kOctetString)) {
    std::string out;
    if (ApplyDisplayHint(display_hint, b, &out)) return ToValidUtf8(out);
  }
  MetricType t = type.value_or(MetricType::kOctetString);
  if (t == MetricType::kBits && v30) t = MetricType::kOctetString;
  std::string out;
  if (t == MetricType::kOctetString || t == MetricType::kDisplayString) {
    // Fast paths of the index code with the explicit length.
    if (t == MetricType::kDisplayString) {
      out = b;
    } else if (!b.empty()) {
      out.reserve(2 + 2 * b.size());
      out = "0x";
      for (unsigned char c : b) AppendHexByte(&out, c);
    }
  } else {
    std::vector<int64_t> parts(b.begin(), b.end());
    for (size_t i = 0; i < b.size(); ++i)
      parts[i] = static_cast<unsigned char>(b[i]);
    std::vector<int64_t> used;
    IndexString(parts, 0, t, 0, false, nullptr, &out, &used);
  }
  if (v30 && !IsValidUtf8(out)) return ToValidUtf8(out);
  return out;
}

double ValueToDouble(const Varbind& vb, bool wrap_counters) {
  switch (vb.type) {
    case PduType::kCounter64:
      if (wrap_counters)
        return static_cast<double>(vb.uint_value % 9007199254740992ULL);
      return static_cast<double>(vb.uint_value);
    case PduType::kOpaqueFloat:
      return static_cast<double>(static_cast<float>(vb.float_value));
    case PduType::kOpaqueDouble:
      return vb.float_value;
    default:
      return static_cast<double>(BigIntValue(vb));
  }
}

bool ApplyDisplayHint(std::string_view hint, std::string_view data,
                      std::string* out) {
  out->clear();
  if (hint.empty() || data.empty()) return false;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t hp = 0, dp = 0, last_start = 0;
  bool last_consumes = false;
  while (dp < data.size()) {
    size_t spec_start = hp;
    if (hp >= hint.size()) {
      if (!last_consumes) return false;
      hp = spec_start = last_start;
    }
    bool star = false;
    if (hp < hint.size() && hint[hp] == '*') {
      star = true;
      ++hp;
    }
    if (hp >= hint.size() || !digit(hint[hp])) return false;
    uint64_t take = 0;
    while (hp < hint.size() && digit(hint[hp])) {
      take = take * 10 + static_cast<uint64_t>(hint[hp] - '0');
      if (take > (uint64_t{1} << 40)) return false;
      ++hp;
    }
    if (hp >= hint.size()) return false;
    char fmt = hint[hp];
    if (fmt != 'd' && fmt != 'x' && fmt != 'o' && fmt != 'a' && fmt != 't')
      return false;
    ++hp;
    char sep = 0, term = 0;
    bool has_sep = false, has_term = false;
    if (hp < hint.size() && !digit(hint[hp]) && hint[hp] != '*') {
      sep = hint[hp++];
      has_sep = true;
    }
    if (star && hp < hint.size() && !digit(hint[hp]) && hint[hp] != '*') {
      term = hint[hp++];
      has_term = true;
    }
    last_start = spec_start;
    last_consumes = take > 0 || star;
    int repeat = 1;
    if (star && dp < data.size())
      repeat = static_cast<unsigned char>(data[dp++]);
    for (int r = 0; r < repeat && dp < data.size(); ++r) {
      size_t end =
          dp + static_cast<size_t>(std::min<uint64_t>(take, data.size() - dp));
      std::string_view chunk = data.substr(dp, end - dp);
      switch (fmt) {
        case 'd':
        case 'o': {
          if (chunk.size() > 8) return false;
          uint64_t v = 0;
          for (unsigned char c : chunk) v = (v << 8) | c;
          char buf[32];
          auto res =
              std::to_chars(buf, buf + sizeof buf, v, fmt == 'd' ? 10 : 8);
          out->append(buf, res.ptr);
          break;
        }
        case 'x':
          for (unsigned char c : chunk) AppendHexByte(out, c);
          break;
        default:
          out->append(chunk);
      }
      dp = end;
      bool more = dp < data.size();
      if (has_sep && more && (!has_term || r != repeat - 1))
        out->push_back(sep);
    }
    if (has_term && dp < data.size()) out->push_back(term);
  }
  return true;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

std::string ToValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool in_invalid = false;
  size_t i = 0;
  while (i < s.size()) {
    // Length of a valid sequence at i, or 0.
    size_t len = 0;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      len = 1;
    } else {
      for (size_t l = 2; l <= 4 && i + l <= s.size(); ++l) {
        if (IsValidUtf8(s.substr(i, l))) {
          len = l;
          break;
        }
      }
    }
    if (len == 0) {
      if (!in_invalid) out += "\xEF\xBF\xBD";
      in_invalid = true;
      ++i;
    } else {
      out.append(s.substr(i, len));
      in_invalid = false;
      i += len;
    }
  }
  return out;
}

bool ParseDateAndTime(std::string_view v, double* unix_seconds) {
  auto u = [&](size_t i) {
    return static_cast<int64_t>(static_cast<unsigned char>(v[i]));
  };
  int64_t offset = 0;
  if (v.size() == 11) {
    // time.Parse("-0700", fmt.Sprintf("%s%02d%02d", sign, h, m)).
    char sign = v[8];
    int64_t h = u(9), m = u(10);
    if ((sign != '+' && sign != '-') || h > 99 || m > 99) return false;
    if (h > 24 || m > 60) return false;
    offset = (h * 60 + m) * 60;
    if (sign == '-') offset = -offset;
  } else if (v.size() != 8) {
    return false;
  }
  int64_t year = (u(0) << 8) | u(1);
  int64_t secs = UnixFromCivil(year, u(2), u(3), u(4), u(5), u(6));
  // Deciseconds: t.Unix() floors the nanoseconds away.
  secs += (u(7) * 100000000) / 1000000000;
  *unix_seconds = static_cast<double>(secs - offset);
  return true;
}

bool ParseNtpTimestamp(std::string_view v, double* unix_seconds) {
  if (v.size() < 8) return false;
  uint64_t s = 0;
  for (size_t i = 0; i < 4; ++i)
    s = (s << 8) | static_cast<unsigned char>(v[i]);
  // time.Unix(secs, nanos).Unix(): the fraction is below a second.
  *unix_seconds = static_cast<double>(static_cast<int64_t>(s) - 2208988800LL);
  return true;
}

bool ParseTimeWithPattern(std::string_view src, std::string_view format,
                          double* unix_seconds) {
  static const char* kShortMonths[] = {"Jan", "Feb", "Mar", "Apr",
                                       "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};
  static const char* kLongMonths[] = {
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  static const char* kShortDays[] = {"Sun", "Mon", "Tue", "Wed",
                                     "Thu", "Fri", "Sat"};
  static const char* kLongDays[] = {"Sunday",    "Monday",   "Tuesday",
                                    "Wednesday", "Thursday", "Friday",
                                    "Saturday"};
  int64_t year = 1900, month = 1, day = 0, hour = 0, minute = 0, second = 0;
  int64_t yday = 0, century = -1, offset = 0;
  bool pm = false;
  size_t j = 0;
  const size_t l = src.size();
  auto num = [&](int size, int64_t lo, int64_t hi, int64_t* out) {
    size_t i = j;
    int64_t v = 0;
    size_t end = std::min(l, j + static_cast<size_t>(size));
    for (; i < end && src[i] >= '0' && src[i] <= '9'; ++i)
      v = v * 10 + (src[i] - '0');
    if (i == j || v < lo || v > hi) return false;
    *out = v;
    j = i;
    return true;
  };
  auto any = [&](const char* const* names, int count, int64_t* out) {
    for (int n = 0; n < count; ++n) {
      size_t len = std::strlen(names[n]);
      if (j + len > l) continue;
      bool eq = true;
      for (size_t k = 0; k < len && eq; ++k)
        eq = (names[n][k] | 0x20) == (src[j + k] | 0x20);
      if (eq) {
        *out = n + 1;
        j += len;
        return true;
      }
    }
    return false;
  };
  // Composite directives as their parts (timefmt's "pending").
  std::string fmt;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 >= format.size()) {
      fmt.push_back(format[i]);
      continue;
    }
    const char c = format[++i];
    const char* exp = nullptr;
    switch (c) {
      case 'c':
        exp = "%a %b %e %H:%M:%S %Y";
        break;
      case 'v':
        exp = "%e-%b-%Y";
        break;
      case 'r':
        exp = "%I:%M:%S %p";
        break;
      case 'F':
        exp = "%Y-%m-%d";
        break;
      case 'D':
      case 'x':
        exp = "%m/%d/%y";
        break;
      case 'T':
      case 'X':
        exp = "%H:%M:%S";
        break;
      case 'R':
        exp = "%H:%M";
        break;
      default:
        break;
    }
    if (exp) {
      fmt += exp;
    } else {
      fmt.push_back('%');
      fmt.push_back(c);
    }
  }
  for (size_t i = 0; i < fmt.size(); ++i) {
    char b = fmt[i];
    if (b != '%') {
      if (j >= l || src[j] != b) return false;
      ++j;
      continue;
    }
    if (++i == fmt.size()) return false;  // stray %
    b = fmt[i];
    int64_t tmp;
    switch (b) {
      case 'Y': {
        bool neg = j < l && src[j] == '-';
        if (neg) ++j;
        if (!num(4, 0, 9999, &year)) return false;
        if (neg) year = -year;
        break;
      }
      case 'y':
        if (!num(2, 0, 99, &year)) return false;
        year += year < 69 ? 2000 : 1900;
        break;
      case 'C':
        if (!num(2, 0, 99, &century)) return false;
        break;
      case 'm':
        if (!num(2, 1, 12, &month)) return false;
        break;
      case 'B':
        if (!any(kLongMonths, 12, &month)) return false;
        break;
      case 'b':
      case 'h':
        if (!any(kShortMonths, 12, &month)) return false;
        break;
      case 'A':
        if (!any(kLongDays, 7, &tmp)) return false;
        break;
      case 'a':
        if (!any(kShortDays, 7, &tmp)) return false;
        break;
      case 'w':
        if (!num(1, 0, 6, &tmp)) return false;
        break;
      case 'u':
        if (!num(1, 1, 7, &tmp)) return false;
        break;
      case 'e':
        if (j < l && src[j] == ' ') ++j;
        if (!num(2, 1, 31, &day)) return false;
        break;
      case 'd':
        if (!num(2, 1, 31, &day)) return false;
        break;
      case 'j':
        if (!num(3, 1, 366, &yday)) return false;
        break;
      case 'k':
        if (j < l && src[j] == ' ') ++j;
        if (!num(2, 0, 23, &hour)) return false;
        break;
      case 'H':
        if (!num(2, 0, 23, &hour)) return false;
        break;
      case 'l':
        if (j < l && src[j] == ' ') ++j;
        [[fallthrough]];
      case 'I':
        if (!num(2, 1, 12, &hour)) return false;
        if (hour == 12) hour = 0;
        break;
      case 'p':
      case 'P': {
        static const char* kAmPm[] = {"AM", "PM"};
        if (!any(kAmPm, 2, &tmp)) return false;
        pm = tmp == 2;
        break;
      }
      case 'M':
        if (!num(2, 0, 59, &minute)) return false;
        break;
      case 'S':
        if (!num(2, 0, 60, &second)) return false;
        break;
      case 'z': {
        if (j >= l) return false;
        if (src[j] == 'Z') {
          offset = 0;
          ++j;
          break;
        }
        if (src[j] != '+' && src[j] != '-') return false;
        int64_t sign = src[j] == '-' ? -1 : 1;
        ++j;
        size_t start = j;
        int64_t h = 0, m = 0;
        if (!num(2, 0, 23, &h) || j != start + 2) return false;
        if (j < l && src[j] == ':') ++j;
        size_t ms = j;
        if (!num(2, 0, 59, &m) || j != ms + 2) {
          j = ms;
          m = 0;
        }
        offset = sign * (h * 3600 + m * 60);
        break;
      }
      case 't':
      case 'n': {
        size_t s = j;
        while (j < l && std::strchr(" \t\n\v\f\r", src[j]) && src[j]) ++j;
        if (s == j) return false;
        break;
      }
      case '%':
        if (j >= l || src[j] != '%') return false;
        ++j;
        break;
      default:
        return false;  // unsupported here (%G %V %U %W %Z %s %f ...)
    }
  }
  if (j < l) return false;
  if (pm) hour += 12;
  if (century >= 0) year = century * 100 + year % 100;
  int64_t secs;
  if (day == 0 && yday > 0)
    secs = UnixFromCivil(year, 1, yday, hour, minute, second);
  else
    secs = UnixFromCivil(year, month, day == 0 ? 1 : day, hour, minute, second);
  *unix_seconds = static_cast<double>(secs - offset);
  return true;
}

std::string ExpandTemplate(const re2::RE2& re, std::string_view tmpl,
                           std::string_view text) {
  const int ngroups = re.NumberOfCapturingGroups();
  std::vector<re2::StringPiece> m(static_cast<size_t>(ngroups) + 1);
  if (!re.Match(re2::StringPiece(text.data(), text.size()), 0, text.size(),
                RE2::UNANCHORED, m.data(), ngroups + 1))
    return "";
  std::vector<std::optional<std::string_view>> groups;
  for (const auto& g : m)
    groups.push_back(g.data() == nullptr
                         ? std::nullopt
                         : std::optional<std::string_view>(
                               std::string_view(g.data(), g.size())));
  return GoExpand(tmpl, groups, re.NamedCapturingGroups());
}

bool ParseGoFloat(std::string_view s, double* out) {
  if (s.empty()) return false;
  std::string_view body = s;
  bool neg = false;
  if (body[0] == '+' || body[0] == '-') {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  auto ieq = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
    return true;
  };
  if (ieq(body, "inf") || ieq(body, "infinity")) {
    *out = neg ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  if (ieq(body, "nan") && s.size() == 3) {
    *out = std::nan("");
    return true;
  }
  // Only digits, '.', exponent, hex digits, 'x', 'p' and signs after an
  // exponent; strtod does the rest on a NUL-terminated copy.
  for (char c : body) {
    if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == '.' ||
          c == 'x' || c == 'X' || c == 'p' || c == 'P' || c == '+' || c == '-'))
      return false;
  }
  if (body.empty() || body[0] == '+' || body[0] == '-') return false;
  bool hex =
      body.size() > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X');
  if (hex && body.find_first_of("pP") == std::string_view::npos) return false;
  std::string copy(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return false;
  if (errno == ERANGE && std::isinf(v)) return false;
  *out = v;
  return true;
}

RenderResult Render(const Module& module, const VarbindTable& table,
                    const Scope* scope, const RenderOptions& options) {
  return RenderModules({ModuleInput{&module, scope}}, table, options);
}

RenderResult RenderModules(const std::vector<ModuleInput>& modules,
                           const VarbindTable& table,
                           const RenderOptions& options) {
  RenderResult result;
  Emitter emitter(&result.errors);
  for (const auto& in : modules) {
    View view(table, in.scope);
    ModuleRenderer r(view, options, &emitter, &result.errors);
    r.Run(*in.module);
  }
  result.families = emitter.Finish();
  return result;
}

}  // namespace exporterd::snmp
