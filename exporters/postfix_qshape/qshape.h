// qshape's tables: domain keys, age buckets and per-domain counts. Pure.
#ifndef EXPORTERS_POSTFIX_QSHAPE_QSHAPE_H_
#define EXPORTERS_POSTFIX_QSHAPE_QSHAPE_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "queue_file.h"

namespace postfix_qshape {

// qshape's -t, -b and -l.
struct BucketSpec {
  double minutes = 5;   // -t: the first bucket's age limit
  int count = 10;       // -b: number of buckets
  bool linear = false;  // -l: multiples of `minutes` instead of doubling

  // qshape's bucket(): 1..count for a message that arrived at `arrival`,
  // seen at `now` (both in seconds). Ages below `minutes` (and negative
  // ages) give 1; the last bucket is open-ended.
  int Bucket(double now, double arrival) const;
  // qshape's column headings: [0] is "T" (the total), [1..count] the upper
  // age limits in minutes, the last one with "+" ("5" ... "1280", "1280+").
  std::vector<std::string> Headings() const;
};

// The row key qshape counts an address under: ASCII lower-cased; the empty
// address (null sender) becomes "MAILER-DAEMON"; everything up to the last
// '@' removed; each ".." replaced by "." once; then one leading and one
// trailing dot removed. IP literals ("[1.2.3.4]") are kept as they are.
void DomainKey(std::string_view address, std::string* out);
std::string DomainKey(std::string_view address);

// The two dot rules of DomainKey alone, on already lower-cased text. Exposed
// for tests; handles embedded newlines the way Perl's regexes do.
void StripThroughLastAt(std::string* s);
void CollapseDoubleDots(std::string* s);
void StripOneDot(std::string* s);
// StripOneDot for any input via a literal emulation of the regex (slow).
void StripOneDotReference(std::string* s);

// Replaces invalid UTF-8 with U+FFFD (label values must be UTF-8).
std::string ValidUtf8(std::string_view s);

inline constexpr char kOtherDomain[] = "__other__";

// Domain keys as small integers, so tables and the file cache store ids.
class KeyInterner {
 public:
  uint32_t Intern(std::string_view key);
  const std::string& Name(uint32_t id) const { return names_[id]; }
  size_t size() const { return names_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>()(s);
    }
  };
  struct Eq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const {
      return a == b;
    }
  };
  std::unordered_map<std::string, uint32_t, Hash, Eq> ids_;
  std::vector<std::string> names_;
};

// Counts per domain key and bucket.
class ShapeTable {
 public:
  ShapeTable(int buckets, KeyInterner* keys)
      : width_(static_cast<size_t>(buckets) + 1), keys_(keys) {}

  void Add(uint32_t key, int bucket);
  void Add(std::string_view key, int bucket) {
    Add(keys_->Intern(key), bucket);
  }

  struct Row {
    std::string domain;            // valid UTF-8
    std::vector<int64_t> buckets;  // [0] total, [1..count] per bucket
    int64_t total() const { return buckets[0]; }
  };
  // Rows ordered by total (descending), then domain. Keys that start with
  // "." (from addresses like user@...x) are left out, as qshape prints such
  // rows only for its -p parent domains; total() still counts them. With
  // max_domains > 0, only that many rows are kept and the rest are summed
  // into one row named "__other__" (added to a real "__other__" row if one
  // is kept).
  std::vector<Row> Rows(size_t max_domains) const;

  size_t domains() const { return row_keys_.size(); }
  int64_t total() const { return total_; }

 private:
  size_t width_;
  KeyInterner* keys_;
  std::vector<uint32_t> row_of_;    // key id -> row + 1 (0: none yet)
  std::vector<uint32_t> row_keys_;  // row -> key id
  std::vector<int64_t> counts_;     // row_keys_.size() rows of width_
  int64_t total_ = 0;
};

// A parsed queue file reduced to what the tables need (and what the file
// cache keeps between scrapes).
struct FileFacts {
  ParseStatus status = ParseStatus::kMalformed;
  double arrival_time = 0;
  uint32_t sender = 0;               // key id
  std::vector<uint32_t> recipients;  // key ids, one per R record
};

// Fills *out from a parsed envelope. kNotQueueFile becomes qshape's phantom:
// sender MAILER-DAEMON, arrival time 0.
void ToFacts(const QueueEnvelope& env, KeyInterner* keys, std::string* scratch,
             FileFacts* out);

// One queue's tables and totals.
struct QueueSummary {
  QueueSummary(const BucketSpec& bucket_spec, bool count_senders,
               KeyInterner* keys)
      : spec(bucket_spec),
        with_senders(count_senders),
        recipients(bucket_spec.count, keys),
        senders(bucket_spec.count, keys),
        keys_(keys) {}

  // Adds one file seen at `now`: kOk messages count; files that are neither
  // kOk nor kNoRecipients count as unreadable; kNotQueueFile (strict mode)
  // also counts as qshape -s counts it: a MAILER-DAEMON sender that arrived
  // at time 0.
  void Add(const FileFacts& f, double now, int64_t file_size);
  void Add(const QueueEnvelope& env, double now, int64_t file_size);

  BucketSpec spec;
  bool with_senders;
  ShapeTable recipients;
  ShapeTable senders;
  int64_t files = 0;  // regular files with queue-id names, any mode
  int64_t messages = 0;
  int64_t recipient_count = 0;
  int64_t size_bytes = 0;
  int64_t unreadable = 0;
  int64_t all_delivered = 0;
  double oldest_arrival = std::numeric_limits<double>::infinity();

 private:
  KeyInterner* keys_;
  FileFacts facts_;  // scratch
  std::string key_;  // scratch
};

}  // namespace postfix_qshape

#endif  // EXPORTERS_POSTFIX_QSHAPE_QSHAPE_H_
