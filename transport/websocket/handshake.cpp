#include "transport/websocket/handshake.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "core/error_code.hpp"

namespace sluice::transport {
namespace {

constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
// A key is 16 random bytes in base64: 24 characters.
constexpr std::size_t max_key_size = 24;

bool has_token(const http::request<http::string_body>& request, http::field field,
               std::string_view token) {
  auto it = request.find(field);
  return it != request.end() && http::token_list{it->value()}.exists(token);
}

http_reply bad_handshake(std::string_view why) {
  return http_error(400, to_string(ec::bad_request), why);
}

}  // namespace

std::optional<http_reply> refuse_handshake(const http::request<http::string_body>& request) {
  if (request.version() != 11) return bad_handshake("WebSocket upgrade needs HTTP/1.1");
  if (request.method() != http::verb::get) return bad_handshake("WebSocket upgrade needs GET");
  if (request.find(http::field::host) == request.end())
    return bad_handshake("WebSocket upgrade without Host");
  if (!has_token(request, http::field::connection, "upgrade"))
    return bad_handshake("WebSocket upgrade without Connection: upgrade");
  if (!has_token(request, http::field::upgrade, "websocket"))
    return bad_handshake("WebSocket upgrade without Upgrade: websocket");
  auto key = request.find(http::field::sec_websocket_key);
  if (key == request.end() || key->value().empty() || key->value().size() > max_key_size)
    return bad_handshake("WebSocket upgrade without a valid Sec-WebSocket-Key");
  auto version = request.find(http::field::sec_websocket_version);
  if (version == request.end())
    return bad_handshake("WebSocket upgrade without Sec-WebSocket-Version");
  if (version->value() != "13") {
    auto reply = http_error(426, to_string(ec::bad_request),
                            "this server speaks WebSocket version 13 (RFC 6455)");
    reply.headers.emplace_back("Sec-WebSocket-Version", "13");
    return reply;
  }
  return std::nullopt;
}

std::string sec_websocket_accept(std::string_view key) {
  std::string input{key};
  input += guid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  unsigned char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  auto n = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
  return {reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(n)};
}

std::string accept_response(std::string_view key, std::string_view subprotocol) {
  std::string out =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: upgrade\r\n"
      "Server: sluice\r\n"
      "Sec-WebSocket-Accept: ";
  out += sec_websocket_accept(key);
  out += "\r\n";
  if (!subprotocol.empty()) {
    out += "Sec-WebSocket-Protocol: ";
    out += subprotocol;
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

}  // namespace sluice::transport
