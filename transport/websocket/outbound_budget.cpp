#include "transport/websocket/outbound_budget.hpp"

namespace sluice::transport {

bool outbound_budget::try_reserve(std::size_t bytes) noexcept {
  auto frames = frames_.fetch_add(1, std::memory_order_relaxed);
  auto before = bytes_.fetch_add(bytes, std::memory_order_relaxed);
  bool fits = frames < max_frames_ && (before + bytes <= max_bytes_ || frames == 0);
  if (!fits) release(bytes);
  return fits;
}

void outbound_budget::release(std::size_t frames, std::size_t bytes) noexcept {
  frames_.fetch_sub(frames, std::memory_order_relaxed);
  bytes_.fetch_sub(bytes, std::memory_order_relaxed);
}

}  // namespace sluice::transport
