#include "event_loops.h"

namespace exporterd {

namespace asio = boost::asio;

namespace {
// Which loop the current thread runs (null: none).
thread_local asio::io_context* current_loop = nullptr;

// shutdown() and destroy() are protected in io_context.
class Context : public asio::io_context {
 public:
  Context() : asio::io_context(1) {}
  void DestroyPending() {
    shutdown();
    destroy();
  }
};
}  // namespace

struct CoreLoops::Loop {
  Context ctx;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>>
      work;
  std::thread thread;
};

CoreLoops::CoreLoops(size_t n) {
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < n; ++i) loops_.push_back(std::make_unique<Loop>());
}

CoreLoops::~CoreLoops() { Stop(); }

asio::io_context& CoreLoops::Get(size_t i) {
  return loops_[i % loops_.size()]->ctx;
}

asio::io_context& CoreLoops::Pick() {
  if (current_loop) return *current_loop;
  return Get(next_.fetch_add(1, std::memory_order_relaxed));
}

void CoreLoops::Start() {
  if (started_) return;
  started_ = true;
  for (auto& l : loops_) {
    l->ctx.restart();
    l->work.emplace(l->ctx.get_executor());
    l->thread = std::thread([ctx = &l->ctx] {
      current_loop = ctx;
      ctx->run();
      current_loop = nullptr;
    });
  }
}

void CoreLoops::Stop() {
  if (!started_) return;
  started_ = false;
  for (auto& l : loops_) {
    l->work.reset();
    l->ctx.stop();
  }
  for (auto& l : loops_)
    if (l->thread.joinable()) l->thread.join();
}

void CoreLoops::DestroyPending() {
  for (auto& l : loops_) l->ctx.DestroyPending();
}

}  // namespace exporterd
