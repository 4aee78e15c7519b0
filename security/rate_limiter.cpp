#include "security/rate_limiter.hpp"

namespace sluice::security {

std::chrono::milliseconds rate_limiter::take(const std::string& key, steady_time now) {
  if (!enabled()) return std::chrono::milliseconds{0};
  std::lock_guard lock{mutex_};
  auto it = buckets_.try_emplace(key, limit_, now).first;
  auto wait = it->second.take(limit_, now);
  if (buckets_.size() >= sweep_at_) sweep(now);
  return wait;
}

void rate_limiter::sweep(steady_time now) {
  std::erase_if(buckets_, [&](const auto& kv) { return kv.second.idle(limit_, now); });
  sweep_at_ = std::max<std::size_t>(1024, buckets_.size() * 2);
}

std::size_t rate_limiter::tracked() const {
  std::lock_guard lock{mutex_};
  return buckets_.size();
}

}  // namespace sluice::security
