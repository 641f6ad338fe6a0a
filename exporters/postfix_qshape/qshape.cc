#include "qshape.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace postfix_qshape {
namespace {

// log(2) from the same libm call Perl makes (not folded by the compiler).
double Ln2() {
  static const double ln2 = [] {
    volatile double two = 2.0;
    return std::log(two);
  }();
  return ln2;
}

// Perl's string form of a number: integers as integers, others as %.15g.
std::string PerlNumberString(double v) {
  char buf[64];
  if (v == std::trunc(v) && std::fabs(v) < 9.2e18)
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  else
    std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

}  // namespace

int BucketSpec::Bucket(double now, double arrival) const {
  double m = (now - arrival) / (60 * minutes);
  if (m < 1) return 1;
  double b = linear ? std::trunc(m + 1) : 2 + std::trunc(std::log(m) / Ln2());
  if (!(b < count)) return count;  // also NaN and infinities
  return static_cast<int>(b);
}

std::vector<std::string> BucketSpec::Headings() const {
  std::vector<std::string> heads;
  heads.reserve(static_cast<size_t>(count) + 1);
  heads.push_back("T");
  // qshape: t starts at 0 and grows by `minutes` (linear, or for the first
  // step) or doubles; the last heading repeats the previous one with "+".
  double t = 0;
  for (int i = 1; i <= count; ++i) {
    if (i < count) {
      t += (t != 0 && !linear) ? t : minutes;
      heads.push_back(PerlNumberString(t));
    } else {
      heads.push_back(PerlNumberString(t) + "+");
    }
  }
  return heads;
}

void StripThroughLastAt(std::string* s) {
  // Perl: s/.*\@// -- '.' stops at newlines, so this removes, on the first
  // line that has an '@', everything up to that line's last '@'.
  size_t first_at = s->find('@');
  if (first_at == std::string::npos) return;
  size_t nl_before = s->rfind('\n', first_at);
  size_t begin = nl_before == std::string::npos ? 0 : nl_before + 1;
  size_t nl_after = s->find('\n', first_at);
  size_t last_at = s->rfind(
      '@', nl_after == std::string::npos ? std::string::npos : nl_after - 1);
  s->erase(begin, last_at + 1 - begin);
}

void CollapseDoubleDots(std::string* s) {
  // Perl: s/\.\././g
  size_t out = 0;
  for (size_t i = 0; i < s->size(); ++i, ++out) {
    (*s)[out] = (*s)[i];
    if ((*s)[i] == '.' && i + 1 < s->size() && (*s)[i + 1] == '.') ++i;
  }
  s->resize(out);
}

void StripOneDot(std::string* s) {
  // Perl: s/\.?(.+?)\.?$/$1/
  if (s->find('\n') != std::string::npos) return StripOneDotReference(s);
  size_t n = s->size();
  if (n == 0) return;
  size_t begin = (n >= 2 && (*s)[0] == '.') ? 1 : 0;
  size_t end = (n - 1 >= begin + 1 && (*s)[n - 1] == '.') ? n - 1 : n;
  if (begin > 0 || end < n) *s = s->substr(begin, end - begin);
}

void StripOneDotReference(std::string* s) {
  const std::string& str = *s;
  const size_t n = str.size();
  auto at_end = [&](size_t i) {
    return i == n || (i + 1 == n && str[i] == '\n');
  };
  for (size_t p = 0; p < n; ++p) {
    for (int lead = (str[p] == '.') ? 1 : 0; lead >= 0; --lead) {
      size_t a = p + static_cast<size_t>(lead);
      for (size_t e = a + 1; e <= n; ++e) {
        if (str[e - 1] == '\n') break;  // '.' does not match a newline
        size_t match_end;
        if (e < n && str[e] == '.' && at_end(e + 1))
          match_end = e + 1;
        else if (at_end(e))
          match_end = e;
        else
          continue;
        *s = str.substr(0, p) + str.substr(a, e - a) + str.substr(match_end);
        return;
      }
    }
  }
}

void DomainKey(std::string_view address, std::string* out) {
  out->assign(address);
  for (char& c : *out)
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
  if (out->empty()) {
    *out = "MAILER-DAEMON";
    return;
  }
  StripThroughLastAt(out);
  CollapseDoubleDots(out);
  StripOneDot(out);
}

std::string DomainKey(std::string_view address) {
  std::string out;
  DomainKey(address, &out);
  return out;
}

std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t min = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      len = 2, min = 0x80, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3, min = 0x800, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4, min = 0x10000, cp = c & 0x07;
    }
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)))
      ok = false;
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out.append("\xef\xbf\xbd");
      ++i;
    }
  }
  return out;
}

