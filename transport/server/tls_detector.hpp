#pragma once

#include <memory>

#include "transport/server/shared_state.hpp"
#include "transport/server/streams.hpp"

namespace sluice::transport {

// Looks at the first bytes of a new connection: a TLS ClientHello gets the
// TLS handshake and an https/wss session; anything else a plain one (unless
// server.tls.require). Both handshakes run under request_timeout.
class tls_detector : public std::enable_shared_from_this<tls_detector> {
 public:
  tls_detector(tcp::socket socket, std::shared_ptr<shared_state> state,
               std::shared_ptr<ssl::context> ctx, socket_slot slot);
  void run();

 private:
  void on_detect(beast::error_code ec, bool is_tls);
  void on_handshake(std::shared_ptr<tls_stream> stream, beast::error_code ec, std::size_t used);

  plain_stream stream_;
  std::shared_ptr<shared_state> state_;
  std::shared_ptr<ssl::context> ctx_;
  beast::flat_buffer buffer_;
  std::optional<socket_slot> slot_;  // handed on to the HTTP session
};

// The server's TLS context from server.tls (PEM certificate chain and key).
// Throws std::runtime_error naming the file that cannot be used.
std::shared_ptr<ssl::context> make_tls_context(const config::tls_config& tls);

}  // namespace sluice::transport
