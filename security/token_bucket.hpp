#pragma once

#include <chrono>
#include <cstdint>

#include "config/config.hpp"

namespace sluice::security {

using steady_time = std::chrono::steady_clock::time_point;

// One token bucket: `points` tokens, refilled at points/per, continuously.
// Taking from an empty bucket blocks it for `block_for` (or until a token is
// back, whichever is later). Not thread-safe; see rate_limiter for shared ones.
class token_bucket {
 public:
  explicit token_bucket(const config::rate_limit& limit, steady_time now);

  // Zero when a token was taken; otherwise how long until one may be.
  std::chrono::milliseconds take(const config::rate_limit& limit, steady_time now);
  // Full and unblocked at `now`: the bucket may be forgotten.
  bool idle(const config::rate_limit& limit, steady_time now) const;

 private:
  void refill(const config::rate_limit& limit, steady_time now);
  double tokens_at(const config::rate_limit& limit, steady_time now) const;

  double tokens_;
  steady_time updated_;
  steady_time blocked_until_{};
};

}  // namespace sluice::security
