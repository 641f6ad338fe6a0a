// A module's configuration keys, declared once: name, type, default, doc.
//
//   struct Options {
//     std::string dir;
//     int64_t max_domains;
//     std::vector<std::string> queues;
//   };
//   const ConfigMap<Options>& OptionsMap() {
//     static const ConfigMap<Options> m{
//         Key("dir", &Options::dir, "/var/spool/postfix", "Queue directory."),
//         Key("max_domains", &Options::max_domains, int64_t{50},
//             "Domains per queue; the rest are summed as \"others\".")
//             .Range(0, 1000000),
//     };
//     return m;
//   }
//   Options o = OptionsMap().Read(reader);   // defaults, checks, Finish()
//
// Read() fills every declared key (its default when absent), reports bad
// values and unknown keys with file:line:key, and leaves the reader usable
// for checks across keys (reader.Error()). Reference() renders the table the
// module's README carries between <!-- config:begin --> and
// <!-- config:end -->; a test compares the two.
#ifndef EXPORTERD_CONFIG_MAP_H_
#define EXPORTERD_CONFIG_MAP_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "exporterd/config_reader.h"

namespace exporterd {

template <class T>
class ConfigMap {
 public:
  struct Entry {
    std::string name;
    std::string type;          // "string", "duration", "list of strings", ...
    std::string default_text;  // as the README shows it
    std::string doc;           // one line
    std::function<void(ConfigReader&, T*)> read;
    // Rows of a nested section, already prefixed ("catalog.mysql.host").
    std::vector<std::vector<std::string>> nested_rows;
  };

  // `check` (optional) runs after the keys are read, before unknown keys are
  // reported: checks across keys ("set socket or host, not both"), with the
  // reader to ask Has() and report Error().
  ConfigMap(std::initializer_list<Entry> entries,
            std::function<void(ConfigReader&, T*)> check = {})
      : entries_(entries), check_(std::move(check)) {}

  // Reads the mapping behind `r` into a value-initialised T.
  T Read(ConfigReader& r) const {
    T out{};
    ReadInto(r, &out);
    return out;
  }
  void ReadInto(ConfigReader& r, T* out) const {
    for (const Entry& e : entries_) e.read(r, out);
    if (check_) check_(r, out);
    r.Finish();
  }

  // Rows: key, type, default, description; nested keys dotted.
  std::vector<std::vector<std::string>> Rows() const {
    std::vector<std::vector<std::string>> rows;
    for (const Entry& e : entries_) {
      rows.push_back({e.name, e.type, e.default_text, e.doc});
      for (const auto& row : e.nested_rows) {
        std::vector<std::string> r = row;
        r[0] = e.name + "." + r[0];
        rows.push_back(std::move(r));
      }
    }
    return rows;
  }

