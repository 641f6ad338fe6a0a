// The daemon end to end in-process: real HTTP (curl) against App on an
// ephemeral port, real module libraries through the loader.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <future>
#include <thread>

#include "test_kit.h"

namespace exporterd {
namespace {

using testing::Curl;
using testing::DaemonProcess;
using testing::HttpResult;
using testing::Sample;
using testing::TempDir;
using testing::TestDaemon;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

TEST(AppTest, ServesModulesAndSelfMetrics) {
  TestDaemon d;
  ASSERT_TRUE(d.Start("modules:\n  testmod:\n    series: 3\n"));
  HttpResult r = d.Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(
      r.HasHeader("Content-Type: text/plain; version=0.0.4; "
                  "charset=utf-8"));
  EXPECT_EQ(Sample(r.body, "testmod_value{module=\"testmod\",series=\"2\"}"),
            2.5);
  EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"testmod\"}"), 1);
  EXPECT_EQ(Sample(r.body, "exporterd_config_last_reload_successful"), 1);
  EXPECT_GT(Sample(r.body,
                   "exporterd_module_last_success_timestamp_seconds{"
                   "module=\"testmod\"}"),
            1.7e9);
  EXPECT_FALSE(std::isnan(Sample(
      r.body, "exporterd_module_scrape_duration_seconds{module=\"testmod\"}")));
  EXPECT_NE(r.body.find("exporterd_build_info{revision="), std::string::npos);
  EXPECT_GT(Sample(r.body, "process_resident_memory_bytes"), 0);
  EXPECT_GT(Sample(r.body, "process_open_fds"), 0);
  EXPECT_GT(Sample(r.body, "process_start_time_seconds"), 1.7e9);
}

TEST(AppTest, HealthReadyLandingAndUnknownPaths) {
  TestDaemon d;
  ASSERT_TRUE(d.Start("modules:\n  testmod:\n    route: /testprobe\n"));
  EXPECT_EQ(d.Get("/-/healthy").status, 200);
  EXPECT_EQ(d.Get("/-/ready").status, 200);
  HttpResult landing = d.Get("/");
  EXPECT_EQ(landing.status, 200);
  EXPECT_TRUE(landing.HasHeader("Content-Type: text/html"));
  EXPECT_NE(landing.body.find("testmod"), std::string::npos);
  EXPECT_NE(landing.body.find("href=\"testprobe\""), std::string::npos);
  EXPECT_EQ(d.Get("/nope").status, 404);
  EXPECT_EQ(d.Get("/metrics", {"-X", "DELETE"}).status, 405);
  EXPECT_EQ(d.Get("/-/reload").status, 405);  // GET is not allowed
}

TEST(AppTest, ModuleFailureIsAMetricAndOthersStillAnswer) {
  TestDaemon d;
  ASSERT_TRUE(
      d.Start("modules:\n"
              "  testmod:\n    fail: disk controller unreachable\n"
              "  testmod2:\n    series: 1\n"));
  HttpResult r = d.Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"testmod\"}"), 0);
  EXPECT_EQ(Sample(r.body,
                   "exporterd_module_error_info{module=\"testmod\","
                   "reason=\"error\"}"),
            1);
  EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"testmod2\"}"), 1);
  EXPECT_EQ(Sample(r.body, "testmod2_value{module=\"testmod2\",series=\"0\"}"),
            0.5);
  // The reason is on the landing page.
  EXPECT_NE(d.Get("/").body.find("disk controller unreachable"),
            std::string::npos);
}

TEST(AppTest, ExceptionInModuleIsContained) {
  TestDaemon d;
  ASSERT_TRUE(d.Start("modules:\n  testmod:\n    throw: true\n"));
  HttpResult r = d.Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"testmod\"}"), 0);
}

// A module that throws in Start() or HasCollect() does not vanish: it is
// down with reason "failed" and the message, on every scrape, and its route
// answers 503 with the reason.
TEST(AppTest, ModuleThatFailsToStartIsDownWithItsReason) {
  TestDaemon d;
  ASSERT_TRUE(
      d.Start("modules:\n"
              "  testmod:\n    start_fail: cannot open /dev/widget\n"
              "    route: /probe\n"
              "  testmod2:\n    has_collect_fail: no widgets here\n"));
  for (int i = 0; i < 2; ++i) {
    HttpResult r = d.Get("/metrics");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"testmod\"}"), 0);
    EXPECT_EQ(Sample(r.body,
                     "exporterd_module_error_info{module=\"testmod\","
                     "reason=\"failed\"}"),
              1);
    EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"testmod2\"}"), 0);
    EXPECT_EQ(Sample(r.body,
                     "exporterd_module_error_info{module=\"testmod2\","
                     "reason=\"failed\"}"),
              1);
  }
  HttpResult p = d.Get("/probe?target=x");
  EXPECT_EQ(p.status, 503);
  EXPECT_NE(p.body.find("cannot open /dev/widget"), std::string::npos)
      << p.body;
  std::string landing = d.Get("/").body;
  EXPECT_NE(landing.find("module failed to start: cannot open /dev/widget"),
            std::string::npos);
  EXPECT_NE(landing.find("module failed: no widgets here"), std::string::npos);
}

