#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

namespace sluice::actors {

// Publishes an owner stored and sent to its followers, by offset: each is
// acknowledged once `needed` followers confirmed they hold it, and reported
// lost as soon as too few are left to confirm. Each offset is decided once.
// No actors: `Waiter` is whatever the caller answers (a response promise;
// an int in tests).
template <class Waiter>
class ack_quorum {
 public:
  enum class outcome : std::uint8_t { acknowledged, lost };
  struct decision {
    outcome what;
    Waiter waiter;
  };

  // `offset` went to `asked` followers and needs `needed` of them; decided
  // at once when it needs none, or more than were asked.
  std::optional<decision> expect(std::uint64_t offset, std::size_t needed, std::size_t asked,
                                 Waiter waiter) {
    if (needed == 0) return decision{outcome::acknowledged, std::move(waiter)};
    if (needed > asked) return decision{outcome::lost, std::move(waiter)};
    entries_.insert_or_assign(offset, entry{std::move(waiter), needed, asked});
    return std::nullopt;
  }

  // A follower answered for `offset`: the decision when this answer makes it,
  // nothing while it is still open (or for an offset decided before).
  std::optional<decision> answered(std::uint64_t offset, bool stored) {
    auto it = entries_.find(offset);
    if (it == entries_.end()) return std::nullopt;
    auto& e = it->second;
    --e.pending;
    std::optional<decision> out;
    if (stored && --e.needed == 0)
      out = decision{outcome::acknowledged, std::move(e.waiter)};
    else if (e.pending < e.needed)  // the rest cannot make it any more
      out = decision{outcome::lost, std::move(e.waiter)};
    if (out) entries_.erase(it);
    return out;
  }

  std::size_t open() const { return entries_.size(); }

 private:
  struct entry {
    Waiter waiter;
    std::size_t needed;   // confirmations still wanted
    std::size_t pending;  // followers asked that have not answered
  };
  std::map<std::uint64_t, entry> entries_;
};

}  // namespace sluice::actors
