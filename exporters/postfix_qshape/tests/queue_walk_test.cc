#include "queue_walk.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <thread>

#include "test_util.h"

namespace postfix_qshape {
namespace {

using testing::CleanupFile;
using testing::MaildropFile;
using testing::Message;
using testing::TempDir;

constexpr double kNow = 1700000000;

struct WalkOutcome {
  bool ok;
  std::string error;
  std::unique_ptr<FileCache> own_cache = std::make_unique<FileCache>();
  QueueSummary sum{BucketSpec(), true, own_cache->keys()};
  WalkStats stats;
};

WalkOutcome WalkIt(const std::string& dir, WalkOptions opts = {}) {
  WalkOutcome o;
  o.own_cache->BeginScrape();
  QueueWalker w(opts, o.own_cache.get());
  o.ok = w.Walk(dir, kNow, &o.sum, &o.stats, &o.error);
  return o;
}

// Walks `dir` with a cache kept by the caller.
struct CachedWalk {
  bool ok;
  std::string error;
  int64_t messages, recipients, unreadable;
  std::vector<ShapeTable::Row> rows;
  WalkStats stats;
};
CachedWalk WalkCached(const std::string& dir, FileCache* cache) {
  WalkOptions opts;
  opts.cache_min_age_ns = 0;  // files written just now may be cached
  cache->BeginScrape();
  QueueSummary sum(BucketSpec(), true, cache->keys());
  CachedWalk w;
  QueueWalker walker(opts, cache);
  w.ok = walker.Walk(dir, kNow, &sum, &w.stats, &w.error);
  w.messages = sum.messages;
  w.recipients = sum.recipient_count;
  w.unreadable = sum.unreadable;
  w.rows = sum.recipients.Rows(0);
  cache->EndScrape(w.ok);
  return w;
}

Message Msg(const std::string& rcpt, int age_seconds = 60) {
  Message m;
  m.arrival = static_cast<int64_t>(kNow) - age_seconds;
  m.recipients = {rcpt};
  return m;
}

TEST(QueueWalkTest, NamesAndModes) {
  EXPECT_TRUE(IsQueueFileName("ABCDEF"));
  EXPECT_TRUE(IsQueueFileName("3C87EA760B6"));
  EXPECT_TRUE(IsQueueFileName("4Pt2mN2VXxznjll"));
  EXPECT_TRUE(IsQueueFileName("ABCDEF\n"));  // Perl's $ before a newline
  EXPECT_FALSE(IsQueueFileName("ABCDE"));
  EXPECT_FALSE(IsQueueFileName("ABC-DEF"));
  EXPECT_FALSE(IsQueueFileName(".ABCDEF"));
  EXPECT_FALSE(IsQueueFileName("ABCDEF\n\n"));
  for (bool strict : {false, true}) {
    EXPECT_TRUE(IsReadyMode(S_IFREG | 0700, strict));
    EXPECT_TRUE(IsReadyMode(S_IFREG | 0744, strict));   // maildrop
    EXPECT_TRUE(IsReadyMode(S_IFREG | 0740, strict));   // fast flush
    EXPECT_FALSE(IsReadyMode(S_IFREG | 0600, strict));  // being written
    EXPECT_FALSE(IsReadyMode(S_IFREG | 0400, strict));  // corrupt
    EXPECT_FALSE(IsReadyMode(S_IFREG | 0701, strict));
    EXPECT_FALSE(IsReadyMode(S_IFREG | 0720, strict));
  }
  EXPECT_TRUE(IsReadyMode(S_IFREG | 0710, false));  // forced expire
  EXPECT_FALSE(IsReadyMode(S_IFREG | 0710, true));  // qshape skips it
}

TEST(QueueWalkTest, SelectsFilesLikeQshape) {
  TempDir t;
  t.Write("deferred/A/AAAAAA1", CleanupFile(Msg("a@one.example")));
  t.Write("deferred/B/BBBBBB1", CleanupFile(Msg("b@two.example")), 0744);
  t.Write("deferred/B/BBBBBB2", CleanupFile(Msg("c@two.example")), 0740);
  t.Write("deferred/C/CCCCCC1", CleanupFile(Msg("d@two.example")), 0710);
  t.Write("deferred/C/CCCCCC2", CleanupFile(Msg("e@skip.example")), 0600);
  t.Write("deferred/C/CCCCCC3", CleanupFile(Msg("f@skip.example")), 0400);
  t.Write("deferred/C/SHORT", CleanupFile(Msg("g@skip.example")));
  t.Write("deferred/C/with.dot1", CleanupFile(Msg("h@skip.example")));
  t.Write("deferred/D/E/F/DEEPER1", CleanupFile(Msg("i@deep.example")));
  t.Write("deferred/TOPLEVEL1", CleanupFile(Msg("j@top.example")));
  t.Write("deferred/TRUNCATED", CleanupFile(Msg("k@x")).substr(0, 40));
  std::filesystem::create_symlink(t.path() + "/deferred/A/AAAAAA1",
                                  t.path() + "/deferred/A/SYMLINK1");
  ASSERT_EQ(mkfifo((t.path() + "/deferred/A/FIFOFIFO").c_str(), 0700), 0);
  t.Mkdir("deferred/NOTAFILE");  // a directory with a queue-id name

  WalkOutcome o = WalkIt(t.path() + "/deferred");
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.sum.messages, 6);  // 0700, 0744, 0740, 0710, deep, top
  EXPECT_EQ(o.sum.unreadable, 1);
  EXPECT_EQ(o.stats.malformed, 1);
  EXPECT_NE(o.stats.last_malformed.find("TRUNCATED: "), std::string::npos);
  EXPECT_EQ(o.stats.not_ready, 4);  // 0600, 0400, symlink, fifo
  EXPECT_EQ(o.sum.files, 9);        // regular files with queue-id names
  EXPECT_EQ(o.stats.directories, 8);

