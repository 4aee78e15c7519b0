#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error_code.hpp"
#include "core/priority.hpp"

// Protocol v1, client → Sluice: one type per frame (docs/protocol.md). A text
// frame is decoded once, on the connection's I/O thread, into a client_frame
// for the session actor. Ids are kept as JSON text (`"a1"` or `42`) so that
// answers echo them byte for byte; an empty id means the frame had none.
namespace sluice::protocol {

// {"type":"request","id":…,"route":…,"payload":…}, or the compatibility form
// {"text":"…"}: a request to the default route whose payload is the frame.
struct request {
  std::string id;
  std::string route;             // empty: the default route
  std::string payload = "null";  // minified JSON
  bool compat = false;           // came as a bare {"text": …} frame
  sluice::priority priority = sluice::priority::normal;
  std::vector<std::string> kinds;  // the stream frames wanted (`kinds`); empty: all
};

struct cancel {
  std::string id;
};

struct ping {
  std::string id;
};

struct subscribe {
  std::string id;
  std::string topic;        // a valid topic name
  std::int64_t since = -1;  // deliver from the offset after this; -1: live only
  std::uint64_t epoch = 0;  // the epoch `since` belongs to; 0: not given
  bool batch = false;       // several events per frame, one per line
  // An acknowledged consumer (`consumer` with `ack: true`): a durable cursor
  // the server keeps under this name for the client's principal.
  std::string consumer;
  std::vector<std::string> kinds;  // only messages of these kinds; empty: all
};

// A consumer acknowledges everything up to `offset` of `topic`.
struct ack {
  std::string id;
  std::string topic;
  std::uint64_t offset = 0;
};

struct unsubscribe {
  std::string id;
  std::string topic;
};

struct publish {
  std::string id;
  std::string topic;
  std::string data;  // minified JSON
};

// A new token for a long session.
struct refresh {
  std::string id;
  std::string token;
};

// Control of a managed service (`service_start`, `service_stop`,
// `service_restart`, `service_status`), or `service_list`.
struct service_command {
  std::string id;
  std::string action;  // start, stop, restart, status or list
  std::string name;    // the service (empty for list)
};

// A frame that cannot be acted on (also: one over a rate limit, and binary
// frames): the session answers it with an error frame.
struct invalid {
  std::string id;  // when the frame had a usable one
  ec code = ec::invalid_frame;
  std::string message;               // for humans
  std::uint64_t retry_after_ms = 0;  // rate_limited: when a frame may pass again
};

using client_frame = std::variant<request, cancel, ping, subscribe, unsubscribe, publish, refresh,
                                  ack, service_command, invalid>;

// Decodes one text frame. Never throws: bad input becomes `invalid`.
client_frame decode_client_frame(std::string_view text);

// What a binary frame becomes (protocol v1 is text only).
invalid binary_frame();

// The frame's id as JSON text (empty when it had none).
const std::string& id_of(const client_frame& frame);

}  // namespace sluice::protocol
