#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace sluice {

// The kinds of actor that can be flooded (design: "the mailbox bound").
enum class mailbox_kind : std::uint8_t { session, job, topic, upstream };

// Messages one actor has accepted and not yet handled, against the bound its
// producers respect. Producers call accepted() before they send and check
// full() first; the actor calls handled(). Every change is mirrored in
// /metrics per kind of actor: sluice_mailbox_depth (sum over the actors),
// sluice_mailbox_depth_high_water (the most any one actor held),
// sluice_mailbox_drops_total and sluice_mailbox_bound.
// Thread-safe: producers and the actor may run on different threads.
class mailbox_gauge {
 public:
  mailbox_gauge(mailbox_kind kind, std::size_t bound);
  ~mailbox_gauge();  // what is still counted leaves the kind's depth
  mailbox_gauge(const mailbox_gauge&) = delete;
  mailbox_gauge& operator=(const mailbox_gauge&) = delete;

  // Lists a kind's bound in /metrics before any actor of the kind exists.
  static void declare(mailbox_kind kind, std::size_t bound);

  std::size_t bound() const { return bound_; }
  std::size_t depth() const { return depth_.load(std::memory_order_relaxed); }
  bool full() const { return depth() >= bound_; }

  // Returns the depth after the change.
  std::size_t accepted(std::size_t n = 1);
  std::size_t handled(std::size_t n = 1);
  // For an actor that keeps its own queue: the depth is the queue's size.
  void track(std::size_t queue_size);
  // A message refused or discarded because the bound was reached.
  void dropped(std::size_t n = 1);

 private:
  const mailbox_kind kind_;
  const std::size_t bound_;
  std::atomic<std::size_t> depth_{0};
};

}  // namespace sluice
