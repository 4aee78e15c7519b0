#pragma once

#include <string>
#include <string_view>

#include "actors/job/job.hpp"
#include "config/config.hpp"

namespace sluice::actors {

// The built-in compute route: `steps` progress frames `interval` apart (the
// first at once), then a final frame whose `result` is the text in upper case
// (ASCII letters; other bytes, including UTF-8 sequences, pass unchanged).
// The payload is {"text": "…"} or a plain string. Produces nothing while the
// client is a window of frames behind (flow_control.hpp).
driver_factory uppercase_driver(config::uppercase_params params);

// ASCII upper case; every other byte is kept.
std::string to_upper_ascii(std::string_view text);

}  // namespace sluice::actors
