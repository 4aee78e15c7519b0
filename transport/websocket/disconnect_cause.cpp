#include "transport/websocket/disconnect_cause.hpp"

namespace sluice::transport {

std::string_view disconnect_cause(beast::error_code ec) {
  if (ec == websocket::error::closed) return "closed";
  if (ec == beast::error::timeout) return "idle_timeout";
  if (ec == websocket::error::message_too_big) return "too_big";
  // Beast's websocket errors are its protocol violations (its condition
  // websocket::condition::protocol_violation covers them all).
  if (ec == websocket::condition::protocol_violation) return "protocol_error";
  return "connection_lost";
}

}  // namespace sluice::transport
