#pragma once

// The vocabulary of Sluice's actors: every atom and message type, in one place,
// and the one function that registers them with the actor system.
#include <caf/all.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error_code.hpp"
#include "core/storage/append_log.hpp"
#include "protocol/client_frames.hpp"
#include "protocol/worker_frames.hpp"
#include "transport/client_link.hpp"

namespace sluice::actors {

// transport → session: client frames read at once, in order (one frame
// alone comes as a protocol::client_frame).
struct client_frame_batch {
  std::vector<protocol::client_frame> frames;
};
// transport → session: the connection ended (carries transport::close_info).
using closed_atom = caf::atom_constant<caf::atom("closed")>;
// bin → every session: stop taking requests; close when done or at the deadline.
using drain_atom = caf::atom_constant<caf::atom("drain")>;
// session → itself: the drain deadline passed.
using drain_end_atom = caf::atom_constant<caf::atom("drain_end")>;
// transport → session: the client's outbound queue drained below half.
using writable_atom = caf::atom_constant<caf::atom("writable")>;
// session → job: the job may send this many more frames (see flow_control.hpp).
using credit_atom = caf::atom_constant<caf::atom("credit")>;
// job → itself: time for the next step.
using tick_atom = caf::atom_constant<caf::atom("tick")>;
// job → itself: the route's timeout elapsed.
using deadline_atom = caf::atom_constant<caf::atom("deadline")>;

// How a request ended, as counted in sluice_requests_total{outcome}.
enum class request_outcome : std::uint8_t {
  ok,
  error,              // the job answered with an error frame
  cancelled,          // the client sent `cancel`
  deadline_exceeded,  // the route's timeout elapsed
  client_gone,        // the connection closed first
  shutting_down,      // cancelled at the drain deadline
  internal,           // the job failed
  quota_exceeded,     // its principal's units ran out mid-stream (route quota)
};
std::string_view to_string(request_outcome outcome);

// job → session: one frame of a request's reply stream, already serialized.
struct job_event {
  std::string id;  // the request id as JSON
  std::string frame;
  bool terminal = false;                          // the last frame of this request
  request_outcome outcome = request_outcome::ok;  // meaningful when terminal
};

// launcher → process job: one line the process printed.
struct process_line {
  bool from_stderr = false;
  std::string line;
};

// launcher → process job: the process ended (exit_code, or the signal; the other is -1).
struct process_exit {
  int exit_code = -1;
  int signal = -1;
};

// A topic's history as one node sends it to another (follow, handover): the
// epoch, its newest offset, and the records; the first may be an inbox's claim
// (record_kind::claim, offset 0), which never enters history.
struct history_copy {
  std::uint64_t epoch = 0;
  std::uint64_t last = 0;
  std::vector<log_record> records;
};

// websocket connector → websocket job: the connection could not be opened
// (with why) / a message (with its text) / the connection ended (why).
using upstream_failed_atom = caf::atom_constant<caf::atom("up_failed")>;
using upstream_message_atom = caf::atom_constant<caf::atom("up_msg")>;
using upstream_closed_atom = caf::atom_constant<caf::atom("up_closed")>;

// sse client → sse job: the request failed (HTTP status or 0, why) / one
// event's data / the response ended (why, whether it was a protocol error).
using sse_failed_atom = caf::atom_constant<caf::atom("sse_fail")>;
using sse_event_atom = caf::atom_constant<caf::atom("sse_event")>;
using sse_end_atom = caf::atom_constant<caf::atom("sse_end")>;
// http client → http job: the answer (status, 0 when none; body; why when
// there was no answer or it was too large; whether it was too large).
using http_answer_atom = caf::atom_constant<caf::atom("http_ans")>;

// job → supervisor: the upstream answered / failed (why); counts toward its circuit.
using upstream_up_atom = caf::atom_constant<caf::atom("up_up")>;
using upstream_down_atom = caf::atom_constant<caf::atom("up_down")>;
// supervisor → itself: time to probe (generation); prober → supervisor: the
// outcome (probe_outcome).
using probe_atom = caf::atom_constant<caf::atom("probe")>;
using probe_result_atom = caf::atom_constant<caf::atom("probe_res")>;
struct probe_outcome {
  std::uint64_t generation = 0;  // of the probe: a later one makes it stale
  bool healthy = false;
  std::string detail;
  double seconds = 0;  // how long the probe took
};
// job → supervisor: may I start (a slot under max_concurrent; the request's
// priority as std::uint8_t)? supervisor → job: yes, with an upstream_slot, or
// queued_atom first; slot → supervisor, when its last owner lets go: released.
using acquire_atom = caf::atom_constant<caf::atom("acquire")>;
using slot_atom = caf::atom_constant<caf::atom("slot")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
// supervisor or worker pool → job: every slot or worker is busy; the request
// waits at this place in line (std::uint32_t, 1: next).
using queued_atom = caf::atom_constant<caf::atom("queued")>;
// job → itself: time for the next attempt at the upstream.
using retry_atom = caf::atom_constant<caf::atom("retry")>;

// Workers (kind `workers`), see worker_pool.hpp:
// job → pool: serve this request (route, payload, priority as std::uint8_t).
using assign_atom = caf::atom_constant<caf::atom("assign")>;
// pool → worker: send this job (job actor, route, payload) to your worker.
using dispatch_atom = caf::atom_constant<caf::atom("dispatch")>;
// job → itself: this attempt (its number) had its route's attempt_timeout.
using attempt_timeout_atom = caf::atom_constant<caf::atom("att_tmo")>;
// pool → job: your request went to this pool on another node (the pool);
// the job watches it until a worker there takes the request.
using routed_atom = caf::atom_constant<caf::atom("w_routed")>;
// worker → job: your job id at the worker is … (the sender is the worker actor).
using assigned_atom = caf::atom_constant<caf::atom("assigned")>;
// worker → job: the worker sent this for your job (protocol::job_update).
using worker_update_atom = caf::atom_constant<caf::atom("w_update")>;
// worker → job: the worker went away before your job ended (why).
using worker_lost_atom = caf::atom_constant<caf::atom("w_lost")>;
// worker → pool: registered (routes, capacity) / gone / one job of it ended.
using worker_up_atom = caf::atom_constant<caf::atom("w_up")>;
using worker_down_atom = caf::atom_constant<caf::atom("w_down")>;
using job_done_atom = caf::atom_constant<caf::atom("job_done")>;
// worker → itself: time to check the heartbeat.
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;

// Topics (topic/topic.hpp):
// session → topic: a subscription (below) / unsubscribe (link, session, id
// JSON) / the session's client drained (session).
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
// The connection's own inbox: it stays subscribed even when `since` is refused.
constexpr std::uint8_t subscribe_own_inbox = 1;
// No `subscribed` frame (an anonymous session's inbox, subscribed at connect).
constexpr std::uint8_t subscribe_quietly = 2;
// Several events in one text frame, one JSON object per line (opt-in).
constexpr std::uint8_t subscribe_batched = 4;
using unsubscribe_atom = caf::atom_constant<caf::atom("unsub")>;
// session → topic, with subscribe_atom: deliver to `link` on behalf of `session`.
struct subscription {
  std::shared_ptr<transport::client_link> link;
  caf::actor session;
  std::string id;           // the subscribe frame's id as JSON; may be empty
  std::int64_t since = -1;  // deliver from the offset after this; -1: live only
  std::uint64_t epoch = 0;  // the epoch `since` belongs to; 0: not given
  std::uint8_t flags = 0;   // subscribe_own_inbox, subscribe_quietly, subscribe_batched
  // An acknowledged consumer: its name, and the principal it belongs to.
  std::string consumer;
  std::string principal;
  std::vector<std::string> kinds;  // only messages of these kinds; empty: all
};
// Acknowledged consumers (topic/consumers.cpp):
// session → topic: (link, session, id JSON, offset) the consumer the session
// attached acknowledged everything up to offset.
using consumer_ack_atom = caf::atom_constant<caf::atom("c_ack")>;
// topic → itself: a redelivery or dead letter may be due / the consumers'
// cursors changed and are to be written (fsync: interval).
using consumer_tick_atom = caf::atom_constant<caf::atom("c_tick")>;
using consumer_save_atom = caf::atom_constant<caf::atom("c_save")>;
// follower topic → owner topic: the stored cursor of (principal, name) →
// (acked, sent); its new values (principal, name, acked, sent).
using consumer_load_atom = caf::atom_constant<caf::atom("c_load")>;
using consumer_store_atom = caf::atom_constant<caf::atom("c_store")>;
// HTTP API → topic: its consumers as JSON text (bool: with principals).
using topic_consumers_atom = caf::atom_constant<caf::atom("t_consum")>;
// anyone → topic: publish (record kind, data) → (offset, epoch), or an error
// (storage_failed, owner_unavailable: errors.hpp).
using publish_atom = caf::atom_constant<caf::atom("publish")>;
// session → topic: a publish (as publish_atom) with more of the same batch
// right behind it: the topic hands its subscribers the lot once the last
// one (a plain publish_atom, or fan_out_atom) arrives.
using publish_more_atom = caf::atom_constant<caf::atom("pub_more")>;
// A session retries publishes that waited for a full topic mailbox.
using publish_retry_atom = caf::atom_constant<caf::atom("pub_retry")>;
// session → the inbox of its client id, when the client has no principal
// (security/client_ids.hpp): claim it (the digest of the resume credential
// the client presented or "", the digest of a fresh one) → claim_verdict.
// The owner decides; a follower asks the owner.
using claim_atom = caf::atom_constant<caf::atom("t_claim")>;
enum class claim_verdict : std::uint8_t {
  issued,       // the inbox was unclaimed: the fresh credential is now its own
  resumed,      // the presented credential is the inbox's
  refused,      // the inbox belongs to a client that holds another credential
  unavailable,  // the owner could not be asked (cluster): try again later
};
// session → its inbox: one frame of a request stream (frame JSON).
using inbox_frame_atom = caf::atom_constant<caf::atom("inbox_fr")>;
// HTTP API → topic: its state, as JSON text / one part of a history page
// (history_query) → history_part, or error invalid_offset.
using topic_info_atom = caf::atom_constant<caf::atom("t_info")>;
using topic_history_atom = caf::atom_constant<caf::atom("t_hist")>;
struct history_query {
  std::uint64_t from = 0;          // the first offset wanted
  std::uint64_t max_messages = 0;  // at most this many
  std::uint64_t max_bytes = 0;     // about this many bytes of JSON (at least one message)
  bool clamp = false;              // start at the oldest kept if `from` is older
};
struct history_part {
  std::uint64_t epoch = 0;
  std::uint64_t first = 0;  // the oldest offset the topic keeps
  std::uint64_t last = 0;   // its newest
  std::uint64_t from = 0;   // the offset of the first message in `messages`
  std::string messages;     // JSON objects, comma-separated
  std::uint64_t count = 0;  // how many
};
// topic → itself: time to sync the log (fsync: interval) / to see whether an
// idle inbox may leave.
using sync_atom = caf::atom_constant<caf::atom("t_sync")>;
using expire_atom = caf::atom_constant<caf::atom("t_expire")>;
// history budget → topic: the budget is over its bound; give back what you
// hold above your fair share (history_budget.hpp).
using trim_atom = caf::atom_constant<caf::atom("t_trim")>;
// A session's token may have expired (unless a refresh moved expires_at on):
// the round of checks it belongs to (session.cpp).
using token_check_atom = caf::atom_constant<caf::atom("tok_check")>;

// Cluster (cluster.hpp), between the cluster actors of two nodes:
// join (join_request) → nothing, or error unauthorized with the reason
// (errors.hpp).
using cluster_join_atom = caf::atom_constant<caf::atom("cl_join")>;
struct join_request {
  std::string node;    // the joiner's name
  std::string proof;   // security::join_proof: it holds the cluster secret
  caf::actor cluster;  // the joiner's cluster actor
};
// the topic of this name on your node (topic, start it if it does not exist)
// → the topic actor, or an error (errors.hpp).
using cluster_open_atom = caf::atom_constant<caf::atom("cl_open")>;
// a worker pool's capacity (pool_report).
using cluster_pool_atom = caf::atom_constant<caf::atom("cl_pool")>;
struct pool_report {
  std::string upstream;
  caf::actor pool;
  std::uint32_t free = 0;  // slots
  std::uint32_t capacity = 0;
  std::vector<std::string> routes;
};
// cluster actor → itself: time to pass changed pool capacity on to the peers.
using cluster_tick_atom = caf::atom_constant<caf::atom("cl_tick")>;
// cluster actor → a local worker pool: what other nodes' pools offer changed.
using remote_pools_atom = caf::atom_constant<caf::atom("cl_rpools")>;
// pool → pool on another node: serve this job there (job_assignment); never passed on again.
using cluster_assign_atom = caf::atom_constant<caf::atom("cl_assign")>;
struct job_assignment {
  caf::actor job;  // the job actor, on the node its client is connected to
  std::string route;
  std::string payload;        // JSON
  std::uint8_t priority = 1;  // sluice::priority
  std::string client;         // who is asking: the job frame's `client` (JSON)
};
// cluster actor → itself: connect to this peer again (peer name).
using cluster_connect_atom = caf::atom_constant<caf::atom("cl_conn")>;
// topic → itself, or a session that ended a batch with publish_more_atom:
// deliver what was appended since the last fan-out.
using fan_out_atom = caf::atom_constant<caf::atom("tp_fanout")>;
// main → cluster actor: the cluster port is bound; dial the peers now.
using cluster_listening_atom = caf::atom_constant<caf::atom("cl_listen")>;
// Leases (node_lease.hpp), between cluster actors: ping (this node's name,
// its monotonic send time in ns) / pong (lease_answer).
// cluster actor → itself: time to ping / time to report this view.
using lease_ping_atom = caf::atom_constant<caf::atom("cl_ping")>;
using lease_pong_atom = caf::atom_constant<caf::atom("cl_pong")>;
struct lease_answer {
  std::string from;                                // the answering node
  std::int64_t sent = 0;                           // the ping's send time, echoed
  std::vector<std::vector<std::string>> reported;  // its reported views of who is up
};
using lease_tick_atom = caf::atom_constant<caf::atom("cl_lease")>;
using report_view_atom = caf::atom_constant<caf::atom("cl_report")>;
// cluster → topics on this node (its group): the set of nodes that are up changed.
using membership_atom = caf::atom_constant<caf::atom("cl_members")>;
// Topics across nodes (topic/replica/ownership.cpp, topic/replica/publishing.cpp):
// follower → owner: follow me (follow_request) → history_copy (the records
// I lack), or error owner_unavailable (not the owner, or it takes my newer
// history first: ask again).
using follow_atom = caf::atom_constant<caf::atom("t_follow")>;
struct follow_request {
  caf::actor follower;      // the follower's topic actor
  std::uint64_t epoch = 0;  // the epoch its history belongs to
  std::uint64_t last = 0;   // the last offset it holds
};
// owner → follower: one new message (epoch, log_record) → stored?
using replicate_atom = caf::atom_constant<caf::atom("t_repl")>;
// follower → owner: publish for me (kind, data) → as publish_atom.
using forward_atom = caf::atom_constant<caf::atom("t_forward")>;
// follower → owner: append this frame of a request stream (kind, data); no
// answer (an inbox's frames are not acknowledged to anyone).
using forward_frame_atom = caf::atom_constant<caf::atom("t_fwdframe")>;
// new owner → previous owner: give me the topic → (history_copy, was the owner).
using handover_atom = caf::atom_constant<caf::atom("t_handover")>;
// owner topic → itself: a follower came (after its answer went out): send
// what waited for followers / publishes waited too long for them.
using held_drain_atom = caf::atom_constant<caf::atom("t_helddrn")>;
using held_expire_atom = caf::atom_constant<caf::atom("t_heldexp")>;
// topic → itself: find the owner again.
using resolve_atom = caf::atom_constant<caf::atom("t_resolve")>;
// launcher → process job: a line exceeded max_line_bytes.
using line_too_long_atom = caf::atom_constant<caf::atom("longline")>;

// One of an upstream's max_concurrent slots (job_support.hpp).
class upstream_slot;
using slot_ptr = std::shared_ptr<upstream_slot>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, process_line& x) {
  return f(caf::meta::type_name("sluice.process_line"), x.from_stderr, x.line);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, process_exit& x) {
  return f(caf::meta::type_name("sluice.process_exit"), x.exit_code, x.signal);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pool_report& x) {
  return f(caf::meta::type_name("sluice.pool_report"), x.upstream, x.pool, x.free, x.capacity,
           x.routes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lease_answer& x) {
  return f(caf::meta::type_name("sluice.lease_answer"), x.from, x.sent, x.reported);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, probe_outcome& x) {
  return f(caf::meta::type_name("sluice.probe_outcome"), x.generation, x.healthy, x.detail,
           x.seconds);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_copy& x) {
  return f(caf::meta::type_name("sluice.history_copy"), x.epoch, x.last, x.records);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_request& x) {
  return f(caf::meta::type_name("sluice.join_request"), x.node, x.proof, x.cluster);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_assignment& x) {
  return f(caf::meta::type_name("sluice.job_assignment"), x.job, x.route, x.payload, x.priority,
           x.client);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, follow_request& x) {
  return f(caf::meta::type_name("sluice.follow_request"), x.follower, x.epoch, x.last);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_query& x) {
  return f(caf::meta::type_name("sluice.history_query"), x.from, x.max_messages, x.max_bytes,
           x.clamp);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_part& x) {
  return f(caf::meta::type_name("sluice.history_part"), x.epoch, x.first, x.last, x.from,
           x.messages, x.count);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_event& x) {
  return f(caf::meta::type_name("sluice.job_event"), x.id, x.frame, x.terminal, x.outcome);
}

// Registers every message type above with the actor system configuration.
void register_message_types(caf::actor_system_config& cfg);

}  // namespace sluice::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::slot_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<sluice::transport::client_link>)
// What a connection read, for the actor on the same node that serves it.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::protocol::client_frame)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::client_frame_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::protocol::worker_frame)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::subscription)  // holds the client's link

// A topic record, as it travels between nodes.
namespace sluice {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_record& x) {
  return f(caf::meta::type_name("sluice.log_record"), x.offset, x.ts_ms, x.kind, x.data);
}

}  // namespace sluice

// A worker's frame for a job, passed to the job as it was decoded (the job may
// be on another node).
namespace sluice::protocol {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_update& x) {
  return f(caf::meta::type_name("sluice.job_update"), x.job, x.kind, x.data, x.message, x.event);
}

}  // namespace sluice::protocol

// Transport's types that travel in actor messages.
namespace sluice::transport {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, close_info& x) {
  return f(caf::meta::type_name("sluice.close_info"), x.code, x.reason);
}

}  // namespace sluice::transport
