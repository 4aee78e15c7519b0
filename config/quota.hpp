#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::config {

// A route's per-user compute quota (`quota:`), counted per principal: the
// token's `sub`, the API key, or the address of an anonymous client. Windows
// are fixed and aligned to the Unix epoch, so every node of a cluster starts
// and ends them together.
struct quota_config {
  std::chrono::milliseconds window{60000};
  std::uint32_t max_in_flight = 0;  // requests running at once; 0: unbounded
  std::uint64_t requests = 0;       // requests started per window; 0: unbounded
  std::uint64_t units = 0;          // units used per window; 0: unbounded
  // Where a frame reports the units it used, as a path into the upstream's
  // message (e.g. usage.tokens); empty: every stream frame is one unit.
  std::vector<std::string> units_field;
  // When units run out while a stream runs: end it with quota_exceeded (else
  // it finishes and the next request is refused).
  bool end_stream = true;
  bool refuse_anonymous = false;  // anonymous: refuse (else counted by address)

  bool enabled() const { return max_in_flight > 0 || requests > 0 || units > 0; }
};

}  // namespace sluice::config
