#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace sluice {

// A first-in first-out queue that holds no memory while it has never been
// used (std::deque allocates its map and a first block at construction: half
// a KiB for every idle connection). Elements live in one vector read from
// `head_`; the vector is emptied when the queue drains and compacted when
// the read part outgrows the rest.
template <class T>
class fifo {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }

  void push_back(T value) { items_.push_back(std::move(value)); }

  void pop_front() {
    items_[head_] = T{};  // what it holds goes now, not at the next compaction
    if (++head_ == items_.size()) return clear();
    if (head_ >= compact_at && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  // Drained: a queue that grew large gives its memory back.
  void clear() {
    items_.clear();
    head_ = 0;
    if (items_.capacity() > keep_capacity) items_.shrink_to_fit();
  }

  auto begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() const { return items_.end(); }

 private:
  static constexpr std::size_t compact_at = 256;
  static constexpr std::size_t keep_capacity = 256;
  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace sluice
