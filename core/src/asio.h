// Include Boost.Asio/Beast through here. Boost 1.74's awaitable.hpp uses
// std::exchange without including <utility> under C++20 with GCC 12.
#ifndef EXPORTERD_ASIO_H_
#define EXPORTERD_ASIO_H_

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <utility>

#endif  // EXPORTERD_ASIO_H_
