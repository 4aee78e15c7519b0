#pragma once

#include <caf/fwd.hpp>

namespace sluice::actors {

// What an actor does with a message no handler of its current behavior takes,
// and with an error message no request awaits: it logs it, counts it
// (sluice_actor_unexpected_messages_total{actor}) and goes on. (CAF's
// defaults print the one and quit on the other, so that a stray reply from
// another node could end a topic.) A request gets an error response.
void ignore_strays(caf::scheduled_actor* self, const char* actor_name);

// The default handler alone, for an actor that had set caf::skip meanwhile.
void drop_strays(caf::scheduled_actor* self, const char* actor_name);

}  // namespace sluice::actors
