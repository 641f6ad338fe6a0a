#include "queue_file.h"

#include <cmath>
#include <cstdlib>
#include <limits>

namespace postfix_qshape {
namespace {

constexpr uint64_t kMaxOffset = uint64_t{1} << 62;  // "past any end of file"

bool IsPerlSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (AsciiLower(s[i]) != prefix[i]) return false;
  return true;
}

// A Perl number used as a seek position (SvIV: truncation, saturation).
uint64_t SeekPosition(double v) {
  if (!(v > 0)) return 0;
  if (v >= static_cast<double>(kMaxOffset)) return kMaxOffset;
  return static_cast<uint64_t>(v);
}

// The first field of `my ($t) = split(/\s+/, $d)`: Perl adds an implicit
// limit of 2, so only empty data gives no field at all; data starting with
// whitespace gives "".
bool FirstSplitField(std::string_view d, std::string_view* field) {
  if (d.empty()) return false;
  size_t i = 0;
  while (i < d.size() && !IsPerlSpace(d[i])) ++i;
  *field = d.substr(0, i);
  return true;
}

// qshape's /^\s*(\d+)\s+\d+\s+\d+/ on the C record: the first field.
bool ContentSize(std::string_view d, uint64_t* size) {
  size_t i = 0;
  while (i < d.size() && IsPerlSpace(d[i])) ++i;
  size_t digits = i;
  uint64_t v = 0;
  for (; i < d.size() && IsDigit(d[i]); ++i)
    v = v >= kMaxOffset / 10 ? kMaxOffset
                             : v * 10 + static_cast<uint64_t>(d[i] - '0');
  if (i == digits) return false;
  for (int field = 0; field < 2; ++field) {
    size_t sp = i;
    while (i < d.size() && IsPerlSpace(d[i])) ++i;
    if (i == sp) return false;
    size_t dg = i;
    while (i < d.size() && IsDigit(d[i])) ++i;
    if (i == dg) return false;
  }
  *size = v;
  return true;
}

// Sequential record reader with seeks, mirroring qshape's rec_get() on a
// Perl file handle. Caches the window the source last returned.
class RecordReader {
 public:
  explicit RecordReader(ByteSource& src) : src_(src) {}

  // False where rec_get() returns nothing: end of file, a '0' type byte
  // (Perl's getc result "0" is false), more than 3 length bytes, or a short
  // read. A length cut short by the end of the file is kept (a type byte at
  // the very end reads as an empty record), as in qshape.
  bool Next(char* type, std::string_view* data) {
    std::string_view w = View(pos_, 4);
    if (w.empty()) return false;
    char t = w[0];
    ++pos_;
    if (t == '0') return false;
    uint64_t len = 0;
    int shift = 0;
    for (size_t i = 1;; ++i) {
      if (i >= w.size()) break;  // end of file inside the length
      unsigned o = static_cast<unsigned char>(w[i]);
      ++pos_;
      len |= static_cast<uint64_t>(o & 0x7f) << shift;
      if ((o & 0x80) == 0) break;
      shift += 7;
      if (shift > 14) return false;
    }
    *type = t;
    if (len == 0) {
      *data = {};
      return true;
    }
    std::string_view d = View(pos_, len);
    if (d.size() < len) return false;
    *data = d.substr(0, len);
    pos_ += len;
    return true;
  }

  uint64_t pos() const { return pos_; }
  void Seek(uint64_t p) { pos_ = p > kMaxOffset ? kMaxOffset : p; }

 private:
  // At least min(n, bytes left) bytes at `off`.
  std::string_view View(uint64_t off, uint64_t n) {
    if (off >= win_off_ && off - win_off_ <= win_.size()) {
      std::string_view v = win_.substr(off - win_off_);
      if (v.size() >= n || at_end_) return v;
    }
    if (off >= kMaxOffset) return {};
    win_ = src_.Read(off, n, &at_end_);
    win_off_ = off;
    return win_;
  }

  ByteSource& src_;
  uint64_t pos_ = 0;
  uint64_t win_off_ = 0;
  std::string_view win_;
  bool at_end_ = false;  // win_ reaches the end of the file
};

class Parser {
 public:
  Parser(ByteSource& src, const ParseOptions& opts, QueueEnvelope* out)
      : rd_(src), opts_(opts), out_(out) {}

