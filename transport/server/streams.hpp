#pragma once

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include "transport/beast.hpp"

// The two kinds of byte stream a client connection runs on; http_session and
// websocket_session are instantiated for both.
namespace sluice::transport {

namespace ssl = boost::asio::ssl;
using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

}  // namespace sluice::transport
