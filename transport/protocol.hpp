#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error_code.hpp"

// Protocol v1, client side: a text frame decoded once, on the I/O thread, into
// a typed message for the session actor. docs/protocol.md describes the wire.
namespace sluice::transport {

enum class client_message_type : std::uint8_t {
  request,
  cancel,
  ping,
  subscribe,
  unsubscribe,
  publish,
  refresh,  // a new token for a long session
  invalid,
  // Frames of workers at /workers (docs/protocol.md, "Workers").
  worker_register,
  worker_update,  // progress, token, final or error of one job
  heartbeat,
};

struct client_message {
  client_message_type type = client_message_type::invalid;
  std::string id;                    // the id as JSON (`"a1"` or `42`); empty when absent
                                     // (worker frames: the `job` id, as JSON)
  std::string route;                 // request: route name; empty means the default route
                                     // (worker_update: its kind: progress, token, final, error)
  std::string payload;               // request: the payload as minified JSON (`null` when absent)
                                     // (worker_update: its `data`)
                                     // (publish: its `data`)
  bool compat = false;               // request: came as a bare {"text": …} frame
  std::string topic;                 // subscribe, unsubscribe, publish: a valid topic name
  std::int64_t since = -1;           // subscribe: deliver from the offset after this; -1: live only
  std::uint64_t epoch = 0;           // subscribe: the epoch `since` belongs to; 0: not given
  bool batch = false;                // subscribe: several events per frame, one per line
  ec error = ec::invalid_frame;      // invalid: why
  std::string error_message;         // invalid: for humans (worker_update error: its `message`)
  std::uint64_t retry_after_ms = 0;  // invalid with rate_limited: when a frame may pass again
  // worker_register only.
  std::vector<std::string> routes;
  std::uint32_t capacity = 1;
  std::string token;  // also: refresh
  std::string name;
};

constexpr std::size_t max_id_bytes = 128;
constexpr std::size_t max_route_bytes = 64;
constexpr std::size_t max_json_depth = 64;

// Decodes one text frame. Never throws: bad input becomes an `invalid` message.
client_message decode_client_frame(std::string_view text);

// Decodes one text frame of a worker (the /workers endpoint).
client_message decode_worker_frame(std::string_view text);

// The message a binary frame becomes (protocol v1 is text only).
client_message binary_frame_message();

// Frames toward a client are built once and shared by every queue they enter.
using shared_frame = std::shared_ptr<const std::string>;

}  // namespace sluice::transport