  // The markdown table for the README.
  std::string Reference() const {
    std::string s =
        "| key | type | default | description |\n"
        "|---|---|---|---|\n";
    for (const auto& row : Rows()) {
      s += "| `" + row[0] + "` | " + row[1] + " | " +
           (row[2].empty() ? "" : "`" + row[2] + "`") + " | " + row[3] + " |\n";
    }
    return s;
  }

  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
  std::function<void(ConfigReader&, T*)> check_;
};

namespace config_map_detail {

inline std::string Join(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s + "]";
}
inline std::string Num(double v) {
  std::string s = std::to_string(v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace config_map_detail

// One scalar or list key. V is std::string, bool, int64_t, int, double,
// std::chrono::milliseconds or std::vector<std::string>; std::optional<V>
// stays empty when the key is absent (give the README's default text with
// DefaultText()).
template <class T, class V>
class Key {
 public:
  using Value = V;
  Key(std::string name, V T::*member, V def, std::string doc)
      : name_(std::move(name)),
        member_(member),
        def_(std::move(def)),
        doc_(std::move(doc)) {}

  // Inclusive bounds (numbers and durations).
  template <class B>
  Key& Range(B min, B max) {
    min_ = static_cast<double>(Count(min));
    max_ = static_cast<double>(Count(max));
    has_range_ = true;
    return *this;
  }
  // The value must be one of `allowed` (strings).
  Key& OneOf(std::vector<std::string> allowed) {
    allowed_ = std::move(allowed);
    return *this;
  }
  // Extra check: returns "" when fine, else the message ("must be an
  // absolute path").
  Key& Check(std::function<std::string(const V&)> fn) {
    check_ = std::move(fn);
    return *this;
  }
  Key& DefaultText(std::string text) {
    default_text_ = std::move(text);
    return *this;
  }

  operator typename ConfigMap<T>::Entry() const {
    typename ConfigMap<T>::Entry e;
    e.name = name_;
    e.doc = doc_;
    e.type = TypeName();
    e.default_text = default_text_ ? *default_text_ : DefaultString();
    Key k = *this;
    e.read = [k](ConfigReader& r, T* out) { k.ReadOne(r, out); };
    return e;
  }

 private:
  template <class B>
  static auto Count(B b) {
    if constexpr (std::is_same_v<B, std::chrono::milliseconds>)
      return b.count();
    else
      return b;
  }

  std::string TypeName() const {
    if constexpr (std::is_same_v<V, std::string>) {
      if (!allowed_.empty()) {
        std::string s = "one of ";
        for (size_t i = 0; i < allowed_.size(); ++i)
          s += (i ? ", " : "") + allowed_[i];
        return s;
      }
      return "string";
    } else if constexpr (std::is_same_v<V, bool>) {
      return "bool";
    } else if constexpr (std::is_integral_v<V>) {
      return has_range_ ? "int (" + config_map_detail::Num(min_) + "–" +
                              config_map_detail::Num(max_) + ")"
                        : "int";
    } else if constexpr (std::is_floating_point_v<V>) {
      return has_range_ ? "number (" + config_map_detail::Num(min_) + "–" +
                              config_map_detail::Num(max_) + ")"
                        : "number";
    } else if constexpr (std::is_same_v<V, std::chrono::milliseconds>) {
      return has_range_ ? "duration (" +
                              FormatDuration(std::chrono::milliseconds(
                                  static_cast<int64_t>(min_))) +
                              "–" +
                              FormatDuration(std::chrono::milliseconds(
                                  static_cast<int64_t>(max_))) +
                              ")"
                        : "duration";
    } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
      return "list of strings";
    } else {
      return "string";  // std::optional<std::string>
    }
  }

  std::string DefaultString() const {
    if constexpr (std::is_same_v<V, std::string>) {
      return def_;
    } else if constexpr (std::is_same_v<V, bool>) {
      return def_ ? "true" : "false";
    } else if constexpr (std::is_integral_v<V>) {
      return std::to_string(def_);
    } else if constexpr (std::is_floating_point_v<V>) {
      return config_map_detail::Num(def_);
    } else if constexpr (std::is_same_v<V, std::chrono::milliseconds>) {
      return FormatDuration(def_);
    } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
      return config_map_detail::Join(def_);
    } else {
      return def_ ? *def_ : "";
    }
  }

  void ReadOne(ConfigReader& r, T* out) const {
    V& v = out->*member_;
    if constexpr (std::is_same_v<V, std::string>) {
      v = allowed_.empty() ? r.String(name_, def_)
                           : r.Enum(name_, def_, allowed_);
    } else if constexpr (std::is_same_v<V, bool>) {
      v = r.Bool(name_, def_);
    } else if constexpr (std::is_integral_v<V>) {
      int64_t lo = has_range_ ? static_cast<int64_t>(min_) : INT64_MIN;
      int64_t hi = has_range_ ? static_cast<int64_t>(max_) : INT64_MAX;
      v = static_cast<V>(r.Int(name_, def_, lo, hi));
    } else if constexpr (std::is_floating_point_v<V>) {
      v = r.Float(name_, def_);
      if (has_range_ && (v < min_ || v > max_)) {
        r.Error(name_, "must be between " + config_map_detail::Num(min_) +
                           " and " + config_map_detail::Num(max_));
        v = def_;
      }
    } else if constexpr (std::is_same_v<V, std::chrono::milliseconds>) {
      v = has_range_
              ? r.Duration(
                    name_, def_,
                    std::chrono::milliseconds(static_cast<int64_t>(min_)),
                    std::chrono::milliseconds(static_cast<int64_t>(max_)))
              : r.Duration(name_, def_);
    } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
      v = r.StringList(name_, def_);
    } else {  // std::optional<std::string>
      if (r.Has(name_))
        v = r.String(name_, "");
      else
        v = def_;
    }
    if (check_ && r.Has(name_)) {
      std::string why = check_(v);
      if (!why.empty()) r.Error(name_, why);
    }
  }

  std::string name_;
  V T::*member_;
  V def_;
  std::string doc_;
  std::optional<std::string> default_text_;
  std::vector<std::string> allowed_;
  std::function<std::string(const V&)> check_;
  bool has_range_ = false;
  double min_ = 0, max_ = 0;
};

template <class T, class V, class D>
Key(std::string, V T::*, D, std::string) -> Key<T, V>;

// A nested mapping read with its own map. With an std::optional<C> member
// the section is empty when absent; with a plain C member it gets C's
// defaults.
template <class T, class M, class C>
typename ConfigMap<T>::Entry Section(std::string name, M T::*member,
                                     const ConfigMap<C>& map, std::string doc) {
  typename ConfigMap<T>::Entry e;
  e.name = name;
  e.type = "mapping";
  e.doc = std::move(doc);
  e.nested_rows = map.Rows();
  const ConfigMap<C>* m = &map;
  e.read = [name, member, m](ConfigReader& r, T* out) {
    const bool present = r.Has(name);
    ConfigReader child = r.Child(name);
    if constexpr (std::is_same_v<M, std::optional<C>>) {
      if (!present) {
        child.Finish();
        return;
      }
      (out->*member).emplace();
      m->ReadInto(child, &*(out->*member));
    } else {
      m->ReadInto(child, &(out->*member));
    }
  };
  return e;
}

// A key with a shape the table cannot say (a mapping of tool names to
// commands, a list with per-item checks): `read` gets the parent reader and
// reads `name` itself (r.Raw(name)).
template <class T>
typename ConfigMap<T>::Entry Custom(
    std::string name, std::string type, std::string default_text,
    std::string doc, std::function<void(ConfigReader&, T*)> read) {
  typename ConfigMap<T>::Entry e;
  e.name = std::move(name);
  e.type = std::move(type);
  e.default_text = std::move(default_text);
  e.doc = std::move(doc);
  e.read = std::move(read);
  return e;
}

// A key of the upstream format that exporterd does not implement: reported
// as "not supported by exporterd; <hint>" when present (ConfigReader::
// Unsupported), shown so in the reference.
template <class T>
typename ConfigMap<T>::Entry Unsupported(std::string name, std::string hint) {
  typename ConfigMap<T>::Entry e;
  e.name = name;
  e.type = "not supported";
  e.doc =
      "Not supported by exporterd" + (hint.empty() ? "" : "; " + hint) + ".";
  e.read = [name, hint](ConfigReader& r, T*) { r.Unsupported(name, hint); };
  return e;
}

}  // namespace exporterd

#endif  // EXPORTERD_CONFIG_MAP_H_
