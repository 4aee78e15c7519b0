#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/error_code.hpp"

// Builders for the Sluice → worker frames of the /workers protocol
// (docs/protocol.md, "Workers"). `job` is the job id as JSON text.
namespace sluice::actors::worker_frames {

std::string registered(std::string_view worker_id, const std::vector<std::string>& routes,
                       std::uint32_t capacity, std::chrono::milliseconds heartbeat_interval);
// `window`: frames (progress, token) the worker may send for the job before it
// waits for `credit`.
std::string job(std::string_view job, std::string_view route, std::string_view payload_json,
                std::uint32_t window);
std::string credit(std::string_view job, std::uint32_t n);
std::string cancel(std::string_view job);
// `job` may be empty.
std::string error(ec code, std::string_view message, std::string_view job = {});

}  // namespace sluice::actors::worker_frames
