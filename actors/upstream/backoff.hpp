#pragma once

#include <chrono>
#include <random>

namespace sluice::actors {

// Exponential backoff with full jitter: the n-th wait (from 0) is uniform in
// [0, min(max, base * multiplier^n)], so that many gateways retrying one
// upstream spread out instead of arriving together.
struct backoff_policy {
  std::chrono::milliseconds base{200};
  std::chrono::milliseconds max{10000};
  double multiplier = 2.0;

  // The upper bound of the n-th wait.
  std::chrono::milliseconds ceiling(unsigned attempt) const;
  // The n-th wait, drawn with `rng`.
  std::chrono::milliseconds delay(unsigned attempt, std::mt19937_64& rng) const;
};

}  // namespace sluice::actors
