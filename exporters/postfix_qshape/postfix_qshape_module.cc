// Entry point of exporterd_postfix_qshape.so: config binding and metric
// emission. The work is in queue_walk (I/O), queue_file (parsing) and qshape
// (counting).
#include "postfix_qshape_module.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <set>
#include <sstream>

#include "exporterd/config_map.h"
#include "exporterd/metrics.h"
#include "exporterd/runner.h"
#include "queue_walk.h"

namespace postfix_qshape {
namespace {

using exporterd::CollectRequest;
using exporterd::CollectResult;
using exporterd::ConfigErrors;
using exporterd::ConfigReader;
using exporterd::Family;
using exporterd::Key;
using exporterd::ModuleEnv;

constexpr char kFallbackQueueDirectory[] = "/var/spool/postfix";
const std::set<std::string> kKnownQueues = {"incoming", "active",   "deferred",
                                            "hold",     "maildrop", "corrupt"};

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string Postconf(const std::vector<std::string>& argv) {
  exporterd::RunOptions opts;
  opts.timeout = std::chrono::seconds(5);
  opts.max_stdout = 64 * 1024;
  exporterd::RunResult r = exporterd::Run(argv, opts);
  return r.Success() ? Trim(r.out) : std::string();
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

const exporterd::ConfigMap<Config>& Keys() {
  static const exporterd::ConfigMap<Config> m{
      Key("queue_directory", &Config::queue_directory, {},
          "Postfix's queue directory; absolute.")
          .DefaultText("postconf -h queue_directory, else /var/spool/postfix")
          .Check([](const std::optional<std::string>& d) {
            return d && !d->empty() && (*d)[0] == '/'
                       ? ""
                       : "must be an absolute path";
          }),
      Key("queues", &Config::queues,
          std::vector<std::string>{"incoming", "active", "deferred", "hold"},
          "Queues to report; also maildrop, corrupt."),
      Key("bucket_minutes", &Config::bucket_minutes, 5.0,
          "qshape -t: the first bucket's age limit in minutes (fractions "
          "allowed).")
          .Range(0.001, 1000000.0),
      Key("buckets", &Config::buckets, 10, "qshape -b: number of age buckets.")
          .Range(1, 40),
      Key("linear", &Config::linear, false,
          "qshape -l: buckets are multiples of bucket_minutes instead of "
          "doubling."),
      Key("max_domains", &Config::max_domains, size_t{50},
          "Domains per queue and family; the rest is summed into "
          "domain=\"__other__\"; 0: unlimited.")
          .Range(0, 1000000),
      Key("sender_domains", &Config::sender_domains, true,
          "Also export postfix_qshape_senders (qshape -s)."),
      Key("strict_qshape", &Config::strict_qshape, false,
          "Reproduce qshape's quirks too (see below)."),
  };
  return m;
}

}  // namespace

std::string PostfixQshapeModule::ConfigReference() {
  return Keys().Reference();
}

std::string DefaultQueueDirectory() {
  std::string dir = Postconf({"postconf", "-h", "queue_directory"});
  // qshape does not expand $variables; postconf -x does.
  if (dir.find('$') != std::string::npos)
    dir = Postconf({"postconf", "-x", "-h", "queue_directory"});
  if (dir.empty() || dir[0] != '/' || dir.find('$') != std::string::npos)
    return kFallbackQueueDirectory;
  return dir;
}

std::unique_ptr<exporterd::Module> PostfixQshapeModule::Create(
    const ModuleEnv& env, ConfigErrors& errors) {
  auto m = std::make_unique<PostfixQshapeModule>();
  m->logger_ = env.logger;
  m->now_ = [] { return static_cast<double>(std::time(nullptr)); };
  Config& c = m->cfg_;
  const size_t errors_before = errors.list.size();
  ConfigReader r = exporterd::ModuleConfigReader(env, errors);
  YAML::Node queues_node = r.Has("queues") ? r.Raw("queues") : YAML::Node();
  c = Keys().Read(r);
  if (c.queues.empty()) r.Error("queues", "must name at least one queue");
  std::set<std::string> seen;
  for (size_t i = 0; i < c.queues.size(); ++i) {
    const std::string& q = c.queues[i];
    std::string problem;
    if (!kKnownQueues.count(q))
      problem = "unknown queue \"" + q +
                "\" (expected incoming, active, deferred, hold, maildrop or "
                "corrupt)";
    else if (!seen.insert(q).second)
      problem = "queue \"" + q + "\" is listed twice";
    if (problem.empty()) continue;
    int line = queues_node.IsSequence() && i < queues_node.size()
                   ? exporterd::NodeLine(queues_node[i])
                   : 0;
    errors.Add(r.file(), line, r.path() + ".queues[" + std::to_string(i) + "]",
               problem);
  }
  m->buckets_ = c.Buckets();
  m->headings_ = m->buckets_.Headings();
  if (errors.list.size() != errors_before) return m;

  m->queue_directory_ =
      c.queue_directory ? *c.queue_directory : DefaultQueueDirectory();

  if (env.embedded_default) {
    // The default config must work on any host: without a queue directory,
    // or with Postfix installed but never started (no queue subdirectories
    // yet), stay idle; read only the queues that exist.
    struct stat st;
    std::vector<std::string> present;
    for (const auto& q : c.queues) {
      std::string dir = m->queue_directory_ + "/" + q;
      if (stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        present.push_back(q);
      else if (errno == EACCES)
        present.push_back(q);  // exists; Collect reports the permission
    }
    if (present.empty()) {
      m->idle_ = true;
      m->idle_reason_ = "no Postfix queues under " + m->queue_directory_;
      m->logger_->Info("no Postfix queues found, postfix_qshape is idle",
                       {{"queue_directory", m->queue_directory_}});
    }
    c.queues = std::move(present);
  }
  return m;
}

CollectResult PostfixQshapeModule::Collect(const CollectRequest& req) {
  std::lock_guard<std::mutex> collect_lock(collect_mu_);
  CollectResult res;
  const auto started = std::chrono::steady_clock::now();
  const double now = now_();  // one "now" for the whole scrape, as qshape

  WalkOptions wo;
  wo.parse.strict_qshape = cfg_.strict_qshape;
  wo.strict_qshape = cfg_.strict_qshape;
  wo.deadline = req.deadline;
  wo.cancelled = req.cancelled;
  cache_.BeginScrape();
  QueueWalker walker(wo, &cache_);

  std::vector<QueueSummary> sums;
  std::vector<WalkStats> stats(cfg_.queues.size());
  sums.reserve(cfg_.queues.size());
  for (size_t i = 0; i < cfg_.queues.size(); ++i) {
    sums.emplace_back(buckets_, cfg_.sender_domains, cache_.keys());
    std::string error;
    if (!walker.Walk(JoinPath(queue_directory_, cfg_.queues[i]), now,
                     &sums.back(), &stats[i], &error)) {
      cache_.EndScrape(false);
      res.ok = false;
      res.error = error;
      return res;
    }
  }

  Family rcpt = Family::Gauge(
      "postfix_qshape_recipients",
      "Recipients still to deliver in a Postfix queue by recipient domain and "
      "age bucket, as counted by qshape <queue>. age is the bucket's upper "
      "limit in minutes (qshape's column heading); the last bucket ends in "
      "\"+\" and has no limit.");
  Family send = Family::Gauge(
      "postfix_qshape_senders",
      "Messages in a Postfix queue by sender domain and age bucket, as counted "
      "by qshape -s <queue>. age is the bucket's upper limit in minutes "
      "(qshape's column heading); the last bucket ends in \"+\".");
  Family files = Family::Gauge(
      "postfix_queue_files",
      "Files with queue-id names in a Postfix queue directory, whatever their "
      "state: also files still being written (mode 0600) and corrupt ones "
      "(0400), which qshape skips.");
  Family msgs = Family::Gauge(
      "postfix_queue_messages",
      "Messages in a Postfix queue that have recipients left to deliver.");
  Family rcpts =
      Family::Gauge("postfix_queue_recipients",
                    "Recipients left to deliver in a Postfix queue.");
  Family size = Family::Gauge(
      "postfix_queue_size_bytes",
      "Total size of the queue files of the messages in a Postfix queue.");
  Family oldest = Family::Gauge(
      "postfix_queue_oldest_message_age_seconds",
      "Age of the oldest message in a Postfix queue by its arrival time; 0 "
      "when the queue is empty.");
  Family bad = Family::Gauge(
      "postfix_qshape_unreadable_files",
      "Queue files in a Postfix queue skipped because they could not be "
      "parsed (truncated, garbage, pointer loops).");

  auto add_shape = [&](Family* f, const std::string& queue,
                       const ShapeTable& table) {
    for (const ShapeTable::Row& row : table.Rows(cfg_.max_domains)) {
      for (size_t b = 1; b < row.buckets.size(); ++b) {
        if (row.buckets[b] == 0) continue;
        f->Add(
            {{"queue", queue}, {"domain", row.domain}, {"age", headings_[b]}},
            static_cast<double>(row.buckets[b]));
      }
    }
  };

  for (size_t i = 0; i < cfg_.queues.size(); ++i) {
    const std::string& q = cfg_.queues[i];
    const QueueSummary& s = sums[i];
    add_shape(&rcpt, q, s.recipients);
    if (cfg_.sender_domains) add_shape(&send, q, s.senders);
    files.Add({{"queue", q}}, static_cast<double>(s.files));
    msgs.Add({{"queue", q}}, static_cast<double>(s.messages));
    rcpts.Add({{"queue", q}}, static_cast<double>(s.recipient_count));
    size.Add({{"queue", q}}, static_cast<double>(s.size_bytes));
    double age = 0;
    if (s.messages > 0 && std::isfinite(s.oldest_arrival))
      age = std::max(0.0, now - s.oldest_arrival);
    oldest.Add({{"queue", q}}, age);
    bad.Add({{"queue", q}}, static_cast<double>(s.unreadable));
  }

  rcpt.MoveTo(&res.families);
  if (cfg_.sender_domains) send.MoveTo(&res.families);
  for (Family* f : {&files, &msgs, &rcpts, &size, &oldest, &bad})
    f->MoveTo(&res.families);

  cache_.EndScrape(true);  // invalidates key ids: tables are rendered above

  std::ostringstream d;
  d << "last scrape: now=" << Num(now) << " took "
    << std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
           .count()
    << "s, file cache " << cache_.size() << " entries\n";
  for (size_t i = 0; i < cfg_.queues.size(); ++i) {
    const WalkStats& w = stats[i];
    const QueueSummary& s = sums[i];
    d << "  " << cfg_.queues[i] << ": directories=" << w.directories
      << " candidates=" << w.candidates << " not_ready=" << w.not_ready
      << " vanished=" << w.vanished << " parsed=" << w.parsed
      << " cached=" << w.cached << " messages=" << s.messages
      << " recipients=" << s.recipient_count
      << " all_delivered=" << s.all_delivered << " unreadable=" << s.unreadable
      << " recipient_domains=" << s.recipients.domains()
      << " sender_domains=" << s.senders.domains() << "\n";
    if (!w.last_malformed.empty())
      d << "    last unreadable: " << w.last_malformed << "\n";
  }
  std::lock_guard<std::mutex> lock(mu_);
  last_debug_ = d.str();
  return res;
}

std::string PostfixQshapeModule::Debug() const {
  std::ostringstream d;
  d << "queue_directory: " << queue_directory_ << "\nqueues:";
  for (const auto& q : cfg_.queues) d << " " << q;
  d << "\nbuckets: minutes=" << Num(buckets_.minutes)
    << " count=" << buckets_.count
    << " linear=" << (buckets_.linear ? "true" : "false") << " headings:";
  for (const auto& h : headings_) d << " " << h;
  d << "\nmax_domains: " << cfg_.max_domains
    << "\nsender_domains: " << (cfg_.sender_domains ? "true" : "false")
    << "\nstrict_qshape: " << (cfg_.strict_qshape ? "true" : "false") << "\n";
  if (idle_) d << "idle: no Postfix queue directory found\n";
  std::lock_guard<std::mutex> lock(mu_);
  d << last_debug_;
  return d.str();
}

}  // namespace postfix_qshape

EXPORTERD_MODULE(postfix_qshape, postfix_qshape::PostfixQshapeModule)
