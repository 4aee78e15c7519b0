#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>

#include "protocol/shared_frame.hpp"

namespace sluice::actors {

// Multi-event frames (subscribe `batch`): several events in one frame, one
// per line, while the frame stays under a byte limit. A fan-out builds each
// such frame once and shares it with every batched subscriber that starts
// at the same offset; clear() forgets them when the fan-out is done.
class multi_event_frames {
 public:
  using frame_at_fn = std::function<const protocol::shared_frame&(std::uint64_t)>;

  explicit multi_event_frames(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  struct chunk {
    protocol::shared_frame frame;
    std::uint64_t next;  // the first offset it does not hold
  };
  // The frame of the events from `from` on, none past `until` (from <= until).
  chunk frame_from(std::uint64_t from, std::uint64_t until, const frame_at_fn& frame_at);
  void clear() { built_.clear(); }

 private:
  std::size_t max_bytes_;
  std::unordered_map<std::uint64_t, chunk> built_;  // by first offset, during one fan-out
};

}  // namespace sluice::actors
