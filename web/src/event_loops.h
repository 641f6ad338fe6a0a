// The core's event loops: N io_contexts with one thread each. The HTTP
// server runs its connections on them and modules borrow them (EventLoops in
// module.h) for probes, sessions and timers, so no request holds a thread.
#ifndef EXPORTERD_EVENT_LOOPS_H_
#define EXPORTERD_EVENT_LOOPS_H_

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "exporterd/asio.h"
#include "exporterd/module.h"

namespace exporterd {

class CoreLoops : public EventLoops {
 public:
  // `n` loops; 0 means one per CPU.
  explicit CoreLoops(size_t n);
  ~CoreLoops() override;

  size_t size() const override { return loops_.size(); }
  boost::asio::io_context& Get(size_t i) override;
  boost::asio::io_context& Pick() override;

  // Starts the threads (once).
  void Start();
  // Stops and joins the threads; what is still queued stays queued.
  void Stop();
  // After Stop(): destroys queued handlers (they may hold the last
  // references to connections and module objects). Loops stay usable.
  void DestroyPending();

 private:
  struct Loop;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::atomic<size_t> next_{0};
  bool started_ = false;
};

}  // namespace exporterd

#endif  // EXPORTERD_EVENT_LOOPS_H_
