#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

namespace sluice::actors {

// One acknowledged consumer of a topic (issue: durable consumers with
// `ack`): what it was sent and has not acknowledged, when and how often each
// went out, and what to send next. Acks are cumulative. A message not
// acknowledged within `ack_wait` is sent again (redelivered) up to
// `max_deliver` times in all; after its last delivery's `ack_wait` it is
// dead: handed back once for the dead-letter topic and counted as done. At
// most `max_ack_pending` messages are out at once. Socket- and actor-free,
// so that its interleavings are tested alone; not yet used by the topic.
class consumer_cursor {
 public:
  using clock = std::chrono::steady_clock;

  struct limits {
    clock::duration ack_wait = std::chrono::seconds(30);
    std::uint32_t max_deliver = 5;  // deliveries of one message, the first included
    std::uint32_t max_ack_pending = 1000;
  };

  struct delivery {
    std::uint64_t offset;
    std::uint32_t attempt;  // 1: the first delivery
    bool redelivered() const { return attempt > 1; }
  };

  enum class ack_result { ok, not_delivered };

  // `acked`: the offset the consumer acknowledged last (0: none), where it resumes.
  explicit consumer_cursor(limits l, std::uint64_t acked = 0) : limits_(l), floor_(acked) {
    next_ = floor_ + 1;
  }

  // What to send at `now` when the topic's last offset is `last`: due
  // redeliveries first (oldest offset first), then new messages, while fewer
  // than max_ack_pending are out.
  std::vector<delivery> due(std::uint64_t last, clock::time_point now) {
    std::vector<delivery> out;
    for (auto& [offset, p] : pending_) {
      if (p.attempts >= limits_.max_deliver || now < p.sent + limits_.ack_wait) continue;
      p.sent = now;
      out.push_back({offset, ++p.attempts});
    }
    while (next_ <= last && pending_.size() < limits_.max_ack_pending) {
      pending_.emplace(next_, sent_at{now, 1});
      out.push_back({next_++, 1});
    }
    return out;
  }

  // The consumer acknowledged everything up to `offset`. An offset it was
  // not sent yet is refused; one at or below what it acknowledged is a no-op.
  ack_result ack(std::uint64_t offset) {
    if (offset >= next_) return ack_result::not_delivered;
    pending_.erase(pending_.begin(), pending_.upper_bound(offset));
    if (offset > floor_) floor_ = offset;
    advance();
    return ack_result::ok;
  }

  // Messages whose last delivery's ack_wait passed at `now`: each is returned
  // once (for the dead-letter topic) and no longer pending.
  std::vector<std::uint64_t> dead(clock::time_point now) {
    std::vector<std::uint64_t> out;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.attempts < limits_.max_deliver || now < it->second.sent + limits_.ack_wait) {
        ++it;
        continue;
      }
      out.push_back(it->first);
      it = pending_.erase(it);
    }
    advance();
    return out;
  }

  // Everything up to here is acknowledged or dead: where the consumer resumes.
  std::uint64_t acked() const { return floor_; }
  std::size_t pending() const { return pending_.size(); }

 private:
  struct sent_at {
    clock::time_point sent;
    std::uint32_t attempts;
  };

  // Below next_, an offset that is not pending was acknowledged or is dead:
  // the floor moves over those right above it.
  void advance() {
    while (floor_ + 1 < next_ && !pending_.contains(floor_ + 1)) ++floor_;
  }

  limits limits_;
  std::uint64_t floor_;  // acknowledged (or dead) up to here
  std::uint64_t next_;   // the first offset never sent
  std::map<std::uint64_t, sent_at> pending_;
};

}  // namespace sluice::actors