  void Run(int64_t mtime) {
    out_->Clear();
    char r;
    std::string_view d;
    bool have_time = false;
    bool have_sender = false;
    bool have_dlen = false;
    uint64_t dlen = 0;

    bool first = rd_.Next(&r, &d);
    if (first && r == 'C') {
      if (ContentSize(d, &dlen)) {
        have_dlen = true;
        out_->content_size = static_cast<int64_t>(dlen);
      }
      if (!rd_.Next(&r, &d) || r != 'T')
        return Malformed("no T record after C");
      have_time = ParseTime(d);
    } else if (first && (r == 'S' || r == 'F')) {
      // Legacy maildrop file without a T record: qshape uses the mtime.
      out_->arrival_time = static_cast<double>(mtime);
      out_->time_from_mtime = true;
      have_time = true;
      if (r == 'F' && (!rd_.Next(&r, &d) || r != 'S'))
        return Malformed("no S record after F");
      out_->sender.assign(d);
      have_sender = true;
    } else if (first && r == 'T' && !opts_.strict_qshape) {
      // postdrop's maildrop file: T, C (all -1), F, S, ...
      have_time = ParseTime(d);
    } else if (opts_.strict_qshape) {
      out_->status = ParseStatus::kNotQueueFile;
      out_->error = "first record is not C, S or F";
      return;
    } else {
      return Malformed(first ? "first record is not C, T, S or F"
                             : "empty or unreadable first record");
    }

    while (Next(&r, &d)) {
      if (r == 'p') {
        if (!FollowPointer(d)) return;
      } else if (r == 'R') {
        if (out_->recipient_bytes() + d.size() > opts_.max_recipient_bytes)
          return Malformed("too many recipients");
        out_->AddRecipient(d);
      } else if (r == 'S') {
        out_->sender.assign(d);
        have_sender = true;
      } else if (r == 'M') {
        if (!have_sender) return Malformed("content before the sender");
        bool got;
        if (have_dlen) {
          uint64_t p = rd_.pos();
          rd_.Seek(dlen >= kMaxOffset - p ? kMaxOffset : p + dlen);
          got = Next(&r, &d);
        } else {
          while ((got = Next(&r, &d)) && (r == 'N' || r == 'L' || r == 'p')) {
            if (r == 'p' && !FollowPointer(d)) return;
          }
        }
        if (!got || r != 'X') return Malformed("no X record after content");
      } else if (r == 'E') {
        if (!have_time) return Malformed("no arrival time");
        if (!have_sender) return Malformed("no sender");
        out_->status = out_->recipient_count() > 0 ? ParseStatus::kOk
                                                   : ParseStatus::kNoRecipients;
        return;
      }
    }
    if (*out_->error == '\0') Malformed("no E record");
  }

 private:
  bool Next(char* r, std::string_view* d) {
    if (*out_->error) return false;
    if (++records_ > opts_.max_records) {
      Malformed("too many records");
      return false;
    }
    return rd_.Next(r, d);
  }

  // qshape: seek($h, $d, 0) if $d > 0. False (malformed) on a pointer loop.
  bool FollowPointer(std::string_view d) {
    double v = PerlNumber(d);
    if (!(v > 0)) return true;
    uint64_t target = SeekPosition(v);
    if (target < rd_.pos() && ++backward_jumps_ > opts_.max_backward_jumps) {
      Malformed("pointer loop");
      return false;
    }
    rd_.Seek(target);
    return true;
  }

  bool ParseTime(std::string_view d) {
    std::string_view f;
    if (!FirstSplitField(d, &f)) return false;
    out_->arrival_time = PerlNumber(f);
    return true;
  }

  void Malformed(const char* why) {
    out_->status = ParseStatus::kMalformed;
    out_->error = why;
  }

  RecordReader rd_;
  const ParseOptions& opts_;
  QueueEnvelope* out_;
  int64_t records_ = 0;
  int backward_jumps_ = 0;
};

}  // namespace

const char* ParseStatusName(ParseStatus s) {
  switch (s) {
    case ParseStatus::kOk:
      return "ok";
    case ParseStatus::kNoRecipients:
      return "no_recipients";
    case ParseStatus::kNotQueueFile:
      return "not_queue_file";
    case ParseStatus::kMalformed:
      return "malformed";
  }
  return "unknown";
}

void QueueEnvelope::Clear() {
  status = ParseStatus::kMalformed;
  error = "";
  arrival_time = 0;
  time_from_mtime = false;
  sender.clear();
  content_size = -1;
  rcpt_bytes_.clear();
  rcpt_ends_.clear();
}

void ParseQueueFile(ByteSource& src, int64_t mtime, const ParseOptions& opts,
                    QueueEnvelope* out) {
  Parser(src, opts, out).Run(mtime);
}

void ParseQueueFile(std::string_view bytes, int64_t mtime,
                    const ParseOptions& opts, QueueEnvelope* out) {
  MemorySource src(bytes);
  ParseQueueFile(src, mtime, opts, out);
}

double PerlNumber(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && IsPerlSpace(s[i])) ++i;
  size_t start = i;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  std::string_view rest = s.substr(i);
  if (StartsWithNoCase(rest, "inf"))
    return neg ? -std::numeric_limits<double>::infinity()
               : std::numeric_limits<double>::infinity();
  if (StartsWithNoCase(rest, "nan"))
    return std::numeric_limits<double>::quiet_NaN();
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    size_t j = i + 1;
    while (j < s.size() && IsDigit(s[j])) ++j, ++frac_digits;
    if (int_digits + frac_digits > 0) i = j;
  }
  if (int_digits + frac_digits == 0) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    if (j < s.size() && IsDigit(s[j])) {
      while (j < s.size() && IsDigit(s[j])) ++j;
      i = j;
    }
  }
  std::string num(s.substr(start, i - start));
  return std::strtod(num.c_str(), nullptr);
}

void AppendRecord(std::string* out, char type, std::string_view data) {
  out->push_back(type);
  size_t len = data.size();
  do {
    unsigned char b = len & 0x7f;
    len >>= 7;
    if (len) b |= 0x80;
    out->push_back(static_cast<char>(b));
  } while (len);
  out->append(data);
}

}  // namespace postfix_qshape
