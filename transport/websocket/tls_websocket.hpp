#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "transport/beast.hpp"
#include "transport/server/streams.hpp"
#include "transport/websocket/serial_write_stream.hpp"

namespace sluice::transport {

// A TLS connection's WebSocket: Beast's stream (plain connections run on
// plain_websocket).
using tls_websocket = websocket::stream<serial_write_stream<tls_stream>>;

// Sets Beast's options (idle_timeout with keep-alive pings at half of it,
// messages unfragmented, the answer's Server and subprotocol headers), then
// answers the upgrade `request`. (A template: Beast's operations take the
// handler as it is, not type-erased.)
template <class Handler>
void async_accept_tls(tls_websocket& ws, const http::request<http::string_body>& request,
                      std::string_view subprotocol, std::chrono::milliseconds idle_timeout,
                      Handler&& handler) {
  // The stream's own timer would fire mid-session; the websocket timeouts below replace it.
  expires_never(beast::get_lowest_layer(ws));
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
  if (idle_timeout.count() > 0) {
    timeouts.idle_timeout = idle_timeout;
    timeouts.keep_alive_pings = true;  // ping at half the idle time; silence closes
  }
  ws.set_option(timeouts);
  ws.set_option(websocket::stream_base::decorator(
      [subprotocol = std::string{subprotocol}](websocket::response_type& res) {
        res.set(http::field::server, "sluice");
        if (!subprotocol.empty()) res.set(http::field::sec_websocket_protocol, subprotocol);
      }));
  ws.auto_fragment(false);
  ws.async_accept(request, std::forward<Handler>(handler));
}

}  // namespace sluice::transport