uint32_t KeyInterner::Intern(std::string_view key) {
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(names_.size());
  names_.emplace_back(key);
  ids_.emplace(names_.back(), id);
  return id;
}

void ShapeTable::Add(uint32_t key, int bucket) {
  if (key >= row_of_.size()) row_of_.resize(key + 1, 0);
  uint32_t& row = row_of_[key];
  if (row == 0) {
    row_keys_.push_back(key);
    row = static_cast<uint32_t>(row_keys_.size());
    counts_.resize(counts_.size() + width_, 0);
  }
  int64_t* c = &counts_[(row - 1) * width_];
  ++c[0];
  ++c[static_cast<size_t>(bucket)];
  ++total_;
}

std::vector<ShapeTable::Row> ShapeTable::Rows(size_t max_domains) const {
  std::vector<Row> rows;
  rows.reserve(row_keys_.size());
  std::map<std::string, size_t> merged;  // only when a name is not UTF-8
  for (size_t r = 0; r < row_keys_.size(); ++r) {
    const std::string& key = keys_->Name(row_keys_[r]);
    // qshape counts keys starting with "." (a domain like "." from
    // "user@.") in its TOTAL row but does not print them. We export them, so
    // that the rows of a queue always sum to qshape's TOTAL.
    std::string name = ValidUtf8(key);
    const int64_t* c = &counts_[r * width_];
    if (name != key || !merged.empty()) {
      if (merged.empty())
        for (size_t k = 0; k < rows.size(); ++k) merged[rows[k].domain] = k;
      auto [it, fresh] = merged.emplace(name, rows.size());
      if (!fresh) {
        for (size_t b = 0; b < width_; ++b) rows[it->second].buckets[b] += c[b];
        continue;
      }
    }
    rows.push_back({std::move(name), std::vector<int64_t>(c, c + width_)});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.total() != b.total()) return a.total() > b.total();
    if (a.domain.size() != b.domain.size())
      return a.domain.size() < b.domain.size();
    return a.domain < b.domain;
  });
  if (max_domains == 0 || rows.size() <= max_domains) return rows;
  Row other{kOtherDomain, std::vector<int64_t>(width_, 0)};
  for (size_t r = max_domains; r < rows.size(); ++r)
    for (size_t b = 0; b < width_; ++b) other.buckets[b] += rows[r].buckets[b];
  rows.resize(max_domains);
  for (Row& row : rows) {
    if (row.domain == kOtherDomain) {
      for (size_t b = 0; b < width_; ++b) row.buckets[b] += other.buckets[b];
      return rows;
    }
  }
  rows.push_back(std::move(other));
  return rows;
}

void ToFacts(const QueueEnvelope& env, KeyInterner* keys, std::string* scratch,
             FileFacts* out) {
  out->status = env.status;
  out->recipients.clear();
  out->arrival_time = env.arrival_time;
  if (env.status == ParseStatus::kNotQueueFile) {
    out->arrival_time = 0;
    out->sender = keys->Intern("MAILER-DAEMON");
    return;
  }
  if (env.status != ParseStatus::kOk) {
    out->sender = 0;
    return;
  }
  DomainKey(env.sender, scratch);
  out->sender = keys->Intern(*scratch);
  out->recipients.reserve(env.recipient_count());
  for (size_t i = 0; i < env.recipient_count(); ++i) {
    DomainKey(env.recipient(i), scratch);
    out->recipients.push_back(keys->Intern(*scratch));
  }
}

void QueueSummary::Add(const FileFacts& f, double now, int64_t file_size) {
  switch (f.status) {
    case ParseStatus::kOk:
      break;
    case ParseStatus::kNoRecipients:
      ++all_delivered;
      return;
    case ParseStatus::kNotQueueFile:
      ++unreadable;
      if (with_senders) senders.Add(f.sender, spec.Bucket(now, f.arrival_time));
      return;
    case ParseStatus::kMalformed:
      ++unreadable;
      return;
  }
  int bucket = spec.Bucket(now, f.arrival_time);
  for (uint32_t r : f.recipients) recipients.Add(r, bucket);
  if (with_senders) senders.Add(f.sender, bucket);
  ++messages;
  recipient_count += static_cast<int64_t>(f.recipients.size());
  size_bytes += file_size;
  if (std::isfinite(f.arrival_time) && f.arrival_time < oldest_arrival)
    oldest_arrival = f.arrival_time;
}

void QueueSummary::Add(const QueueEnvelope& env, double now,
                       int64_t file_size) {
  ToFacts(env, keys_, &key_, &facts_);
  Add(facts_, now, file_size);
}

}  // namespace postfix_qshape
