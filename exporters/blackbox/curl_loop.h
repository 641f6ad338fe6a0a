// libcurl's multi interface driven by an Asio io_context: one CURLM per
// loop, created on first use on that loop's thread and kept for the life of
// the process (the module .so is never unloaded). Call order as verified in
// ../shared/specs/async_io.md §2: socket callback arms async_wait on a
// stream_descriptor (released, never closed, on CURL_POLL_REMOVE); the
// timer callback only arms a steady_timer, whose handler calls
// socket_action(CURL_SOCKET_TIMEOUT); finished transfers are drained after
// every socket_action, outside curl's callbacks.
#ifndef EXPORTERD_BLACKBOX_CURL_LOOP_H_
#define EXPORTERD_BLACKBOX_CURL_LOOP_H_

#include <curl/curl.h>

#include <functional>
#include <memory>
#include <unordered_map>

#include "exporterd/asio.h"

namespace exporterd::blackbox {

class CurlLoop {
 public:
  // The loop's multi; only ever call from a thread running `io`.
  static CurlLoop& For(boost::asio::io_context& io);

  // Starts `easy`; `done` runs on the loop when it finishes (never from
  // inside Add()).
  void Add(CURL* easy, std::function<void(CURLcode)> done);
  // Stops `easy` without calling its `done`.
  void Remove(CURL* easy);

  size_t in_flight() const { return pending_.size(); }

 private:
  struct Sock;
  explicit CurlLoop(boost::asio::io_context& io);
  static int SocketCb(CURL* e, curl_socket_t s, int what, void* userp,
                      void* socketp);
  static int TimerCb(CURLM* m, long timeout_ms, void* userp);
  void Arm(const std::shared_ptr<Sock>& s);
  void Action(curl_socket_t fd, int flags);
  void Drain();

  boost::asio::io_context& io_;
  CURLM* multi_;
  boost::asio::steady_timer timer_;
  std::unordered_map<curl_socket_t, std::shared_ptr<Sock>> socks_;
  std::unordered_map<CURL*, std::function<void(CURLcode)>> pending_;
};

// What one transfer on a loop owns: its easy handle and the lists set on it
// (they must live as long as the handle may use them). Reset(), and the
// destructor, stop a running transfer (its completion is not called) and
// free them all.
struct CurlTransfer {
  explicit CurlTransfer(boost::asio::io_context& loop) : io(&loop) {}
  ~CurlTransfer() { Reset(); }
  CurlTransfer(const CurlTransfer&) = delete;
  CurlTransfer& operator=(const CurlTransfer&) = delete;
  void Reset();

  boost::asio::io_context* io;
  CURL* easy = nullptr;
  bool added = false;  // handed to CurlLoop::Add, not finished yet
  curl_slist* headers = nullptr;
  curl_slist* proxy_headers = nullptr;
  curl_slist* resolve = nullptr;  // CURLOPT_RESOLVE
};

}  // namespace exporterd::blackbox

#endif  // EXPORTERD_BLACKBOX_CURL_LOOP_H_
