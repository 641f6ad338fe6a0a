#include "queue_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <memory>
#include <system_error>

namespace postfix_qshape {
namespace {

constexpr size_t kChunk = 64 * 1024;

// Reads a queue file through pread() into a reused buffer: small files in
// one call, large ones in windows around the records the parser wants.
class FileSource : public ByteSource {
 public:
  FileSource(int fd, std::vector<char>* buf) : fd_(fd), buf_(buf) {}

  std::string_view Read(uint64_t offset, size_t n, bool* eof) override {
    size_t want = std::max(n, kChunk);
    if (buf_->size() < want) buf_->resize(want);
    size_t got = 0;
    *eof = false;
    while (got < want) {
      ssize_t r = pread(fd_, buf_->data() + got, want - got,
                        static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {  // end of file, or an I/O error: parses as truncated
        *eof = true;
        break;
      }
      got += static_cast<size_t>(r);
      // A short read of a regular file means its end; no need to ask again.
      if (got < want && got >= n) {
        *eof = true;
        break;
      }
    }
    return {buf_->data(), got};
  }

 private:
  int fd_;
  std::vector<char>* buf_;
};

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

bool IsPermission(int err) { return err == EACCES || err == EPERM; }

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};

}  // namespace

bool IsQueueFileName(std::string_view name) {
  if (!name.empty() && name.back() == '\n') name.remove_suffix(1);
  return name.size() >= 6 &&
         std::all_of(name.begin(), name.end(), IsAsciiAlnum);
}

bool IsReadyMode(mode_t mode, bool strict) {
  return (mode & (strict ? 0733 : 0723)) == 0700;
}

std::string CannotRead(const std::string& path, int err) {
  std::string m =
      "cannot read " + path + ": " + std::generic_category().message(err);
  if (IsPermission(err))
    m += " (run as postfix or grant read access, see README)";
  return m;
}

void FileCache::EndScrape(bool complete) {
  size_ = 0;
  for (auto it = dirs_.begin(); it != dirs_.end();) {
    if (complete && it->second.seen != generation_) {
      it = dirs_.erase(it);
      continue;
    }
    size_ += it->second.entries.size();
    ++it;
  }
  // Garbage appears only when keys are interned or files go away: look for
  // it only when the table has grown past the last check's mark or the cache
  // has shrunk to half of what it was then, not on every scrape.
  if (!complete ||
      (keys_.size() <= compact_above_ && 2 * size_ >= size_at_check_))
    return;
  size_at_check_ = size_;
  std::vector<bool> used(keys_.size(), false);
  size_t live = 0;
  auto mark = [&](uint32_t k) {
    if (!used[k]) ++live;
    used[k] = true;
  };
  for (const auto& [id, dir] : dirs_) {
    for (const Entry& e : dir.entries) {
      const FileFacts& f = e.facts;
      if (f.status != ParseStatus::kOk &&
          f.status != ParseStatus::kNotQueueFile)
        continue;
      for (uint32_t k : f.recipients) mark(k);
      mark(f.sender);
    }
  }
  compact_above_ = 2 * live + 4096;
  if (keys_.size() <= compact_above_) return;
  // Rebuild the key table with the keys still in use.
  KeyInterner fresh;
  std::vector<uint32_t> remap(keys_.size(), 0);
  for (uint32_t k = 0; k < keys_.size(); ++k)
    if (used[k]) remap[k] = fresh.Intern(keys_.Name(k));
  for (auto& [id, dir] : dirs_) {
    for (Entry& e : dir.entries) {
      if (e.facts.sender < remap.size()) e.facts.sender = remap[e.facts.sender];
      for (uint32_t& k : e.facts.recipients) k = remap[k];
    }
  }
  keys_ = std::move(fresh);
}

FileCache::Entry* QueueWalker::DirState::Find(uint64_t ino) {
  if (cursor < old.size() && old[cursor].ino == ino) return &old[cursor++];
  if (index.empty()) {
    for (size_t i = 0; i < old.size(); ++i)
      if (old[i].ino != 0) index.emplace(old[i].ino, i);
  }
  auto it = index.find(ino);
  if (it == index.end() || old[it->second].ino != ino) return nullptr;
  cursor = it->second + 1;  // the order resumes after an insertion
  return &old[it->second];
}

bool QueueWalker::Walk(const std::string& path, double now, QueueSummary* out,
                       WalkStats* stats, std::string* error) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  wall_ns_ = static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  now_ = now;
  out_ = out;
  stats_ = stats;
  error_ = error;
  error_->clear();
  path_ = path;
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  if (opts_.strict_qshape) flags |= O_NOFOLLOW;
  int fd = open(path.c_str(), flags);
  if (fd < 0) {
    // File::Find does not descend into a top-level symlink.
    if (opts_.strict_qshape && (errno == ELOOP || errno == ENOTDIR))
      return true;
    FailErrno(errno);
    return false;
  }
  return WalkDir(fd, 0);
}

void QueueWalker::Fail(std::string msg) {
  if (error_->empty()) *error_ = std::move(msg);
}

void QueueWalker::FailErrno(int err) { Fail(CannotRead(path_, err)); }

bool QueueWalker::Expired() {
  if ((++tick_ & 63) != 0) return false;
  if ((opts_.cancelled && opts_.cancelled->load(std::memory_order_relaxed)) ||
      std::chrono::steady_clock::now() >= opts_.deadline) {
    Fail("deadline exceeded");
    return true;
  }
  return false;
}

