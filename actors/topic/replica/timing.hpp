#pragma once

#include <chrono>

namespace sluice::actors::replica_timing {

constexpr auto patience = std::chrono::seconds(5);              // one step of finding the owner
constexpr auto retry_after = std::chrono::milliseconds(250);    // after a step failed
constexpr auto recruit_every = std::chrono::milliseconds(500);  // asking peers to follow

}  // namespace sluice::actors::replica_timing
