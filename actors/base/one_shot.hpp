#pragma once

#include <caf/all.hpp>

namespace sluice::actors {

// Runs `ask(self)` in an actor of its own, which lives until the responses
// `ask` asked for have come (each handler then quits it): how the HTTP API,
// on an I/O thread, asks actors without waiting.
template <class Ask>
void in_actor(caf::actor_system& system, Ask ask) {
  // The unused argument: CAF 0.17 binds a null reference for a function
  // actor spawned without arguments (UBSan reports it).
  system.spawn(
      [ask = std::move(ask)](caf::event_based_actor* self, int) mutable -> caf::behavior {
        ask(self);
        return {[](caf::unit_t) {}};  // waits only for the responses `ask` asked for
      },
      0);
}

}  // namespace sluice::actors