// The core's timeout for a module reaches the module (ModuleEnv).
TEST(AppTest, ModuleReceivesItsTimeout) {
  TestDaemon d;
  ASSERT_TRUE(d.Start("modules:\n  testmod:\n    timeout: 7s\n"));
  EXPECT_NE(d.Get("/").body.find("timeout=7s"), std::string::npos);
}

// A module that blocks far past the scrape timeout does not delay the reply.
TEST(AppTest, DeadlineFromScrapeTimeoutHeader) {
  TestDaemon d;
  ASSERT_TRUE(
      d.Start("modules:\n"
              "  testmod:\n    sleep: 30s\n"
              "  testmod2:\n    series: 1\n"));
  auto start = Clock::now();
  HttpResult r =
      d.Get("/metrics", {"-H", "X-Prometheus-Scrape-Timeout-Seconds: 1.5"});
  double took = Seconds(start);
  ASSERT_EQ(r.status, 200);
  EXPECT_LT(took, 15.0);  // far below the module's 30 s
  EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"testmod\"}"), 0);
  EXPECT_EQ(Sample(r.body,
                   "exporterd_module_error_info{module=\"testmod\","
                   "reason=\"timeout\"}"),
            1);
  EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"testmod2\"}"), 1);
  // The stuck collection is still running: the next scrape says so rather
  // than piling up another one.
  r = d.Get("/metrics", {"-H", "X-Prometheus-Scrape-Timeout-Seconds: 1"});
  EXPECT_EQ(Sample(r.body,
                   "exporterd_module_error_info{module=\"testmod\","
                   "reason=\"busy\"}"),
            1);
}

TEST(AppTest, ModuleTimeoutCapsTheDeadline) {
  TestDaemon d;
  ASSERT_TRUE(
      d.Start("modules:\n  testmod:\n    sleep: 30s\n    timeout: "
              "500ms\n"));
  auto start = Clock::now();
  HttpResult r = d.Get("/metrics");  // no header: only the module's timeout
  EXPECT_LT(Seconds(start), 15.0);
  EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"testmod\"}"), 0);
}

// Two modules that each take 2 s both finish inside a 3.5 s deadline only
// if they run at the same time.
TEST(AppTest, ModulesCollectInParallel) {
  TestDaemon d;
  ASSERT_TRUE(
      d.Start("modules:\n"
              "  testmod:\n    sleep: 2s\n"
              "  testmod2:\n    sleep: 2s\n"));
  HttpResult r =
      d.Get("/metrics", {"-H", "X-Prometheus-Scrape-Timeout-Seconds: 4"});
  EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"testmod\"}"), 1);
  EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"testmod2\"}"), 1);
}

// Concurrent scrapes share one collection instead of each starting one.
TEST(AppTest, ConcurrentScrapesShareACollection) {
  TestDaemon d;
  ASSERT_TRUE(d.Start("modules:\n  testmod:\n    sleep: 1s\n"));
  std::vector<std::future<HttpResult>> scrapes;
  for (int i = 0; i < 4; ++i)
    scrapes.push_back(
        std::async(std::launch::async, [&] { return d.Get("/metrics"); }));
  std::set<double> counts;
  for (auto& f : scrapes) {
    HttpResult r = f.get();
    EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"testmod\"}"), 1);
    counts.insert(Sample(r.body, "testmod_collections_total"));
  }
  // Four scrapes, started within far less than the 1 s collection: at most
  // two collections (a late scrape may start a second).
  EXPECT_LE(*counts.rbegin(), 2);
}

TEST(AppTest, MinIntervalRefreshesInBackgroundAndServesLastResult) {
  TestDaemon d;
  ASSERT_TRUE(d.Start(
      "modules:\n  testmod:\n    min_interval: 200ms\n    sleep: 100ms\n"));
  // The first scrape waits for the first result.
  HttpResult r = d.Get("/metrics");
  EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"testmod\"}"), 1);
  double first = Sample(r.body, "testmod_collections_total");
  EXPECT_GE(first, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  r = d.Get("/metrics");
  // Refreshed with no scrape in between.
  EXPECT_GT(Sample(r.body, "testmod_collections_total"), first);
}

