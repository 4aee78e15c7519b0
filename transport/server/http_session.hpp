#pragma once

#include <memory>
#include <optional>
#include <string>

#include "transport/http/http_endpoints.hpp"
#include "transport/server/shared_state.hpp"
#include "transport/server/streams.hpp"

namespace sluice::transport {

// One accepted connection speaking HTTP/1.1 (over TCP, or TLS): answers the
// plain endpoints (keep-alive) until the client asks to upgrade /ws, then
// hands the stream to a websocket_session.
template <class Stream>
class http_session : public std::enable_shared_from_this<http_session<Stream>> {
 public:
  // `buffer`: bytes already read from the connection (while detecting TLS).
  // `slot`: its place under max_connections, handed on at the upgrade.
  http_session(Stream stream, beast::flat_buffer buffer, std::shared_ptr<shared_state> state,
               socket_slot slot);
  void run();

 private:
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void do_upgrade();
  void do_api(bool keep_alive, bool keyed);
  void do_reply(http_reply reply, bool keep_alive);
  void on_write(bool keep_alive, beast::error_code ec, std::size_t bytes);
  // A reply with body_parts: the head, then one chunk per part.
  void do_stream(http_reply reply, bool keep_alive);
  void ask_part(std::shared_ptr<body_parts> parts, bool keep_alive);
  void write_part(std::shared_ptr<body_parts> parts, bool keep_alive, std::string part, bool last);
  void do_shutdown();

  Stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<shared_state> state_;
  std::uint16_t port_ = 0;  // the client's
  std::string ip_;
  std::string remote_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> response_;
  std::shared_ptr<http::response<http::empty_body>> stream_head_;
  std::optional<http::response_serializer<http::empty_body>> head_writer_;
  std::string part_;  // the chunk being written
  std::optional<socket_slot> slot_;
};

extern template class http_session<plain_stream>;
extern template class http_session<tls_stream>;

}  // namespace sluice::transport
