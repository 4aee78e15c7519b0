#pragma once

#include <string_view>

#include "transport/beast.hpp"

namespace sluice::transport {

// Why a client's WebSocket read ended, as the label of
// sluice_websocket_disconnects_total{cause}:
//   closed           a close handshake (either side began it)
//   idle_timeout     nothing heard for idle_timeout, a ping unanswered
//   protocol_error   a frame breaking RFC 6455 (close 1002), or text that is
//                    not UTF-8 (1007)
//   too_big          a message over max_frame_bytes (1009)
//   connection_lost  the socket ended without a close frame
std::string_view disconnect_cause(beast::error_code ec);

}  // namespace sluice::transport