TEST(AppTest, SameFamilyFromTwoModulesIsMerged) {
  TestDaemon d;
  ASSERT_TRUE(
      d.Start("modules:\n"
              "  testmod:\n    family: shared_value\n    series: 2\n"
              "  testmod2:\n    family: shared_value\n    series: 2\n"));
  HttpResult r = d.Get("/metrics");
  size_t n = 0;
  for (size_t p = r.body.find("# TYPE shared_value "); p != std::string::npos;
       p = r.body.find("# TYPE shared_value ", p + 1))
    ++n;
  EXPECT_EQ(n, 1u) << r.body;
  EXPECT_EQ(Sample(r.body, "shared_value{module=\"testmod\",series=\"1\"}"),
            1.5);
  EXPECT_EQ(Sample(r.body, "shared_value{module=\"testmod2\",series=\"1\"}"),
            1.5);
}

TEST(AppTest, ConflictingFamilyTypesKeepOne) {
  TestDaemon d;
  ASSERT_TRUE(
      d.Start("modules:\n"
              "  testmod:\n    family: clash_total\n    type: counter\n"
              "  testmod2:\n    family: clash_total\n    type: gauge\n"));
  HttpResult r = d.Get("/metrics");
  EXPECT_NE(r.body.find("# TYPE clash_total counter"), std::string::npos);
  EXPECT_EQ(r.body.find("# TYPE clash_total gauge"), std::string::npos);
  EXPECT_EQ(r.body.find("module=\"testmod2\",series"), std::string::npos);
}

std::string Gunzip(const std::string& in) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out(in.size() * 20 + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? out : "";
}

TEST(AppTest, GzipWhenAccepted) {
  TestDaemon d;
  ASSERT_TRUE(d.Start("modules:\n  testmod:\n    series: 500\n"));
  HttpResult z = d.Get("/metrics", {"-H", "Accept-Encoding: gzip"});
  ASSERT_EQ(z.status, 200);
  EXPECT_TRUE(z.HasHeader("Content-Encoding: gzip"));
  std::string text = Gunzip(z.body);
  ASSERT_FALSE(text.empty());
  EXPECT_LT(z.body.size() * 3, text.size());
  EXPECT_EQ(Sample(text, "testmod_value{module=\"testmod\",series=\"499\"}"),
            499.5);
  HttpResult plain = d.Get("/metrics");
  EXPECT_FALSE(plain.HasHeader("Content-Encoding"));
  EXPECT_EQ(
      Sample(plain.body, "testmod_value{module=\"testmod\",series=\"499\"}"),
      499.5);
  // q=0 refuses gzip.
  EXPECT_FALSE(d.Get("/metrics", {"-H", "Accept-Encoding: gzip;q=0"})
                   .HasHeader("Content-Encoding"));
}

TEST(AppTest, MultiTargetRoute) {
  TestDaemon d;
  ASSERT_TRUE(d.Start("modules:\n  testmod:\n    route: /testprobe\n"));
  HttpResult r = d.Get("/testprobe?target=example.org%3A443&module=x",
                       {"-H", "X-Prometheus-Scrape-Timeout-Seconds: 5"});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Sample(r.body, "testprobe_success{target=\"example.org:443\"}"), 1);
  double t = Sample(r.body, "testprobe_timeout_seconds");
  EXPECT_GT(t, 3.0);
  EXPECT_LE(t, 4.5);  // 5 s less the 0.5 s offset
  EXPECT_EQ(d.Get("/testprobe").status, 400);
  HttpResult dbg = d.Get("/testprobe?target=a&debug=true");
  EXPECT_EQ(dbg.body, "debug: would probe a\n");
}

TEST(AppTest, RouteConflictsAreConfigErrors) {
  TestDaemon d;
  std::string err;
  EXPECT_FALSE(
      d.Start("modules:\n"
              "  testmod:\n    route: /probe\n"
              "  testmod2:\n    route: /probe\n",
              "", &err));
  EXPECT_NE(err.find(":4: modules.testmod2: route /probe is already served "
                     "by module testmod"),
            std::string::npos)
      << err;
  TestDaemon d2;
  EXPECT_FALSE(
      d2.Start("modules:\n  testmod:\n    route: /metrics\n", "", &err));
  EXPECT_NE(err.find("not allowed"), std::string::npos) << err;
}