  WalkOptions strict;
  strict.strict_qshape = true;
  strict.parse.strict_qshape = true;
  o = WalkIt(t.path() + "/deferred", strict);
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.sum.messages, 5);  // forced-expire file skipped
}

TEST(QueueWalkTest, MaildropFilesDependOnStrictness) {
  TempDir t;
  t.Write("maildrop/MD0000001", MaildropFile(Msg("x@md.example")), 0744);
  WalkOutcome o = WalkIt(t.path() + "/maildrop");
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.sum.messages, 1);
  EXPECT_EQ(o.sum.recipient_count, 1);
  WalkOptions strict;
  strict.strict_qshape = true;
  strict.parse.strict_qshape = true;
  o = WalkIt(t.path() + "/maildrop", strict);
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.sum.messages, 0);
  EXPECT_EQ(o.sum.unreadable, 1);
  EXPECT_EQ(o.sum.senders.total(), 1);  // qshape -s's phantom MAILER-DAEMON
}

TEST(QueueWalkTest, LargeFilesReadInWindows) {
  TempDir t;
  Message big = Msg("big@large.example");
  big.body.assign(5000, std::string(100, 'x'));  // ~500 KB of content
  big.extracted = {"late@large.example"};
  t.Write("active/LARGE00001", CleanupFile(big));
  big.size_record = false;  // scanned through many windows
  t.Write("active/LARGE00002", CleanupFile(big));
  WalkOutcome o = WalkIt(t.path() + "/active");
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.sum.messages, 2);
  EXPECT_EQ(o.sum.recipient_count, 4);
  EXPECT_EQ(o.sum.unreadable, 0);
  EXPECT_GT(o.sum.size_bytes, 1000000);
}

TEST(QueueWalkTest, MissingQueueIsAnError) {
  TempDir t;
  WalkOutcome o = WalkIt(t.path() + "/nope");
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error,
            "cannot read " + t.path() + "/nope: No such file or directory");
}

TEST(QueueWalkTest, SymlinkedQueueDirectory) {
  TempDir t;
  t.Write("real/AAAAAA1", CleanupFile(Msg("a@one.example")));
  std::filesystem::create_directory_symlink(t.path() + "/real",
                                            t.path() + "/hold");
  WalkOutcome o = WalkIt(t.path() + "/hold");
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.sum.messages, 1);
  WalkOptions strict;
  strict.strict_qshape = true;
  o = WalkIt(t.path() + "/hold", strict);  // File::Find does not follow it
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.sum.messages, 0);
}

