#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <vector>

namespace sluice::actors {

// One acknowledged consumer of a topic (subscribe with `consumer` and
// `ack`): what it was sent and has not acknowledged, when and how often each
// went out, and what to send next. Acks are cumulative. A message not
// acknowledged within `ack_wait` is sent again (redelivered) up to
// `max_deliver` times in all; after its last delivery's `ack_wait` it is
// dead: handed back once for the dead-letter topic and counted as done. At
// most `max_ack_pending` messages are out at once. Socket- and actor-free,
// so that its interleavings are tested alone (actors/topic/consumers.cpp
// drives it).
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

  // `acked`: the offset the consumer acknowledged last (0: none), where it
  // resumes. `sent_through`: the last offset it was sent before (a stored
  // cursor): those after `acked` are pending and due again at once.
  explicit consumer_cursor(limits l, std::uint64_t acked = 0, std::uint64_t sent_through = 0)
      : limits_(l), floor_(acked) {
    next_ = floor_ + 1;
    for (; next_ <= sent_through && pending_.size() < limits_.max_ack_pending; ++next_)
      pending_.emplace(next_, sent_at{clock::time_point::min(), 1});
  }

  // What to send at `now` when the topic's last offset is `last`, at most
  // `max_count`: due redeliveries first (oldest offset first), then new
  // messages, while fewer than max_ack_pending are out.
  std::vector<delivery> due(std::uint64_t last, clock::time_point now,
                            std::size_t max_count = std::numeric_limits<std::size_t>::max()) {
    std::vector<delivery> out;
    for (auto& [offset, p] : pending_) {
      if (out.size() >= max_count) return out;
      if (p.attempts >= limits_.max_deliver || now < p.sent + limits_.ack_wait) continue;
      p.sent = now;
      out.push_back({offset, ++p.attempts});
    }
    while (out.size() < max_count && next_ <= last && pending_.size() < limits_.max_ack_pending) {
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

  // The consumer came back (reconnected): what it was sent and did not
  // acknowledge is due again now, but for messages on their last delivery,
  // which still wait out their ack_wait.
  void redeliver_now() {
    for (auto& [offset, p] : pending_)
      if (p.attempts < limits_.max_deliver) p.sent = clock::time_point::min();
  }

  // History no longer holds the offsets before `first`: they are given up
  // (neither sent again nor dead). Returns how many pending ones went.
  std::size_t skip_below(std::uint64_t first) {
    if (first == 0 || floor_ + 1 >= first) return 0;
    auto end = pending_.lower_bound(first);
    auto lost = static_cast<std::size_t>(std::distance(pending_.begin(), end));
    pending_.erase(pending_.begin(), end);
    floor_ = first - 1;
    next_ = std::max(next_, first);
    advance();
    return lost;
  }

  // When the next pending message's ack_wait runs out (a redelivery or a
  // dead letter is due then); nothing when none is pending.
  std::optional<clock::time_point> next_timeout() const {
    std::optional<clock::time_point> out;
    for (const auto& [offset, p] : pending_) {
      auto at = p.sent == clock::time_point::min() ? p.sent : p.sent + limits_.ack_wait;
      if (!out || at < *out) out = at;
    }
    return out;
  }

  // Everything up to here is acknowledged or dead: where the consumer resumes.
  std::uint64_t acked() const { return floor_; }
  // The last offset it was sent.
  std::uint64_t sent_through() const { return next_ - 1; }
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
