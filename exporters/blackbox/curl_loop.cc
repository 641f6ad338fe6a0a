#include "curl_loop.h"

#include <map>
#include <mutex>

namespace exporterd::blackbox {

namespace asio = boost::asio;

struct CurlLoop::Sock {
  explicit Sock(asio::io_context& io, curl_socket_t fd) : sd(io, fd), fd(fd) {}
  asio::posix::stream_descriptor sd;
  curl_socket_t fd;
  int want = 0;  // CURL_POLL_IN / OUT / INOUT
  bool reading = false, writing = false;
  bool removed = false;
};

CurlLoop& CurlLoop::For(asio::io_context& io) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  static std::mutex mu;
  static std::map<asio::io_context*, CurlLoop*> loops;
  std::lock_guard<std::mutex> lock(mu);
  CurlLoop*& l = loops[&io];
  if (!l) l = new CurlLoop(io);  // kept for the life of the process
  return *l;
}

CurlLoop::CurlLoop(asio::io_context& io)
    : io_(io), multi_(curl_multi_init()), timer_(io) {
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlLoop::SocketCb);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlLoop::TimerCb);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

void CurlLoop::Add(CURL* easy, std::function<void(CURLcode)> done) {
  pending_[easy] = std::move(done);
  CURLMcode rc = curl_multi_add_handle(multi_, easy);
  if (rc != CURLM_OK) {
    auto fn = std::move(pending_[easy]);
    pending_.erase(easy);
    asio::post(io_, [fn = std::move(fn)] { fn(CURLE_FAILED_INIT); });
  }
}

void CurlLoop::Remove(CURL* easy) {
  if (pending_.erase(easy)) curl_multi_remove_handle(multi_, easy);
}

int CurlLoop::SocketCb(CURL*, curl_socket_t s, int what, void* userp, void*) {
  auto* self = static_cast<CurlLoop*>(userp);
  if (what == CURL_POLL_REMOVE) {
    auto it = self->socks_.find(s);
    if (it != self->socks_.end()) {
      it->second->removed = true;
      boost::system::error_code ec;
      it->second->sd.cancel(ec);
      it->second->sd.release();  // curl closes the fd
      self->socks_.erase(it);
    }
    return 0;
  }
  auto& sock = self->socks_[s];
  if (!sock) sock = std::make_shared<Sock>(self->io_, s);
  sock->want = what;
  self->Arm(sock);
  return 0;
}

void CurlLoop::Arm(const std::shared_ptr<Sock>& s) {
  if ((s->want & CURL_POLL_IN) && !s->reading) {
    s->reading = true;
    s->sd.async_wait(asio::posix::stream_descriptor::wait_read,
                     [this, s](const boost::system::error_code& ec) {
                       s->reading = false;
                       if (ec || s->removed || !(s->want & CURL_POLL_IN))
                         return;
                       Action(s->fd, CURL_CSELECT_IN);
                       if (!s->removed) Arm(s);
                     });
  }
  if ((s->want & CURL_POLL_OUT) && !s->writing) {
    s->writing = true;
    s->sd.async_wait(asio::posix::stream_descriptor::wait_write,
                     [this, s](const boost::system::error_code& ec) {
                       s->writing = false;
                       if (ec || s->removed || !(s->want & CURL_POLL_OUT))
                         return;
                       Action(s->fd, CURL_CSELECT_OUT);
                       if (!s->removed) Arm(s);
                     });
  }
}

int CurlLoop::TimerCb(CURLM*, long timeout_ms, void* userp) {
  auto* self = static_cast<CurlLoop*>(userp);
  if (timeout_ms < 0) {
    self->timer_.cancel();
    return 0;
  }
  self->timer_.expires_after(std::chrono::milliseconds(timeout_ms));
  self->timer_.async_wait([self](const boost::system::error_code& ec) {
    if (!ec) self->Action(CURL_SOCKET_TIMEOUT, 0);
  });
  return 0;
}

void CurlLoop::Action(curl_socket_t fd, int flags) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, flags, &running);
  Drain();
}

void CurlLoop::Drain() {
  int left = 0;
  while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
    if (m->msg != CURLMSG_DONE) continue;
    CURL* e = m->easy_handle;
    CURLcode rc = m->data.result;
    curl_multi_remove_handle(multi_, e);
    auto it = pending_.find(e);
    if (it == pending_.end()) continue;
    auto fn = std::move(it->second);
    pending_.erase(it);
    fn(rc);
  }
}

void CurlTransfer::Reset() {
  if (easy) {
    if (added) CurlLoop::For(*io).Remove(easy);
    added = false;
    curl_easy_cleanup(easy);
    easy = nullptr;
  }
  for (curl_slist** l : {&headers, &proxy_headers, &resolve}) {
    curl_slist_free_all(*l);
    *l = nullptr;
  }
}

}  // namespace exporterd::blackbox