// Runs `fn` as an unprivileged user when we are root (root ignores modes).
template <class Fn>
int RunUnprivileged(Fn fn) {
  if (geteuid() != 0) return fn();
  pid_t pid = fork();
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(99);
    _exit(fn());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 98;
}

TEST(QueueWalkTest, PermissionDeniedIsAClearError) {
  TempDir t;
  chmod(t.path().c_str(), 0755);
  t.Write("deferred/A/AAAAAA1", CleanupFile(Msg("a@one.example")));
  chmod((t.path() + "/deferred").c_str(), 0700);
  std::string dir = t.path() + "/deferred";
  int rc = RunUnprivileged([&] {
    WalkOutcome o = WalkIt(dir);
    std::string want = "cannot read " + dir +
                       ": Permission denied (run as postfix or grant read "
                       "access, see README)";
    if (o.ok) return 1;
    if (o.error != want) {
      std::fprintf(stderr, "got: %s\n", o.error.c_str());
      return 2;
    }
    return 0;
  });
  EXPECT_EQ(rc, 0);
  // Readable directories but an unreadable file (what a directory-only ACL
  // gives): also an error, not silently empty.
  chmod(t.path().c_str(), 0755);
  chmod((t.path() + "/deferred").c_str(), 0755);
  chmod((t.path() + "/deferred/A").c_str(), 0755);
  rc = RunUnprivileged([&] {
    WalkOutcome o = WalkIt(dir);
    if (o.ok) return 1;
    return o.error.find("deferred/A/AAAAAA1: Permission denied") !=
                   std::string::npos
               ? 0
               : 2;
  });
  EXPECT_EQ(rc, 0);
}

TEST(QueueWalkTest, DeadlineAndCancel) {
  TempDir t;
  for (int i = 0; i < 200; ++i)
    t.Write("deferred/F/F" + std::to_string(100000 + i),
            CleanupFile(Msg("a@b.example")));
  WalkOptions opts;
  opts.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  WalkOutcome o = WalkIt(t.path() + "/deferred", opts);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error, "deadline exceeded");
  std::atomic<bool> cancelled{true};
  WalkOptions c;
  c.cancelled = &cancelled;
  o = WalkIt(t.path() + "/deferred", c);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error, "deadline exceeded");
  o = WalkIt(t.path() + "/deferred");
  EXPECT_TRUE(o.ok);
  EXPECT_EQ(o.sum.messages, 200);

  // What a timed-out walk parsed is kept for the next one.
  FileCache cache;
  opts.cache_min_age_ns = 0;
  cache.BeginScrape();
  QueueSummary sum(BucketSpec(), true, cache.keys());
  WalkStats stats;
  std::string error;
  EXPECT_FALSE(QueueWalker(opts, &cache)
                   .Walk(t.path() + "/deferred", kNow, &sum, &stats, &error));
  cache.EndScrape(false);
  EXPECT_GT(cache.size(), 0u);
  CachedWalk next = WalkCached(t.path() + "/deferred", &cache);
  ASSERT_TRUE(next.ok);
  EXPECT_EQ(next.stats.cached, static_cast<int64_t>(stats.parsed));
  EXPECT_EQ(next.stats.cached + next.stats.parsed, 200);
  EXPECT_EQ(next.messages, 200);
}

TEST(QueueWalkTest, FilesMovingDuringTheWalkAreNotErrors) {
  // qmgr renames files between queues all the time; walk while a thread
  // moves files back and forth and removes/recreates them.
  TempDir t;
  const int kFiles = 300;
  for (int i = 0; i < kFiles; ++i)
    t.Write("incoming/M" + std::to_string(100000 + i),
            CleanupFile(Msg("a@b.example")));
  t.Mkdir("active");
  std::atomic<bool> stop{false};
  std::thread mover([&] {
    for (int round = 0; !stop; ++round) {
      for (int i = 0; i < kFiles && !stop; ++i) {
        std::string name = "/M" + std::to_string(100000 + i);
        std::string a = t.path() + "/incoming" + name;
        std::string b = t.path() + "/active" + name;
        if (round % 2 == 0)
          std::rename(a.c_str(), b.c_str());
        else
          std::rename(b.c_str(), a.c_str());
      }
    }
  });
  int64_t seen = 0;
  for (int k = 0; k < 30; ++k) {
    for (const char* q : {"incoming", "active"}) {
      WalkOutcome o = WalkIt(t.path() + "/" + q);
      ASSERT_TRUE(o.ok) << o.error;
      EXPECT_EQ(o.sum.unreadable, 0);
      seen += o.sum.messages;
    }
  }
  stop = true;
  mover.join();
  EXPECT_GT(seen, 0);
}

