#include "test_util.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "snmp_config.h"

namespace exporterd::snmp::testing {

std::string TestPath(const std::string& relative) {
  return std::string(SNMP_TEST_DIR) + "/" + relative;
}

std::string ReadTestFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

bool StartsWith(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

uint64_t ToU64(std::string_view s) {
  uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size())
    throw std::runtime_error("bad number: " + std::string(s));
  return v;
}

void AppendHex(std::string_view s, std::string* out) {
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n')) ++i;
    if (i >= s.size()) break;
    if (i + 2 > s.size()) throw std::runtime_error("bad hex");
    out->push_back(
        static_cast<char>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
    i += 2;
  }
}

}  // namespace

std::vector<Varbind> ParseCapture(std::string_view text) {
  std::vector<Varbind> out;
  std::vector<std::string> lines;
  {
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      lines.emplace_back(text.substr(pos, nl - pos));
      pos = nl + 1;
    }
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find(" = ");
    if (line[0] != '.' || eq == std::string_view::npos)
      throw std::runtime_error("unexpected capture line: " + lines[i]);
    Varbind vb;
    auto oid = ParseOid(line.substr(0, eq));
    if (!oid) throw std::runtime_error("bad OID: " + lines[i]);
    vb.oid = *oid;
    std::string_view v = line.substr(eq + 3);
    if (v == "\"\"") {
      vb.type = PduType::kOctetString;
    } else if (StartsWith(v, "INTEGER: ")) {
      vb.type = PduType::kInteger;
      vb.int_value = std::stoll(std::string(v.substr(9)));
    } else if (StartsWith(v, "Gauge32: ")) {
      vb.type = PduType::kGauge32;
      vb.uint_value = ToU64(v.substr(9));
    } else if (StartsWith(v, "Counter32: ")) {
      vb.type = PduType::kCounter32;
      vb.uint_value = ToU64(v.substr(11));
    } else if (StartsWith(v, "Counter64: ")) {
      vb.type = PduType::kCounter64;
      vb.uint_value = ToU64(v.substr(11));
    } else if (StartsWith(v, "Timeticks: (")) {
      vb.type = PduType::kTimeTicks;
      vb.uint_value = ToU64(v.substr(12, v.find(')') - 12));
    } else if (StartsWith(v, "Hex-STRING: ")) {
      vb.type = PduType::kOctetString;
      AppendHex(v.substr(12), &vb.bytes);
      // Continuation lines: hex pairs only.
      while (i + 1 < lines.size() && !lines[i + 1].empty() &&
             lines[i + 1][0] != '.' && lines[i + 1][0] != '#') {
        AppendHex(lines[++i], &vb.bytes);
      }
    } else if (StartsWith(v, "OID: ")) {
      vb.type = PduType::kObjectId;
      auto o = ParseOid(v.substr(5));
      if (!o) throw std::runtime_error("bad OID value: " + lines[i]);
      vb.oid_value = *o;
    } else if (StartsWith(v, "IpAddress: ")) {
      vb.type = PduType::kIpAddress;
      std::string_view a = v.substr(11);
      size_t p = 0;
      for (int k = 0; k < 4; ++k) {
        size_t dot = a.find('.', p);
        if (dot == std::string_view::npos) dot = a.size();
        vb.bytes.push_back(static_cast<char>(ToU64(a.substr(p, dot - p))));
        p = dot + 1;
      }
    } else if (StartsWith(v, "Opaque: Float: ")) {
      vb.type = PduType::kOpaqueFloat;
      vb.float_value = std::strtof(std::string(v.substr(15)).c_str(), nullptr);
    } else if (StartsWith(v, "Opaque: Double: ")) {
      vb.type = PduType::kOpaqueDouble;
      vb.float_value = std::strtod(std::string(v.substr(16)).c_str(), nullptr);
    } else if (StartsWith(v, "NULL")) {
      vb.type = PduType::kNull;
    } else if (StartsWith(v, "No Such Object")) {
      vb.type = PduType::kNoSuchObject;
    } else if (StartsWith(v, "No Such Instance")) {
      vb.type = PduType::kNoSuchInstance;
    } else if (StartsWith(v, "No more variables")) {
      vb.type = PduType::kEndOfMibView;
    } else {
      throw std::runtime_error("unknown capture value: " + lines[i]);
    }
    out.push_back(std::move(vb));
  }
  return out;
}

std::string GoFloat(double v) {
  if (v == 1) return "1";
  if (v == 0) return "0";
  if (v == -1) return "-1";
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Shortest round-trip digits; Go's 'g' with precision -1 then picks %e
  // when the decimal exponent is < -4 or >= 6 (strconv/ftoa.go: "if
  // shortest { eprec = 6 }").
  char buf[64];
  auto r =
      std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, r.ptr);  // d.ddde+XX
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  int exp = std::stoi(sci.substr(e + 1));
  std::string digits;
  for (char c : mant)
    if (c != '.') digits.push_back(c);
  const int nd = static_cast<int>(digits.size());
  std::string out = neg ? "-" : "";
  const int eprec = 6;
  if (exp < -4 || exp >= eprec) {
    out += digits.substr(0, 1);
    if (nd > 1) out += "." + digits.substr(1);
    out += exp < 0 ? "e-" : "e+";
    int a = std::abs(exp);
    if (a < 10) out += "0";
    out += std::to_string(a);
    return out;
  }
  if (exp < 0) {
    out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  } else if (nd <= exp + 1) {
    out += digits + std::string(static_cast<size_t>(exp + 1 - nd), '0');
  } else {
    out += digits.substr(0, static_cast<size_t>(exp + 1)) + "." +
           digits.substr(static_cast<size_t>(exp + 1));
  }
  return out;
}

namespace {

void EscapeHelp(std::string_view s, std::string* out) {
  for (char c : s) {
    if (c == '\\')
      *out += "\\\\";
    else if (c == '\n')
      *out += "\\n";
    else
      out->push_back(c);
  }
}

void EscapeValue(std::string_view s, std::string* out) {
  for (char c : s) {
    if (c == '\\')
      *out += "\\\\";
    else if (c == '\n')
      *out += "\\n";
    else if (c == '"')
      *out += "\\\"";
    else
      out->push_back(c);
  }
}

}  // namespace

std::string GoText(const std::vector<prometheus::MetricFamily>& families) {
  std::string out;
  for (const auto& f : families) {
    if (f.metric.empty()) continue;
    out += "# HELP " + f.name + " ";
    EscapeHelp(f.help, &out);
    out += "\n# TYPE " + f.name + " ";
    out += f.type == prometheus::MetricType::Counter ? "counter" : "gauge";
    out += "\n";
    for (const auto& m : f.metric) {
      out += f.name;
      if (!m.label.empty()) {
        out += "{";
        for (size_t i = 0; i < m.label.size(); ++i) {
          if (i) out += ",";
          out += m.label[i].name + "=\"";
          EscapeValue(m.label[i].value, &out);
          out += "\"";
        }
        out += "}";
      }
      out += " ";
      out += GoFloat(f.type == prometheus::MetricType::Counter ? m.counter.value
                                                               : m.gauge.value);
      out += "\n";
    }
  }
  return out;
}

std::string WithoutScrapeFamilies(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    std::string_view name = line;
    if (StartsWith(name, "# HELP ") || StartsWith(name, "# TYPE "))
      name = name.substr(7);
    if (StartsWith(name, "snmp_scrape_")) continue;
    out.append(line);
    out.push_back('\n');
  }
  return out;
}

}  // namespace exporterd::snmp::testing
