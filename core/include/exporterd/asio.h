// Include Boost.Asio through here (modules and core alike). Boost 1.74's
// awaitable.hpp uses std::exchange without including <utility> under C++20
// with GCC 12.
#ifndef EXPORTERD_ASIO_H_
#define EXPORTERD_ASIO_H_

// clang-format off
#include <utility>  // before Boost
#include <boost/asio.hpp>
// clang-format on

#endif  // EXPORTERD_ASIO_H_
