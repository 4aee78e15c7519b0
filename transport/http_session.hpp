#pragma once

#include <memory>
#include <optional>
#include <string>

#include "transport/beast.hpp"
#include "transport/http_endpoints.hpp"
#include "transport/shared_state.hpp"

namespace sluice::transport {

// One accepted TCP connection speaking HTTP/1.1: answers the plain endpoints
// (keep-alive) until the client asks to upgrade /ws, then hands the socket to
// a websocket_session.
class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(tcp::socket socket, std::shared_ptr<shared_state> state);
  void run();

 private:
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void do_upgrade();
  void do_api(bool keep_alive);
  void do_reply(http_reply reply, bool keep_alive);
  void on_write(bool keep_alive, beast::error_code ec, std::size_t bytes);
  void do_shutdown();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<shared_state> state_;
  std::string remote_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> response_;
};

}  // namespace sluice::transport
