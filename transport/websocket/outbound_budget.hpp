#pragma once

#include <atomic>
#include <cstddef>

namespace sluice::transport {

// Admission control for one connection's outbound queue: callers on any
// thread reserve room for a frame before posting it to the connection's
// executor, which releases it once the frame is written. Bounded in frames
// and in bytes.
class outbound_budget {
 public:
  outbound_budget(std::size_t max_frames, std::size_t max_bytes)
      : max_frames_(max_frames), max_bytes_(max_bytes) {}

  // Reserves room for one frame of `bytes`; false (and nothing reserved) when
  // either bound would be exceeded. A frame larger than max_bytes is admitted
  // only into an empty queue, so one big frame is never refused forever.
  bool try_reserve(std::size_t bytes) noexcept;
  void release(std::size_t bytes) noexcept { release(1, bytes); }
  void release(std::size_t frames, std::size_t bytes) noexcept;

  // Over half of either bound.
  bool above_low_water() const noexcept {
    return frames() > max_frames_ / 2 || bytes() > max_bytes_ / 2;
  }

  std::size_t frames() const noexcept { return frames_.load(std::memory_order_relaxed); }
  std::size_t bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }

 private:
  const std::size_t max_frames_;
  const std::size_t max_bytes_;
  std::atomic<std::size_t> frames_{0};
  std::atomic<std::size_t> bytes_{0};
};

}  // namespace sluice::transport