TEST(AppTest, BadReloadKeepsRunningConfig) {
  TestDaemon d;
  ASSERT_TRUE(d.Start("modules:\n  testmod:\n    series: 2\n"));
  d.WriteConfig("modules:\n  testmod:\n    series: lots\n");
  HttpResult rr = d.Get("/-/reload", {"-X", "POST"});
  EXPECT_EQ(rr.status, 500);
  // No auth: the errors are in the log and on the landing page, not here.
  EXPECT_EQ(rr.body.find("modules.testmod.series"), std::string::npos)
      << rr.body;
  EXPECT_NE(d.Get("/").body.find("exporterd.yml:3: modules.testmod.series"),
            std::string::npos);
  HttpResult r = d.Get("/metrics");
  EXPECT_EQ(Sample(r.body, "exporterd_config_last_reload_successful"), 0);
  EXPECT_EQ(Sample(r.body, "testmod_value{module=\"testmod\",series=\"1\"}"),
            1.5);
  EXPECT_NE(d.Get("/").body.find("Last configuration reload failed"),
            std::string::npos);

  d.WriteConfig("modules:\n  testmod2:\n    series: 1\n");
  EXPECT_EQ(d.Get("/-/reload", {"-X", "POST"}).status, 200);
  r = d.Get("/metrics");
  EXPECT_EQ(Sample(r.body, "exporterd_config_last_reload_successful"), 1);
  EXPECT_TRUE(std::isnan(
      Sample(r.body, "testmod_value{module=\"testmod\",series=\"1\"}")));
  EXPECT_EQ(Sample(r.body, "testmod2_value{module=\"testmod2\",series=\"0\"}"),
            0.5);
}

TEST(AppTest, ReloadWhileACollectionRuns) {
  TestDaemon d;
  ASSERT_TRUE(d.Start("modules:\n  testmod:\n    sleep: 1s\n"));
  auto scrape =
      std::async(std::launch::async, [&] { return d.Get("/metrics"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  d.WriteConfig("modules:\n  testmod:\n    series: 1\n");
  EXPECT_EQ(d.Get("/-/reload", {"-X", "POST"}).status, 200);
  HttpResult r = scrape.get();  // the old instance finishes its collection
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Sample(r.body, "exporterd_module_up{module=\"testmod\"}"), 1);
}

}  // namespace
}  // namespace exporterd

namespace exporterd {
namespace {

// What a new user sees on the landing page before and after collections.
TEST(AppTest, LandingPageStates) {
  testing::TestDaemon d;
  ASSERT_TRUE(d.Start(R"(modules:
  testmod:
    min_interval: 1h
    sleep: 30s
    honor_cancel: true
  testmod2:
    route: /probe2
    collect: false
)"));
  std::string page = d.Get("/").body;
  EXPECT_NE(page.find("not yet collected"), std::string::npos) << page;
  EXPECT_NE(page.find("idle: answers /probe2 on request"), std::string::npos);
  EXPECT_EQ(page.find("down ("), std::string::npos);
  EXPECT_EQ(page.find("serves requests"), std::string::npos);

  testing::TestDaemon e;
  ASSERT_TRUE(e.Start(R"(modules:
  testmod:
    idle: no queue directory here
    collect: false
  testmod2:
    series: 1
)"));
  ASSERT_EQ(e.Get("/metrics").status, 200);
  page = e.Get("/").body;
  EXPECT_NE(page.find("idle: no queue directory here"), std::string::npos);
  EXPECT_NE(page.find("class=\"up\">up<"), std::string::npos) << page;
}

// SIGTERM is bounded: a module that blocks while it is destroyed (a library
// call that does not return) does not keep the process alive; the process
// says so and exits with status 1 (kShutdownGrace).
TEST(AppTest, ShutdownIsBoundedWhenAModuleBlocks) {
  TempDir dir;
  const std::string cfg =
      dir.Write("exporterd.yml", "modules:\n  testmod: {stop_sleep: 300s}\n");
  DaemonProcess d;
  ASSERT_TRUE(d.Start({"--config.file=" + cfg}));
  EXPECT_GE(d.Stop(std::chrono::seconds(60)), 0)
      << "still running 60 s after SIGTERM; log:\n"
      << d.Log();
  EXPECT_EQ(d.exit_status(), 1);
  EXPECT_NE(d.Log().find("shutdown did not finish in time"), std::string::npos)
      << d.Log();
}

// A module that takes a moment to stop is waited for: status 0, no forced
// exit.
TEST(AppTest, ShutdownWaitsForAModuleThatStopsInTime) {
  TempDir dir;
  const std::string cfg =
      dir.Write("exporterd.yml", "modules:\n  testmod: {stop_sleep: 1s}\n");
  DaemonProcess d;
  ASSERT_TRUE(d.Start({"--config.file=" + cfg}));
  EXPECT_GE(d.Stop(std::chrono::seconds(60)), 0) << d.Log();
  EXPECT_EQ(d.exit_status(), 0) << d.Log();
  EXPECT_EQ(d.Log().find("shutdown did not finish in time"), std::string::npos)
      << d.Log();
}

}  // namespace
}  // namespace exporterd
