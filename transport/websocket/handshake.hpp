#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "transport/beast.hpp"
#include "transport/http/http_endpoints.hpp"

// The server's half of the WebSocket opening handshake (RFC 6455 section 4.2).
namespace sluice::transport {

// The refusal of an upgrade request section 4.2.1 does not allow, with a JSON
// body: 400 (not HTTP/1.1 GET, no Host, no Connection: upgrade or Upgrade:
// websocket, no or an oversized Sec-WebSocket-Key), or 426 naming version 13
// for another Sec-WebSocket-Version. nullopt: it may be accepted.
std::optional<http_reply> refuse_handshake(const http::request<http::string_body>& request);

// Section 4.2.2: base64(SHA-1(key + the RFC's GUID)).
std::string sec_websocket_accept(std::string_view key);

// The 101 answer's bytes, echoing `subprotocol` unless it is empty.
std::string accept_response(std::string_view key, std::string_view subprotocol);

}  // namespace sluice::transport
