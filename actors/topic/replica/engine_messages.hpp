#pragma once

#include <caf/atom.hpp>

// What a topic's use of the engine (engine: nats) hands its actor: answers
// that come on a NATS thread (replica/engine_link.cpp), and the topic's own
// retries. They pass between a NATS thread and one topic only, so they live
// with the topic's engine role, not in actors/messages.hpp.
namespace sluice::actors {

// engine (a NATS thread) → topic (engine_link.hpp): the topic's stream was
// opened (generation, ok, epoch, first, last, error); its subscription
// started (generation, ok, error); a message of it (generation, sequence,
// ts_ms, kind, data); the subscription reported an error (generation, why);
// a publish was acknowledged (id, sequence, error kind, why). topic →
// itself: try the engine again (generation).
using engine_opened_atom = caf::atom_constant<caf::atom("e_opened")>;
using engine_subscribed_atom = caf::atom_constant<caf::atom("e_subd")>;
using engine_message_atom = caf::atom_constant<caf::atom("e_msg")>;
using engine_trouble_atom = caf::atom_constant<caf::atom("e_trouble")>;
using engine_acked_atom = caf::atom_constant<caf::atom("e_acked")>;
using engine_retry_atom = caf::atom_constant<caf::atom("e_retry")>;
// engine → topic: an acknowledged consumer's cursor was read (token, ok,
// found, acked, sent, revision, the topic's other cursors, error) / written (key, result,
// revision); topic → itself: write that cursor again (key).
using engine_cursor_loaded_atom = caf::atom_constant<caf::atom("e_curload")>;
using engine_cursor_stored_atom = caf::atom_constant<caf::atom("e_curstore")>;
using engine_cursor_retry_atom = caf::atom_constant<caf::atom("e_curretry")>;
// engine → a client id's inbox: its claim was made or read (token, ok,
// created, the digest stored, error).
using engine_claimed_atom = caf::atom_constant<caf::atom("e_claimed")>;

}  // namespace sluice::actors
