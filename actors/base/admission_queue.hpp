#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <utility>

#include "core/priority.hpp"

namespace sluice::actors {

// How many requests may wait for an upstream's capacity (limits.upstream_queue)
// and how fast a waiting one rises in priority (limits.priority_aging).
struct admission_limits {
  std::size_t bound = 10000;
  std::chrono::milliseconds aging{10000};
};

// What a caller of admission_queue::admit did with one waiting item.
enum class admission { taken, skipped, stop };

// Requests waiting for capacity (a worker, a process slot), admitted by
// priority: higher first, in arrival order within one priority. A waiting
// request's priority rises one level for every `aging_step` it waited (up to
// critical), so a steady stream of urgent requests cannot starve an old one:
// once aged to a level, it goes before everything that arrived after it there.
//
// One FIFO per priority it was queued with: along each, the age falls and so
// does the effective priority, so merging the fronts gives the admission order
// without sorting. Socket-free; the actors that own capacity hold one.
template <class T>
class admission_queue {
 public:
  using clock = std::chrono::steady_clock;

  // `aging_step` zero: priorities never rise.
  explicit admission_queue(clock::duration aging_step = {}) : aging_step_(aging_step) {}

  // Queues `item` and returns its place in line now (1: admitted next).
  std::size_t push(T item, priority p, clock::time_point now) {
    std::size_t ahead = 0;
    for (int level = 0; level < priority_levels; ++level) {
      const auto& fifo = fifos_[level];
      if (level >= static_cast<int>(p)) {
        ahead += fifo.size();
        continue;
      }
      // Those of a lower level that have aged to `p` or above (the oldest come first).
      auto first_younger = std::partition_point(fifo.begin(), fifo.end(), [&](const entry& e) {
        return effective(e, now) >= static_cast<int>(p);
      });
      ahead += static_cast<std::size_t>(first_younger - fifo.begin());
    }
    fifos_[static_cast<int>(p)].push_back({std::move(item), now, next_seq_++, static_cast<int>(p)});
    ++size_;
    return ahead + 1;
  }

  // Offers the waiting items to `decide(T&, priority, waited)` in admission
  // order (the priority it was queued with, and how long it has waited);
  // removes those it took. `stop` ends the round (e.g., no capacity is left).
  template <class Decide>
  void admit(clock::time_point now, Decide&& decide) {
    std::array<std::size_t, priority_levels> at{};
    for (;;) {
      int best = -1;
      for (int level = 0; level < priority_levels; ++level) {
        if (at[level] >= fifos_[level].size()) continue;
        if (best < 0 || before(fifos_[level][at[level]], fifos_[best][at[best]], now)) best = level;
      }
      if (best < 0) return;
      auto& fifo = fifos_[best];
      auto& e = fifo[at[best]];
      auto verdict = decide(e.item, static_cast<priority>(e.level), now - e.since);
      if (verdict == admission::taken) {
        fifo.erase(fifo.begin() + static_cast<std::ptrdiff_t>(at[best]));
        --size_;
      } else {
        ++at[best];
      }
      if (verdict == admission::stop) return;
    }
  }

  // Removes every item `drop(T&)` says true for (it may act on it first).
  template <class Drop>
  void remove_if(Drop&& drop) {
    for (auto& fifo : fifos_) {
      auto gone = std::remove_if(fifo.begin(), fifo.end(), [&](entry& e) { return drop(e.item); });
      size_ -= static_cast<std::size_t>(fifo.end() - gone);
      fifo.erase(gone, fifo.end());
    }
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct entry {
    T item;
    clock::time_point since;
    std::uint64_t seq;  // arrival order
    int level;
  };

  int effective(const entry& e, clock::time_point now) const {
    if (aging_step_ <= clock::duration::zero() || now <= e.since) return e.level;
    auto steps = (now - e.since) / aging_step_;
    return static_cast<int>(std::min<decltype(steps)>(e.level + steps, priority_levels - 1));
  }

  bool before(const entry& a, const entry& b, clock::time_point now) const {
    int ea = effective(a, now), eb = effective(b, now);
    return ea != eb ? ea > eb : a.seq < b.seq;
  }

  clock::duration aging_step_;
  std::array<std::deque<entry>, priority_levels> fifos_;
  std::uint64_t next_seq_ = 0;
  std::size_t size_ = 0;
};

}  // namespace sluice::actors
