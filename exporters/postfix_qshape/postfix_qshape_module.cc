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

#include "exporterd/runner.h"
#include "queue_walk.h"

namespace postfix_qshape {
namespace {

using exporterd::CollectRequest;
using exporterd::CollectResult;
using exporterd::ConfigErrors;
using exporterd::ConfigReader;
using exporterd::ModuleEnv;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr char kFallbackQueueDirectory[] = "/var/spool/postfix";
const std::vector<std::string> kDefaultQueues = {"incoming", "active",
                                                 "deferred", "hold"};
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

MetricFamily Gauge(std::string name, std::string help) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = MetricType::Gauge;
  return f;
}

void AddSample(MetricFamily* f, std::vector<ClientMetric::Label> labels,
               double v) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = v;
  f->metric.push_back(std::move(m));
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

}  // namespace

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
  const bool explicit_dir = r.Has("queue_directory");
  c.queue_directory = r.String("queue_directory", "");
  c.queues = r.StringList("queues", kDefaultQueues);
  c.buckets.minutes = r.Float("bucket_minutes", 5);
  c.buckets.count = static_cast<int>(r.Int("buckets", 10, 1, 40));
  c.buckets.linear = r.Bool("linear", false);
  c.max_domains = static_cast<size_t>(r.Int("max_domains", 50, 0, 1000000));
  c.sender_domains = r.Bool("sender_domains", true);
  c.strict_qshape = r.Bool("strict_qshape", false);
  YAML::Node queues_node = r.Raw("queues");
  r.Finish();

  if (explicit_dir &&
      (c.queue_directory.empty() || c.queue_directory[0] != '/'))
    r.Error("queue_directory", "must be an absolute path");
  if (!(c.buckets.minutes > 0 && c.buckets.minutes <= 1e6)) {
    r.Error("bucket_minutes", "must be greater than 0 and at most 1000000");
    c.buckets.minutes = 5;
  }
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
  m->headings_ = c.buckets.Headings();
  if (errors.list.size() != errors_before) return m;

  if (!explicit_dir) c.queue_directory = DefaultQueueDirectory();

  if (env.embedded_default) {
    // The default config must work on any host: without a queue directory,
    // or with Postfix installed but never started (no queue subdirectories
    // yet), stay idle; read only the queues that exist.
    struct stat st;
    std::vector<std::string> present;
    for (const auto& q : c.queues) {
      std::string dir = c.queue_directory + "/" + q;
      if (stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        present.push_back(q);
      else if (errno == EACCES)
        present.push_back(q);  // exists; Collect reports the permission
    }
    if (present.empty()) {
      m->idle_ = true;
      m->idle_reason_ = "no Postfix queues under " + c.queue_directory;
      m->logger_->Info("no Postfix queues found, postfix_qshape is idle",
                       {{"queue_directory", c.queue_directory}});
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
    sums.emplace_back(cfg_.buckets, cfg_.sender_domains, cache_.keys());
    std::string error;
    if (!walker.Walk(JoinPath(cfg_.queue_directory, cfg_.queues[i]), now,
                     &sums.back(), &stats[i], &error)) {
      cache_.EndScrape(false);
      res.ok = false;
      res.error = error;
      return res;
    }
  }

  MetricFamily rcpt = Gauge(
      "postfix_qshape_recipients",
      "Recipients still to deliver in a Postfix queue by recipient domain and "
      "age bucket, as counted by qshape <queue>. age is the bucket's upper "
      "limit in minutes (qshape's column heading); the last bucket ends in "
      "\"+\" and has no limit.");
  MetricFamily send = Gauge(
      "postfix_qshape_senders",
      "Messages in a Postfix queue by sender domain and age bucket, as counted "
      "by qshape -s <queue>. age is the bucket's upper limit in minutes "
      "(qshape's column heading); the last bucket ends in \"+\".");
  MetricFamily files = Gauge(
      "postfix_queue_files",
      "Files with queue-id names in a Postfix queue directory, whatever their "
      "state: also files still being written (mode 0600) and corrupt ones "
      "(0400), which qshape skips.");
  MetricFamily msgs = Gauge(
      "postfix_queue_messages",
      "Messages in a Postfix queue that have recipients left to deliver.");
  MetricFamily rcpts = Gauge("postfix_queue_recipients",
                             "Recipients left to deliver in a Postfix queue.");
  MetricFamily size = Gauge(
      "postfix_queue_size_bytes",
      "Total size of the queue files of the messages in a Postfix queue.");
  MetricFamily oldest = Gauge(
      "postfix_queue_oldest_message_age_seconds",
      "Age of the oldest message in a Postfix queue by its arrival time; 0 "
      "when the queue is empty.");
  MetricFamily bad =
      Gauge("postfix_qshape_unreadable_files",
            "Queue files in a Postfix queue skipped because they could not be "
            "parsed (truncated, garbage, pointer loops).");

  auto add_shape = [&](MetricFamily* f, const std::string& queue,
                       const ShapeTable& table) {
    for (const ShapeTable::Row& row : table.Rows(cfg_.max_domains)) {
      for (size_t b = 1; b < row.buckets.size(); ++b) {
        if (row.buckets[b] == 0) continue;
        AddSample(
            f,
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
    AddSample(&files, {{"queue", q}}, static_cast<double>(s.files));
    AddSample(&msgs, {{"queue", q}}, static_cast<double>(s.messages));
    AddSample(&rcpts, {{"queue", q}}, static_cast<double>(s.recipient_count));
    AddSample(&size, {{"queue", q}}, static_cast<double>(s.size_bytes));
    double age = 0;
    if (s.messages > 0 && std::isfinite(s.oldest_arrival))
      age = std::max(0.0, now - s.oldest_arrival);
    AddSample(&oldest, {{"queue", q}}, age);
    AddSample(&bad, {{"queue", q}}, static_cast<double>(s.unreadable));
  }

  res.families.push_back(std::move(rcpt));
  if (cfg_.sender_domains) res.families.push_back(std::move(send));
  res.families.push_back(std::move(files));
  res.families.push_back(std::move(msgs));
  res.families.push_back(std::move(rcpts));
  res.families.push_back(std::move(size));
  res.families.push_back(std::move(oldest));
  res.families.push_back(std::move(bad));

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
  d << "queue_directory: " << cfg_.queue_directory << "\nqueues:";
  for (const auto& q : cfg_.queues) d << " " << q;
  d << "\nbuckets: minutes=" << Num(cfg_.buckets.minutes)
    << " count=" << cfg_.buckets.count
    << " linear=" << (cfg_.buckets.linear ? "true" : "false") << " headings:";
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
