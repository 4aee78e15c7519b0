#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "security/token_bucket.hpp"

namespace sluice::security {

// Token buckets of one limit, one per key (a user, an IP address), shared by
// every connection. Buckets that are full again are forgotten, so the map
// holds only keys that were active within about one `per` (or `block_for`).
class rate_limiter {
 public:
  explicit rate_limiter(config::rate_limit limit) : limit_(limit) {}

  bool enabled() const { return limit_.points > 0; }
  // Zero when `key` may go on; otherwise how long it must wait.
  std::chrono::milliseconds take(const std::string& key, steady_time now);
  std::size_t tracked() const;

 private:
  void sweep(steady_time now);

  const config::rate_limit limit_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, token_bucket> buckets_;
  std::size_t sweep_at_ = 1024;  // sweep when the map reaches this size
};

}  // namespace sluice::security
