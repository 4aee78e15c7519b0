#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error_code.hpp"
#include "protocol/client_frames.hpp"

// The /workers protocol (docs/protocol.md, "Workers"), both directions: one
// type per worker → Sluice frame with its decoder, and the builders of the
// Sluice → worker frames. Job ids are JSON text, as the worker sent them.
namespace sluice::protocol {

// {"type":"register","routes":[…],"capacity":N,"token":"…","name":"…"}
struct worker_register {
  std::vector<std::string> routes;  // non-empty
  std::uint32_t capacity = 1;
  std::string token;
  std::string name;
};

struct heartbeat {};

// progress, token, final or error of one job.
struct job_update {
  std::string job;            // the job id as JSON
  std::string kind;           // "progress", "token", "final" or "error"
  std::string data = "null";  // the frame's `data`, minified JSON
  std::string message;        // error: the worker's `message`
  std::string event;          // progress, token: the worker's own name for it (`kind`), if any
};

// {"type":"publish","job":…,"topic":…,"data":…,"id":…}: a message for a
// topic, published while the job runs (its upstream's `publish` patterns say
// where). With an `id`, the worker gets `published` back.
struct worker_publish {
  std::string job;    // the job id as JSON
  std::string topic;  // a valid topic name
  std::string data;   // minified JSON
  std::string id;     // JSON; empty: no acknowledgement
};

using worker_frame = std::variant<worker_register, heartbeat, job_update, worker_publish, invalid>;

// Decodes one text frame of a worker. Never throws: bad input becomes `invalid`.
worker_frame decode_worker_frame(std::string_view text);

}  // namespace sluice::protocol

namespace sluice::protocol::worker_frames {

std::string registered(std::string_view worker_id, const std::vector<std::string>& routes,
                       std::uint32_t capacity, std::chrono::milliseconds heartbeat_interval);
// `window`: frames (progress, token) the worker may send for the job before it
// waits for `credit`.
// `client_json`: who is asking ({"sub","roles","client_id"}); empty: left out.
std::string job(std::string_view job, std::string_view route, std::string_view payload_json,
                std::uint32_t window, std::string_view client_json = {});
std::string credit(std::string_view job, std::uint32_t n);
std::string cancel(std::string_view job);
// `job` may be empty.
std::string error(ec code, std::string_view message, std::string_view job = {});

}  // namespace sluice::protocol::worker_frames
