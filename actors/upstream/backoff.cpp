#include "actors/upstream/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace sluice::actors {

std::chrono::milliseconds backoff_policy::ceiling(unsigned attempt) const {
  // Computed in double so a large attempt saturates at max instead of overflowing.
  double bound = static_cast<double>(base.count()) * std::pow(multiplier, attempt);
  bound = std::min(bound, static_cast<double>(max.count()));
  return std::chrono::milliseconds{static_cast<std::int64_t>(bound)};
}

std::chrono::milliseconds backoff_policy::delay(unsigned attempt, std::mt19937_64& rng) const {
  std::uniform_int_distribution<std::int64_t> pick{0, ceiling(attempt).count()};
  return std::chrono::milliseconds{pick(rng)};
}

std::mt19937_64& jitter_rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

}  // namespace sluice::actors