TEST(QueueWalkTest, CacheReusesUnchangedFilesOnly) {
  TempDir t;
  for (int i = 0; i < 50; ++i) {
    Message m = Msg("r" + std::to_string(i) + "@d" + std::to_string(i % 5) +
                    ".example");
    m.recipients.push_back("second@keep.example");
    t.Write("deferred/C/C" + std::to_string(100000 + i), CleanupFile(m));
  }
  t.Write("deferred/C/GARBAGE01", "not a queue file");
  FileCache cache;
  CachedWalk first = WalkCached(t.path() + "/deferred", &cache);
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_EQ(first.stats.parsed, 51);
  EXPECT_EQ(first.stats.cached, 0);
  EXPECT_EQ(first.messages, 50);
  EXPECT_EQ(cache.size(), 51u);

  CachedWalk second = WalkCached(t.path() + "/deferred", &cache);
  EXPECT_EQ(second.stats.parsed, 0);
  EXPECT_EQ(second.stats.cached, 51);
  EXPECT_EQ(second.messages, first.messages);
  EXPECT_EQ(second.unreadable, 1);
  ASSERT_EQ(second.rows.size(), first.rows.size());
  for (size_t i = 0; i < first.rows.size(); ++i) {
    EXPECT_EQ(second.rows[i].domain, first.rows[i].domain);
    EXPECT_EQ(second.rows[i].buckets, first.rows[i].buckets);
  }

  // Delivery rewrites R to D in place: same size, new ctime.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::string path = t.path() + "/deferred/C/C100000";
  std::string bytes = testing::ReadFile(path);
  size_t r = bytes.find(testing::Rec('R', "second@keep.example"));
  ASSERT_NE(r, std::string::npos);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(r));
    f.put('D');
  }
  // And two files go away.
  std::filesystem::remove(t.path() + "/deferred/C/C100001");
  std::filesystem::remove(t.path() + "/deferred/C/C100002");
  CachedWalk third = WalkCached(t.path() + "/deferred", &cache);
  EXPECT_EQ(third.stats.parsed, 1);
  EXPECT_EQ(third.stats.cached, 48);
  EXPECT_EQ(third.messages, 48);
  EXPECT_EQ(third.recipients, 48 * 2 - 1);
  EXPECT_EQ(cache.size(), 49u);
}

