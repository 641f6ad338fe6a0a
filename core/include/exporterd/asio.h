// Include Boost.Asio through here (modules and core alike).
//
// One Asio per process: Asio keeps per-thread state in template statics
// (which io_context runs on this thread, recycled handler memory). Modules
// are built with hidden visibility, which would give each module its own
// copy, so a module's timer or socket on a core loop would see another
// thread state than the loop that runs it (a crash seen in Asio's epoll
// reactor). Declared with default visibility here, those statics become
// unique symbols bound to the daemon's copy (the executable exports its
// symbols: ENABLE_EXPORTS).
//
// TLS: include exporterd/asio_ssl.h (it needs OpenSSL at link time).
//
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>
// under C++20 with GCC 12.
#ifndef EXPORTERD_ASIO_H_
#define EXPORTERD_ASIO_H_

// clang-format off
#include <utility>  // before Boost
#pragma GCC visibility push(default)
#include <boost/asio.hpp>
#pragma GCC visibility pop
// clang-format on

#endif  // EXPORTERD_ASIO_H_
