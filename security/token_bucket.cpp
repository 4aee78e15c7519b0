#include "security/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace sluice::security {

using std::chrono::duration;
using std::chrono::milliseconds;

namespace {

double points_per_ms(const config::rate_limit& limit) {
  return static_cast<double>(limit.points) / static_cast<double>(limit.per.count());
}

}  // namespace

token_bucket::token_bucket(const config::rate_limit& limit, steady_time now)
    : tokens_(limit.points), updated_(now) {}

double token_bucket::tokens_at(const config::rate_limit& limit, steady_time now) const {
  duration<double, std::milli> elapsed = now - updated_;
  return std::min<double>(limit.points, tokens_ + elapsed.count() * points_per_ms(limit));
}

void token_bucket::refill(const config::rate_limit& limit, steady_time now) {
  tokens_ = tokens_at(limit, now);
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
  auto until_token = duration<double, std::milli>{(1.0 - tokens_) / points_per_ms(limit)};
  auto wait = std::max(std::chrono::duration_cast<steady_time::duration>(until_token),
                       std::chrono::duration_cast<steady_time::duration>(limit.block_for));
  blocked_until_ = now + wait;
  return ceil_ms(wait);
}

bool token_bucket::idle(const config::rate_limit& limit, steady_time now) const {
  return now >= blocked_until_ && tokens_at(limit, now) >= limit.points;
}

}  // namespace sluice::security
