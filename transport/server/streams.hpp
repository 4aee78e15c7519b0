#pragma once

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include <type_traits>

#include "transport/beast.hpp"

// The two kinds of byte stream a client connection runs on; http_session and
// websocket_session are instantiated for both.
namespace sluice::transport {

namespace ssl = boost::asio::ssl;
using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

// What a WebSocket session runs on once its HTTP session upgraded it. A plain
// connection keeps the bare socket: tcp_stream's timers guard the HTTP
// exchange only, and the session keeps its own deadlines. A TLS connection
// keeps its stream.
using plain_socket = tcp::socket;
template <class Stream>
using upgraded_stream = std::conditional_t<is_tls<Stream>, tls_stream, plain_socket>;

inline plain_socket upgrade_stream(plain_stream&& stream) {
  return stream.release_socket();
}
inline tls_stream upgrade_stream(tls_stream&& stream) {
  return std::move(stream);
}

// The lowest layer's deadline off (tcp_stream) or nothing to do (a socket).
inline void expires_never(beast::tcp_stream& stream) {
  stream.expires_never();
}
inline void expires_never(plain_socket&) {}

// Closes the socket under a stream at once, without throwing.
inline void close_now(beast::tcp_stream& stream) {
  stream.close();
}
inline void close_now(plain_socket& socket) {
  beast::error_code ignored;
  socket.close(ignored);
}

}  // namespace sluice::transport
