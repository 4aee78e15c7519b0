#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::actors {

// Who is owed what on one topic, with no sockets and no actors: the topic
// tells it what history holds and how much each subscriber's connection can
// take; it answers with what to send to whom (ranges of offsets, and gaps).
//
// Each subscriber has a cursor (`next`, the next offset it is owed) and
// credit (how many more messages it may be sent now). A subscriber at the
// tail with credit gets each new message as it is appended; one that is
// behind (it asked for history with `since`, or ran out of credit) is fed
// from history as credit comes. The lag policy bounds how far behind one may
// fall: beyond `max_lag` messages it is closed, or skips ahead and is told so
// by a `slow` gap. A subscriber owed offsets that history no longer holds is
// told by a `history` gap. Every offset reaches a subscriber once, in order,
// or lies inside a gap it was sent.
class subscriber_set {
 public:
  using key = std::uint64_t;

  // What history holds: offsets [first, last]; empty when first == last + 1.
  struct window {
    std::uint64_t first = 1;
    std::uint64_t last = 0;
  };

  struct lag_policy {
    std::uint64_t max_lag = 0;  // 0: no bound
    bool disconnect = false;    // else drop the oldest (announced as a `slow` gap)
  };

  // One instruction for the topic, in the order it must be carried out.
  struct instruction {
    enum class kind : std::uint8_t {
      messages,  // send the messages at offsets [from, to]
      gap,       // tell it offsets [from, to] will not come, for `reason`
      wait,      // out of credit while owed more: grant() it once its connection can take more
      close,     // it fell too far behind (policy disconnect): close it; already removed here
    };
    kind what;
    key to;
    std::uint64_t from = 0;
    std::uint64_t until = 0;
    std::string_view reason;  // gap: "slow" | "history" | what rewind() was given
  };
  using instructions = std::vector<instruction>;

  explicit subscriber_set(lag_policy policy) : policy_(policy) {}

  // Adds `who` (or moves its cursor if present): it is owed offsets from
  // `next`; what it asked for up to `asked_until` is not lag. It starts with
  // `credit`.
  void subscribe(key who, std::uint64_t next, std::uint64_t asked_until, std::uint64_t credit,
                 window held, instructions& out);
  // False if it was not subscribed.
  bool unsubscribe(key who);
  bool contains(key who) const { return subs_.count(who) != 0; }
  std::size_t size() const { return subs_.size(); }
  bool empty() const { return subs_.empty(); }

  // History now holds `held` (messages were appended, old ones may be gone).
  void appended(window held, instructions& out);
  // `who` can take `credit` more (replacing what it had left).
  void grant(key who, std::uint64_t credit, window held, instructions& out);
  // Its connection filled up: it was sent what comes before `resume_from`
  // (at most what it was last told to send) and gets nothing more until
  // grant(). Instructions for it that followed in the same batch are void,
  // except a close.
  void block(key who, std::uint64_t resume_from);
  // The epoch changed and history was replaced by `held`: offsets from
  // `diverged` to `old_last` of the old epoch will not come (one gap with
  // `reason`); every cursor moves back to `diverged` at the latest.
  void rewind(std::uint64_t diverged, std::uint64_t old_last, std::string_view reason, window held,
              instructions& out);
  // Every subscriber gets what it is owed and can take (after history was
  // replaced within the same epoch).
  void pump_all(window held, instructions& out);

  // The next offset `who` is owed (0 if unknown); for tests and info.
  std::uint64_t next_of(key who) const;

 private:
  struct cursor {
    std::uint64_t next = 1;
    std::uint64_t asked_until = 0;
    std::uint64_t credit = 0;
    std::optional<std::uint64_t> skipped_from;  // skipped for being slow, from here
    bool waiting = false;                       // told to wait; grant() clears it
  };

  // False when `c` was closed for its lag (then it is gone).
  bool within_lag(key who, cursor& c, window held, instructions& out);
  void pump(key who, cursor& c, window held, instructions& out);

  lag_policy policy_;
  std::unordered_map<key, cursor> subs_;
};

}  // namespace sluice::actors
