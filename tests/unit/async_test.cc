// Multi-target requests that hold no thread: thousands in flight on the
// core's event loops, capped, cancelled at the deadline or when the client
// goes away. Real sockets on loopback against the test module's routes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "test_kit.h"

namespace exporterd {
namespace {

using testing::ConcurrentGets;
using testing::Connect;
using testing::HttpResult;
using testing::Sample;
using testing::SendGet;
using testing::TestDaemon;
using testing::ThreadCount;
using testing::WaitFor;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

constexpr char kAsync[] = R"(modules:
  testmod:
    route: /async
    async: true
  testmod2:
    route: /blocking
    sleep: 0s
)";

double InFlight(const TestDaemon& d, const std::string& route) {
  return Sample(d.Get("/metrics").body,
                "exporterd_http_requests_in_flight{route=\"" + route + "\"}");
}

TEST(AsyncTest, TwoThousandTimersInFlightHoldNoThreads) {
  testing::RaiseFdLimit();
  TestDaemon d;
  ASSERT_TRUE(d.Start(kAsync));
  ASSERT_EQ(d.Get("/async?target=x&sleep=1ms").status, 200);
  const int threads_before = ThreadCount();

  std::vector<int> statuses;
  double burst_seconds = 0;
  std::thread burst([&] {
    auto t0 = std::chrono::steady_clock::now();
    statuses = ConcurrentGets(d.port(), "/async?target=x&sleep=2s", 2000,
                              std::chrono::seconds(20));
    burst_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
  });
  // /metrics answers during the burst, and sees it in flight.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  HttpResult m = d.Get("/metrics");
  burst.join();
  EXPECT_EQ(m.status, 200);
  EXPECT_GT(
      Sample(m.body, "exporterd_http_requests_in_flight{route=\"/async\"}"),
      100);

  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), 2000);
  // 2 s of timer plus connection set-up; sanitizers slow the set-up.
  EXPECT_LT(burst_seconds, kSanitized ? 10.0 : 4.0);
  EXPECT_EQ(ThreadCount(), threads_before);
  EXPECT_EQ(InFlight(d, "/async"), 0);
}

TEST(AsyncTest, PastMaxRequestsAnswers503AtOnce) {
  TestDaemon d;
  d.flags().max_requests = 100;
  ASSERT_TRUE(d.Start(kAsync));
  std::vector<int> held;
  for (int i = 0; i < 100; ++i) {
    int fd = Connect(d.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendGet(fd, "/async?target=x&sleep=30s"));
    held.push_back(fd);
  }
  ASSERT_TRUE(WaitFor([&] { return InFlight(d, "/async") == 100; },
                      std::chrono::seconds(5)));
  // Request 101: refused at once, with a reason.
  auto t0 = std::chrono::steady_clock::now();
  HttpResult r = d.Get("/async?target=x&sleep=30s");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("--web.max-requests"), std::string::npos);
  std::string metrics = d.Get("/metrics").body;
  EXPECT_EQ(Sample(metrics,
                   "exporterd_http_requests_rejected_total{reason="
                   "\"max_requests\",route=\"/async\"}"),
            1);
  // Other routes still answer.
  EXPECT_EQ(d.Get("/-/healthy").status, 200);
  // Clients that go away free their slots.
  for (int fd : held) close(fd);
  EXPECT_TRUE(WaitFor([&] { return InFlight(d, "/async") == 0; },
                      std::chrono::seconds(5)));
  EXPECT_EQ(d.Get("/async?target=x&sleep=1ms").status, 200);
  EXPECT_EQ(Sample(d.Get("/metrics").body,
                   "exporterd_http_requests_total{code=\"499\",route="
                   "\"/async\"}"),
            100);
  // Each disconnect cancelled its call in the module.
  EXPECT_EQ(Sample(d.Get("/metrics").body, "testmod_cancellations_total"), 100);
}

TEST(AsyncTest, NeverAnsweringRouteEndsAtTheDeadline) {
  TestDaemon d;
  ASSERT_TRUE(d.Start(kAsync));
  auto t0 = std::chrono::steady_clock::now();
  HttpResult r = d.Get("/async?target=x&never=true",
                       {"-H", "X-Prometheus-Scrape-Timeout-Seconds: 1"});
  double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_EQ(r.status, 504);
  EXPECT_NE(r.body.find("did not answer before the deadline"),
            std::string::npos);
  // Deadline: 1 s less the 0.5 s offset.
  EXPECT_GE(took, 0.45);
  EXPECT_LT(took, 1.0);
  std::string metrics = d.Get("/metrics").body;
  EXPECT_EQ(Sample(metrics, "testmod_cancellations_total"), 1);
  EXPECT_EQ(Sample(metrics,
                   "exporterd_http_requests_total{code=\"504\",route="
                   "\"/async\"}"),
            1);
  EXPECT_EQ(InFlight(d, "/async"), 0);
}

// A module that replies from its cancel callback gets its partial answer
// out at the deadline.
TEST(AsyncTest, PartialAnswerAtTheDeadline) {
  TestDaemon d;
  ASSERT_TRUE(d.Start(kAsync));
  HttpResult r = d.Get("/async?target=x&sleep=10s",
                       {"-H", "X-Prometheus-Scrape-Timeout-Seconds: 1"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Sample(r.body, "testprobe_success{target=\"x\"}"), 0);
  EXPECT_EQ(Sample(d.Get("/metrics").body, "testmod_cancellations_total"), 1);
}

TEST(AsyncTest, BlockingHandlerStillWorksAndKeepsTheDeadline) {
  TestDaemon d;
  ASSERT_TRUE(d.Start(kAsync));
  HttpResult r = d.Get("/blocking?target=y");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Sample(r.body, "testprobe_success{target=\"y\"}"), 1);
}

TEST(AsyncTest, BlockingHandlerPastTheDeadlineIsAnsweredAtIt) {
  TestDaemon d;
  ASSERT_TRUE(d.Start(R"(modules:
  testmod:
    route: /blocking
    handle_sleep: 5s
)"));
  auto t0 = std::chrono::steady_clock::now();
  HttpResult r = d.Get("/blocking?target=y",
                       {"-H", "X-Prometheus-Scrape-Timeout-Seconds: 1.5"});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(r.status, 504);
  EXPECT_EQ(d.Get("/-/healthy").status, 200);
}

// Health answers on the loops, even while every handler thread is busy.
TEST(AsyncTest, HealthDoesNotWaitBehindScrapes) {
  TestDaemon d;
  d.flags().web_threads = 2;
  ASSERT_TRUE(d.Start(R"(modules:
  testmod:
    sleep: 3s
)"));
  std::thread a([&] { d.Get("/metrics"); });
  std::thread b([&] { d.Get("/metrics"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(d.Get("/-/healthy").status, 200);
  EXPECT_EQ(d.Get("/-/ready").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0,
            std::chrono::milliseconds(1500));
  a.join();
  b.join();
}

}  // namespace
}  // namespace exporterd
