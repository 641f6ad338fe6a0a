// The I/O: walks one Postfix queue directory the way qshape's File::Find
// walk does (recursively, hashed subdirectories of any depth, symlinks not
// followed), selects files as qshape's qenv() does, reads and parses them.
#ifndef EXPORTERS_POSTFIX_QSHAPE_QUEUE_WALK_H_
#define EXPORTERS_POSTFIX_QSHAPE_QUEUE_WALK_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "qshape.h"
#include "queue_file.h"

namespace postfix_qshape {

struct WalkOptions {
  ParseOptions parse;
  // qshape's own file selection: skip forced-expire files (mode 0710) and
  // treat a queue directory that is a symlink as empty.
  bool strict_qshape = false;
  std::chrono::steady_clock::time_point deadline =
      std::chrono::steady_clock::time_point::max();
  const std::atomic<bool>* cancelled = nullptr;
  int max_depth = 32;  // subdirectory levels below the queue directory
  // Files whose ctime is younger than this are parsed but not cached.
  int64_t cache_min_age_ns = 2000000000;
};

// What a walk saw, for Debug().
struct WalkStats {
  int64_t directories = 0;
  int64_t candidates = 0;  // names that look like queue ids
  int64_t not_ready = 0;   // skipped by the mode test (being written, ...)
  int64_t vanished = 0;    // renamed or removed while we looked
  int64_t parsed = 0;      // files read and parsed
  int64_t cached = 0;      // files unchanged since an earlier scrape
  int64_t malformed = 0;
  std::string last_malformed;  // "path: reason"
};

// Parsed files kept between scrapes, per directory and by inode. An entry is
// used again while the file's ctime and size are unchanged: every write,
// chmod, utime() or rename Postfix does to a queue file moves its ctime.
// Files changed less than two seconds before they were read are not kept,
// so a change within the same timestamp tick cannot hide.
//
// Each directory's entries are kept in the order the last walk met them:
// readdir() returns an unchanged directory in the same order, so the next
// file is almost always the next entry, and a 100k-file walk reads the cache
// front to back instead of hashing into it. Entries of files a complete walk
// of their directory did not meet are dropped with it.
class FileCache {
 public:
  KeyInterner* keys() { return &keys_; }
  size_t size() const { return size_; }

  // Call around each scrape; EndScrape(true) drops directories not seen
  // since BeginScrape() and compacts the key table when it is mostly garbage
  // (checked when it has grown or the cache has shrunk). Key ids from before
  // EndScrape() may be invalid after it.
  void BeginScrape() { ++generation_; }
  void EndScrape(bool complete);

  bool use_noatime = true;  // cleared when O_NOATIME is refused

 private:
  friend class QueueWalker;
  struct Id {
    uint64_t dev, ino;
    bool operator==(const Id& o) const { return dev == o.dev && ino == o.ino; }
  };
  struct IdHash {
    size_t operator()(const Id& i) const {
      return std::hash<uint64_t>()(i.ino * 0x9e3779b97f4a7c15ull ^ i.dev);
    }
  };
  struct Entry {
    uint64_t ino;  // 0: taken by the walk in progress
    int64_t ctime_ns;
    int64_t size;
    const char* error;
    FileFacts facts;
  };
  struct Dir {
    uint32_t seen = 0;
    std::vector<Entry> entries;  // in the order the last walk met them
  };
  std::unordered_map<Id, Dir, IdHash> dirs_;  // by the directory's dev/ino
  size_t size_ = 0;
  KeyInterner keys_;
  size_t compact_above_ = 4096;  // key-table size that triggers a check
  size_t size_at_check_ = 0;     // entries at the last check
  uint32_t generation_ = 0;
};

// qshape's name test: at least 6 ASCII letters or digits (plus an optional
// trailing newline, which Perl's "$" allows).
bool IsQueueFileName(std::string_view name);
// qshape's mode test: (mode & 0733) == 0700. Not strict: the forced-expire
// bit (S_IXGRP, postsuper -e/-f) is allowed too.
bool IsReadyMode(mode_t mode, bool strict);

// One scrape's walker; not thread-safe. `cache` must outlive it.
class QueueWalker {
 public:
  QueueWalker(const WalkOptions& opts, FileCache* cache)
      : opts_(opts), cache_(cache) {}

  // Adds every queue file under the directory `path` to *out, as seen at
  // `now` (seconds). False when the queue directory is missing or anything
  // in it is unreadable for lack of permission, or on the deadline; *error
  // then says what ("cannot read <path>: <reason>", "deadline exceeded").
  // Files that vanish or change during the walk are not errors.
  bool Walk(const std::string& path, double now, QueueSummary* out,
            WalkStats* stats, std::string* error);

 private:
  // The cache entries of the directory being walked: `old` as the last walk
  // left them, `fresh` in this walk's order.
  struct DirState {
    FileCache::Dir* dir;
    std::vector<FileCache::Entry> old;
    size_t cursor = 0;
    std::unordered_map<uint64_t, size_t> index;  // ino -> old, built on a miss
    FileCache::Entry* Find(uint64_t ino);
  };
  bool WalkDir(int fd, int depth);
  bool ReadQueueFile(int dirfd, const char* name, const struct stat& st,
                     DirState* ds);
  bool Expired();
  void Fail(std::string msg);
  void FailErrno(int err);

  WalkOptions opts_;
  FileCache* cache_;
  std::vector<char> buffer_;
  QueueEnvelope env_;
  FileFacts facts_;
  std::string key_;      // scratch
  int64_t wall_ns_ = 0;  // real time at the start of the walk
  std::string path_;     // of the entry being looked at
  double now_ = 0;
  QueueSummary* out_ = nullptr;
  WalkStats* stats_ = nullptr;
  std::string* error_ = nullptr;
  uint32_t tick_ = 0;
};

// "cannot read <path>: <strerror>", with a hint for permission errors.
std::string CannotRead(const std::string& path, int err);

}  // namespace postfix_qshape

#endif  // EXPORTERS_POSTFIX_QSHAPE_QUEUE_WALK_H_