// Churn between cached walks: files added, removed, rewritten in place,
// chmod'ed and moved between hashed subdirectories, plus an interrupted walk.
// After every round the cached walk must count exactly what a walk with an
// empty cache counts.
TEST(QueueWalkTest, CachedWalkEqualsFreshWalkUnderChurn) {
  TempDir t;
  const std::string q = t.path() + "/deferred";
  std::mt19937 rng(20261122);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  std::vector<std::string> live;  // relative paths
  int next_id = 100000;
  auto add = [&] {
    Message m = Msg("u@d" + std::to_string(pick(40)) + ".example",
                    60 * (1 + pick(2000)));
    if (pick(3) == 0) m.recipients.push_back("x@second.example");
    std::string rel = std::string("deferred/") + "ABC"[pick(3)] + "/F" +
                      std::to_string(next_id++);
    t.Write(rel, CleanupFile(m));
    live.push_back(rel);
  };
  for (int i = 0; i < 300; ++i) add();
  FileCache cache;
  auto same_as_fresh = [&](const char* round) {
    CachedWalk c = WalkCached(q, &cache);
    ASSERT_TRUE(c.ok) << c.error;
    WalkOutcome f = WalkIt(q);
    ASSERT_TRUE(f.ok) << f.error;
    EXPECT_EQ(c.messages, f.sum.messages) << round;
    EXPECT_EQ(c.recipients, f.sum.recipient_count) << round;
    EXPECT_EQ(c.unreadable, f.sum.unreadable) << round;
    std::vector<ShapeTable::Row> fr = f.sum.recipients.Rows(0);
    ASSERT_EQ(c.rows.size(), fr.size()) << round;
    for (size_t i = 0; i < fr.size(); ++i) {
      EXPECT_EQ(c.rows[i].domain, fr[i].domain) << round;
      EXPECT_EQ(c.rows[i].buckets, fr[i].buckets) << round;
    }
    EXPECT_EQ(c.stats.cached + c.stats.parsed, f.stats.parsed) << round;
    EXPECT_EQ(cache.size(), static_cast<size_t>(f.stats.parsed)) << round;
  };
  same_as_fresh("first");
  for (int round = 0; round < 8; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (int k = 0; k < 20; ++k) {
      const size_t i = static_cast<size_t>(pick(static_cast<int>(live.size())));
      const std::string path = t.path() + "/" + live[i];
      switch (pick(5)) {
        case 0:  // delivered or deleted
          std::filesystem::remove(path);
          live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
          break;
        case 1:  // new mail
          add();
          break;
        case 2: {  // moved to another subdirectory
          std::string rel = std::string("deferred/") + "ABC"[pick(3)] +
                            live[i].substr(live[i].rfind('/'));
          std::filesystem::rename(path, t.path() + "/" + rel);
          live[i] = rel;
          break;
        }
        case 3: {  // a recipient marked done in place
          std::string bytes = testing::ReadFile(path);
          size_t r = bytes.find(testing::Rec('R', "x@second.example"));
          if (r == std::string::npos) break;
          std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
          f.seekp(static_cast<std::streamoff>(r));
          f.put('D');
          break;
        }
        case 4:  // not ready any more (being rewritten)
          chmod(path.c_str(), 0600);
          break;
      }
    }
    if (round == 3) {  // an interrupted walk keeps what it did not reach
      same_as_fresh("before the interrupted walk");
      const size_t before = cache.size();
      std::atomic<bool> cancelled{true};
      WalkOptions opts;
      opts.cache_min_age_ns = 0;
      opts.cancelled = &cancelled;
      cache.BeginScrape();
      QueueSummary sum(BucketSpec(), true, cache.keys());
      WalkStats stats;
      std::string error;
      EXPECT_FALSE(
          QueueWalker(opts, &cache).Walk(q, kNow, &sum, &stats, &error));
      cache.EndScrape(false);
      EXPECT_EQ(cache.size(), before);
      EXPECT_EQ(WalkCached(q, &cache).stats.parsed, 0);
    }
    same_as_fresh(("round " + std::to_string(round)).c_str());
  }
  CachedWalk still = WalkCached(q, &cache);
  EXPECT_EQ(still.stats.parsed, 0);
  EXPECT_GT(still.stats.cached, 250);
}

TEST(QueueWalkTest, CacheKeyTableIsCompacted) {
  TempDir t;
  FileCache cache;
  // 3000 distinct domains, then all but one file gone: the key table shrinks
  // and the remaining entry still names the right domain.
  for (int i = 0; i < 3000; ++i)
    t.Write("hold/H" + std::to_string(100000 + i),
            CleanupFile(Msg("u@only" + std::to_string(i) + ".example")));
  ASSERT_TRUE(WalkCached(t.path() + "/hold", &cache).ok);
  for (int i = 1; i < 3000; ++i)
    std::filesystem::remove(t.path() + "/hold/H" + std::to_string(100000 + i));
  for (int i = 0; i < 3000; ++i)
    t.Write("hold/N" + std::to_string(100000 + i),
            CleanupFile(Msg("u@new" + std::to_string(i) + ".example")));
  ASSERT_TRUE(WalkCached(t.path() + "/hold", &cache).ok);
  EXPECT_GE(cache.keys()->size(), 6000u);
  for (int i = 0; i < 3000; ++i)
    std::filesystem::remove(t.path() + "/hold/N" + std::to_string(100000 + i));
  CachedWalk w = WalkCached(t.path() + "/hold", &cache);
  ASSERT_TRUE(w.ok);
  EXPECT_LT(cache.keys()->size(), 10u);
  CachedWalk again = WalkCached(t.path() + "/hold", &cache);
  EXPECT_EQ(again.stats.cached, 1);
  ASSERT_EQ(again.rows.size(), 1u);
  EXPECT_EQ(again.rows[0].domain, "only0.example");
}

}  // namespace
}  // namespace postfix_qshape
