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

// The calling thread's engine for jitter, seeded once per thread. Seeding an
// engine per request (std::random_device and 2.5 KiB of state) cost a relayed
// request more CPU than all its actor messages.
std::mt19937_64& jitter_rng();

}  // namespace sluice::actors