bool QueueWalker::WalkDir(int fd, int depth) {
  std::unique_ptr<DIR, DirCloser> dir(fdopendir(fd));
  if (!dir) {
    int err = errno;
    close(fd);
    FailErrno(err);
    return false;
  }
  ++stats_->directories;
  const int dfd = dirfd(dir.get());
  struct stat dst;
  if (fstat(dfd, &dst) != 0) {
    FailErrno(errno);
    return false;
  }
  DirState ds;
  ds.dir = &cache_->dirs_[{static_cast<uint64_t>(dst.st_dev),
                           static_cast<uint64_t>(dst.st_ino)}];
  ds.dir->seen = cache_->generation_;
  ds.old = std::move(ds.dir->entries);
  ds.dir->entries.clear();
  ds.dir->entries.reserve(ds.old.size());
  // An interrupted walk keeps the entries it did not reach.
  struct KeepUnreached {
    DirState* ds;
    bool done = false;
    ~KeepUnreached() {
      if (done) return;
      for (FileCache::Entry& e : ds->old)
        if (e.ino != 0) ds->dir->entries.push_back(std::move(e));
    }
  } keep{&ds};
  const size_t base_len = path_.size();
  while (struct dirent* ent = readdir(dir.get())) {
    const char* name = ent->d_name;
    if (name[0] == '.' &&
        (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
      continue;
    if (Expired()) return false;
    path_.resize(base_len);
    path_.append("/").append(name);
    const bool candidate = IsQueueFileName(name);
    struct stat st;
    bool is_dir = ent->d_type == DT_DIR;
    if (!is_dir) {
      if (!candidate && ent->d_type != DT_UNKNOWN) continue;
      if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        int err = errno;
        if (err == ENOENT) {
          ++stats_->vanished;
          continue;
        }
        FailErrno(err);
        return false;
      }
      is_dir = S_ISDIR(st.st_mode);
    }
    if (is_dir) {
      if (depth >= opts_.max_depth) continue;
      int sub =
          openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) {
        int err = errno;
        if (err == ENOENT || err == ENOTDIR || err == ELOOP) continue;
        FailErrno(err);
        return false;
      }
      if (!WalkDir(sub, depth + 1)) return false;
      continue;
    }
    if (!candidate) continue;
    ++stats_->candidates;
    if (S_ISREG(st.st_mode)) ++out_->files;
    if (!S_ISREG(st.st_mode) || !IsReadyMode(st.st_mode, opts_.strict_qshape)) {
      ++stats_->not_ready;
      continue;
    }
    if (!ReadQueueFile(dfd, name, st, &ds)) return false;
  }
  path_.resize(base_len);
  keep.done = true;
  return true;
}

bool QueueWalker::ReadQueueFile(int dirfd, const char* name,
                                const struct stat& st, DirState* ds) {
  const int64_t ctime_ns =
      static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  const uint64_t ino = static_cast<uint64_t>(st.st_ino);
  std::vector<FileCache::Entry>& fresh = ds->dir->entries;
  const char* error = nullptr;
  const FileFacts* facts = nullptr;
  FileCache::Entry* hit = ino != 0 ? ds->Find(ino) : nullptr;
  if (hit && hit->ctime_ns == ctime_ns && hit->size == st.st_size) {
    fresh.push_back(std::move(*hit));
    hit->ino = 0;
    facts = &fresh.back().facts;
    error = fresh.back().error;
    ++stats_->cached;
  } else {
    if (hit) hit->ino = 0;  // changed: parsed again below
    int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
    // O_NOATIME: scrapes should not dirty every inode (allowed for the
    // owner or with CAP_FOWNER only).
    int fd = openat(dirfd, name, flags | (cache_->use_noatime ? O_NOATIME : 0));
    if (fd < 0 && errno == EPERM && cache_->use_noatime) {
      cache_->use_noatime = false;
      fd = openat(dirfd, name, flags);
    }
    bool cacheable = false;
    if (fd < 0) {
      int err = errno;
      if (err == ENOENT || err == ELOOP) {
        ++stats_->vanished;
        return true;
      }
      if (IsPermission(err)) {
        FailErrno(err);
        return false;
      }
      // Anything else (EIO, ...): skip it like qshape, but count it.
      env_.Clear();
      env_.error = "cannot open";
    } else {
      FileSource src(fd, &buffer_);
      ParseQueueFile(src, static_cast<int64_t>(st.st_mtim.tv_sec), opts_.parse,
                     &env_);
      close(fd);
      cacheable = wall_ns_ - ctime_ns >= opts_.cache_min_age_ns;
    }
    ++stats_->parsed;
    ToFacts(env_, cache_->keys(), &key_, &facts_);
    error = env_.error;
    facts = &facts_;
    if (cacheable && ino != 0)
      fresh.push_back(
          {ino, ctime_ns, static_cast<int64_t>(st.st_size), error, facts_});
  }
  if (facts->status == ParseStatus::kMalformed ||
      facts->status == ParseStatus::kNotQueueFile) {
    ++stats_->malformed;
    stats_->last_malformed = path_ + ": " + error;
  }
  out_->Add(*facts, now_, static_cast<int64_t>(st.st_size));
  return true;
}

}  // namespace postfix_qshape
