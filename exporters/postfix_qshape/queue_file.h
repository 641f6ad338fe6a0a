// Postfix queue file parser: bytes in, envelope out, no I/O.
//
// Reads a queue file the way qshape's qenv() does, so the counts built from
// it match qshape's exactly: same record reader (1 type byte, up to 3
// little-endian base-128 length bytes), same first-record rules (C then T,
// or a legacy S/F maildrop file), pointer records followed, content skipped
// by the C record's size or scanned until X, and every R record (recipient
// still to deliver) collected until E. Delivered recipients were rewritten to
// D by Postfix and are not collected.
//
// Deliberate differences (ParseOptions::strict_qshape = false, the default):
// a file whose first record is T (a maildrop file written by postdrop) is
// parsed instead of being mistaken for a sender-less message, and a pointer
// loop is reported as malformed (qshape loops forever). Never crashes on any
// input.
#ifndef EXPORTERS_POSTFIX_QSHAPE_QUEUE_FILE_H_
#define EXPORTERS_POSTFIX_QSHAPE_QUEUE_FILE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace postfix_qshape {

// Random access to a file's bytes. The parser reads forward and seeks.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Bytes starting at `offset`: at least min(n, bytes left) of them, possibly
  // more; empty at or past the end. Valid until the next call. Sets *eof
  // when the bytes returned reach the end of the file.
  virtual std::string_view Read(uint64_t offset, size_t n, bool* eof) = 0;
};

// A ByteSource over bytes in memory.
class MemorySource : public ByteSource {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  std::string_view Read(uint64_t offset, size_t, bool* eof) override {
    *eof = true;
    return offset < bytes_.size() ? bytes_.substr(offset) : std::string_view();
  }

 private:
  std::string_view bytes_;
};

struct ParseOptions {
  // Reproduce qshape's handling of files whose first record is not C, S or
  // F (status kNotQueueFile instead of parsing T-first maildrop files).
  bool strict_qshape = false;
  // Backward pointer jumps allowed per file (Postfix's own limit).
  int max_backward_jumps = 10000;
  // Records read per file before giving up (guards hostile files).
  int64_t max_records = 16 << 20;
  // Recipient bytes kept per file before giving up.
  size_t max_recipient_bytes = 256u << 20;
};

enum class ParseStatus {
  kOk,            // a message with at least one recipient left to deliver
  kNoRecipients,  // complete, but every recipient is done: qshape skips it
  kNotQueueFile,  // strict mode: first record not C/S/F (qshape's quirk)
  kMalformed,     // truncated, garbage, pointer loop, ...
};

const char* ParseStatusName(ParseStatus s);

struct QueueEnvelope {
  ParseStatus status = ParseStatus::kMalformed;
  const char* error = "";  // why kMalformed; a static string
  // Arrival time in seconds since the epoch: the T record's first field as
  // Perl would read it as a number, or the file's mtime for legacy maildrop
  // files that start with S or F.
  double arrival_time = 0;
  bool time_from_mtime = false;
  std::string sender;  // the last S record; empty for the null sender
  // The C record's first field (content size), -1 when absent.
  int64_t content_size = -1;

  size_t recipient_count() const { return rcpt_ends_.size(); }
  std::string_view recipient(size_t i) const {
    size_t begin = i == 0 ? 0 : rcpt_ends_[i - 1];
    return std::string_view(rcpt_bytes_).substr(begin, rcpt_ends_[i] - begin);
  }
  void AddRecipient(std::string_view r) {
    rcpt_bytes_.append(r);
    rcpt_ends_.push_back(rcpt_bytes_.size());
  }
  size_t recipient_bytes() const { return rcpt_bytes_.size(); }
  // Resets all fields, keeping allocated memory.
  void Clear();

 private:
  std::string rcpt_bytes_;
  std::vector<size_t> rcpt_ends_;
};

// Parses one queue file. `mtime` is used only for legacy S/F-first files.
void ParseQueueFile(ByteSource& src, int64_t mtime, const ParseOptions& opts,
                    QueueEnvelope* out);
void ParseQueueFile(std::string_view bytes, int64_t mtime,
                    const ParseOptions& opts, QueueEnvelope* out);

// Perl's numeric value of a string ("  123abc" -> 123, "x" -> 0, "1e3" ->
// 1000, "inf"/"nan" recognised), as qshape uses T and p record data.
double PerlNumber(std::string_view s);

// Appends one record (type, base-128 length, data) as Postfix writes it.
// For tests and tools.
void AppendRecord(std::string* out, char type, std::string_view data);

}  // namespace postfix_qshape

#endif  // EXPORTERS_POSTFIX_QSHAPE_QUEUE_FILE_H_
