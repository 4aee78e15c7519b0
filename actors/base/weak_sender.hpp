#pragma once

#include <caf/all.hpp>

#include <utility>

namespace sluice::actors {

// Sends to an actor from transport's threads while the actor lives. Holds
// only a weak reference, so a running process or an open connection does not
// keep a finished actor's memory.
class weak_sender {
 public:
  explicit weak_sender(caf::weak_actor_ptr to) : to_(std::move(to)) {}

  template <class... Ts>
  void send(Ts&&... xs) const {
    if (auto strong = to_.lock())
      caf::anon_send(caf::actor_cast<caf::actor>(strong), std::forward<Ts>(xs)...);
  }

 private:
  caf::weak_actor_ptr to_;
};

}  // namespace sluice::actors
