#include "security/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace sluice::security {

using std::chrono::duration;
using std::chrono::milliseconds;

token_bucket::token_bucket(const config::rate_limit& limit, steady_time now)
    : tokens_(limit.points), updated_(now) {}

void token_bucket::refill(const config::rate_limit& limit, steady_time now) {
  double per_ms = static_cast<double>(limit.points) / static_cast<double>(limit.per.count());
  duration<double, std::milli> elapsed = now - updated_;
  tokens_ = std::min<double>(limit.points, tokens_ + elapsed.count() * per_ms);
  updated_ = now;
}

milliseconds token_bucket::take(const config::rate_limit& limit, steady_time now) {
  auto ceil_ms = [](auto d) {
    return std::max(milliseconds{1}, std::chrono::ceil<milliseconds>(d));
  };
  refill(limit, now);
  if (now < blocked_until_) return ceil_ms(blocked_until_ - now);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return milliseconds{0};
  }
  double per_ms = static_cast<double>(limit.points) / static_cast<double>(limit.per.count());
  auto until_token = duration<double, std::milli>{(1.0 - tokens_) / per_ms};
  auto wait = std::max(std::chrono::duration_cast<steady_time::duration>(until_token),
                       std::chrono::duration_cast<steady_time::duration>(limit.block_for));
  blocked_until_ = now + wait;
  return ceil_ms(wait);
}

bool token_bucket::idle(const config::rate_limit& limit, steady_time now) const {
  if (now < blocked_until_) return false;
  double per_ms = static_cast<double>(limit.points) / static_cast<double>(limit.per.count());
  duration<double, std::milli> elapsed = now - updated_;
  return tokens_ + elapsed.count() * per_ms >= limit.points;
}

}  // namespace sluice::security
