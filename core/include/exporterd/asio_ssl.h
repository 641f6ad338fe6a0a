// Boost.Asio's TLS streams, for modules that link OpenSSL; like asio.h, with
// default visibility so there is one Asio per process.
#ifndef EXPORTERD_ASIO_SSL_H_
#define EXPORTERD_ASIO_SSL_H_

// clang-format off
#include "exporterd/asio.h"
#pragma GCC visibility push(default)
#include <boost/asio/ssl.hpp>
#pragma GCC visibility pop
// clang-format on

#endif  // EXPORTERD_ASIO_SSL_H_
