#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error_code.hpp"
#include "core/json.hpp"

// Builders for the server → client frames of protocol v1 (docs/protocol.md).
// Each returns the frame as JSON text.
namespace sluice::protocol::frames {

// An object that starts with `type` and, when `id` is not empty, the request id (JSON).
json::object typed(std::string_view type, std::string_view id);

// What `welcome` tells a client. Empty fields are left out.
struct welcome_fields {
  std::string_view session = {};
  std::string_view node = {};
  std::vector<std::string> routes = {};
  std::string_view default_route = {};  // empty: null
  std::string_view inbox = {};          // the client's inbox topic
  std::string_view user = {};           // the authenticated `sub`
  std::string_view user_channel = {};   // and its channel
  std::string_view resume = {};         // the credential that resumes the client id's inbox
};
std::string welcome(const welcome_fields& w);

// A frame of a request stream as the inbox of a client id keeps it: it also
// names the connection that made the request (`session`), since every
// connection of the client sees it and request ids are per connection.
std::string with_session(std::string frame, std::string_view session_id);
// A frame of a request stream with `ts`, when it left the gateway (Unix ms;
// server.frame_timestamps).
std::string with_timestamp(std::string frame, std::int64_t unix_ms);
// The gateway took a request: {"type":"accepted","id":…,"request":"<server id>",
// "queued":<place in line, 0 when it runs at once>}.
std::string accepted(std::string_view id, std::string_view server_id, std::uint32_t queued);
// `id` is the request id as JSON text.
std::string progress(std::string_view id, std::uint32_t step, std::uint32_t steps);
std::string final_result(std::string_view id, std::string_view result);
// The final frame of an `http` upstream: its answer (any JSON) as `result`.
std::string final_json(std::string_view id, std::string_view result_json);
// The route's fallback answer (its `fallback_on`):
// {"type":"final","id":…,"fallback":true,"result":<the fallback, JSON>}.
std::string fallback(std::string_view id, std::string_view result_json);
// `id` may be empty (an error about a frame that had no usable id).
std::string error(ec code, std::string_view message, std::string_view id = {});
// An error about an upstream's HTTP answer, with its `status`.
std::string error_with_status(ec code, std::string_view message, std::string_view id,
                              unsigned status);
// error rate_limited, with when to try again.
std::string rate_limited(std::string_view message, std::string_view id,
                         std::uint64_t retry_after_ms);
// error quota_exceeded: which `limit` of the route's quota, and when to try again.
std::string quota_exceeded(std::string_view message, std::string_view id,
                           std::uint64_t retry_after_ms, std::string_view limit);
// The answer to a `refresh` that was accepted: the session now ends at `expires_at`.
std::string refreshed(std::string_view id, std::int64_t expires_at);
std::string pong(std::string_view id);
// The answer to a service_* frame: the service's status object.
std::string service(std::string_view id, std::string_view status_json);
// The answer to service_list: every service's status and the watched files.
std::string services(std::string_view id, std::string_view statuses_json,
                     std::string_view watches_json);

// A line a process printed: `stream` is "stdout" or "stderr" (marked level "error").
std::string process_line(std::string_view id, bool from_stderr, std::string_view line);
// A frame carrying a backend's own JSON untouched in `data` (type progress or
// token), with `kind`, the backend's own name for the event, when it is
// another name than `type` (e.g. "tool_call").
std::string with_data(std::string_view type, std::string_view id, std::string_view data_json,
                      std::string_view kind = {});
// The final frame of an upstream: its own final object in `data`.
std::string final_with_data(std::string_view id, std::string_view data_json);
// An upstream's own error object, relayed as error upstream_failed with `data`.
std::string upstream_error(std::string_view id, std::string_view data_json);
// A worker's error for a job: error upstream_failed with the worker's
// `message`, and its `data` when it sent any (not `null`).
std::string worker_error(std::string_view id, std::string_view message, std::string_view data_json);
// The end of a process that exited 0; `data_json` (may be empty) is its own final object.
std::string process_final(std::string_view id, std::string_view data_json);

}  // namespace sluice::protocol::frames
