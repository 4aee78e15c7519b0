// Acknowledged consumers of a topic in the engine (engine: nats). The node a
// consumer is attached to delivers, redelivers and dead-letters as anywhere
// else (consumers.cpp); its cursor (acknowledged, sent) lives in JetStream, in
// the cursors' KV bucket, so it survives the loss of any Sluice node. Every
// write names the revision it follows: when another node attached the
// consumer and wrote since, this node's write is refused and its connection
// is told `consumer_moved`. Attaching is such a write too (a claim): the
// connection gets `subscribed` once the claim is stored, so from then on a
// node that had the consumer learns of the move at its next write. One write
// per consumer is in flight at a time; what changes meanwhile goes in the next.
#include "actors/messages.hpp"
#include "actors/topic/replica/engine_messages.hpp"
#include "actors/topic/topic.hpp"
#include "core/observe/log.hpp"

namespace sluice::actors {
namespace {

constexpr auto cursor_retry_after = std::chrono::seconds(1);
// Claims refused because another node wrote between the read and the claim,
// before the attach gives up: a consumer busy elsewhere takes a try or two.
constexpr int max_claim_tries = 4;

}  // namespace

caf::message_handler topic_state::engine_cursor_handlers() {
  return {
      [this](engine_cursor_loaded_atom, std::uint64_t token, bool ok, bool found,
             std::uint64_t acked, std::uint64_t sent, std::uint64_t revision, std::uint64_t others,
             const std::string& error) {
        on_cursor_loaded(token, ok, found ? std::optional{std::pair{acked, sent}} : std::nullopt,
                         revision, others, error);
      },
      [this](engine_cursor_stored_atom, const std::string& key, std::uint8_t result,
             std::uint64_t revision) { on_cursor_stored(key, result, revision); },
      [this](engine_cursor_retry_atom, const std::string& key) {
        auto it = engine_cursors_.find(key);
        if (it != engine_cursors_.end() && !it->second.in_flight && it->second.dirty)
          send_cursor(key, it->second);
      },
  };
}

void topic_state::attach_from_engine(const subscription& s, consumer_record fresh) {
  attaching_[s.session.id()] = s.session;
  self_->monitor(s.session);
  read_cursor(engine_attach{s, std::move(fresh)});
}

void topic_state::read_cursor(engine_attach a) {
  auto token = ++next_forward_;
  auto key = transport::jetstream::cursor_key(topic_, a.s.principal, a.s.consumer);
  engine_attaching_.emplace(token, std::move(a));
  engine_->load_cursor(token, key);
}

void topic_state::on_cursor_loaded(std::uint64_t token, bool ok,
                                   std::optional<std::pair<std::uint64_t, std::uint64_t>> stored,
                                   std::uint64_t revision, std::uint64_t others,
                                   const std::string& error) {
  auto it = engine_attaching_.find(token);
  if (it == engine_attaching_.end()) return;
  auto a = std::move(it->second);
  engine_attaching_.erase(it);
  const auto& s = a.s;
  if (!attaching_.contains(s.session.id())) return;  // it left meanwhile
  if (!ok)
    return drop_claim(a, ec::engine_unavailable,
                      "the consumer's cursor could not be read from the engine: " + error);
  // A new consumer counts against max_consumers across every node (two
  // nodes creating one each at the same moment may both get in).
  if (!stored && others >= rule_.consumers.max_consumers) {
    attaching_.erase(s.session.id());
    return refuse_consumer(s);
  }
  if (stored) a.record = consumer_record{s.principal, s.consumer, stored->first, stored->second};
  claim_cursor(std::move(a), revision);
}

void topic_state::claim_cursor(engine_attach a, std::uint64_t revision) {
  auto key = transport::jetstream::cursor_key(topic_, a.s.principal, a.s.consumer);
  auto& w = engine_cursors_[key];
  w.consumer_key = consumer_records::key(a.s.principal, a.s.consumer);
  w.moved = false;
  if (w.in_flight && !w.claim) {
    // This node writes the cursor already (the consumer is attached here):
    // that write carries the claim.
    attaching_.erase(a.s.session.id());
    return attach(a.s, a.record);
  }
  if (w.claim)
    drop_claim(*w.claim, ec::consumer_moved, "another connection attached the consumer meanwhile");
  if (!w.in_flight) {
    w.revision = revision;
    w.acked = a.record.acked;
    w.sent = a.record.sent;
  }
  w.claim = std::move(a);
  if (!w.in_flight) send_cursor(key, w);  // else the claim waits for the write under way
}

void topic_state::drop_claim(const engine_attach& a, ec code, const std::string& why) {
  if (attaching_.erase(a.s.session.id()) > 0) send_error(*a.s.link, code, why, a.s.id);
}

void topic_state::on_claim_stored(cursor_write& w) {
  auto a = std::move(*w.claim);
  w.claim.reset();
  if (attaching_.erase(a.s.session.id()) > 0) attach(a.s, a.record);
}

void topic_state::write_cursor(const consumer& c) {
  auto key = transport::jetstream::cursor_key(topic_, c.principal, c.name);
  auto& w = engine_cursors_[key];
  if (w.moved) return;  // another node has it now
  auto acked = c.cursor.acked();
  auto sent = c.cursor.sent_through();
  bool unchanged = w.acked == acked && w.sent == sent;
  if (unchanged && w.revision != 0 && !w.in_flight && !w.dirty) return;  // stored as it is
  w.consumer_key = consumer_records::key(c.principal, c.name);
  w.acked = acked;
  w.sent = sent;
  w.dirty = true;
  if (!w.in_flight) send_cursor(key, w);
}

void topic_state::send_cursor(const std::string& key, cursor_write& w) {
  w.in_flight = true;
  w.dirty = false;
  engine_->store_cursor(key, w.acked, w.sent, w.revision);
}

void topic_state::on_cursor_stored(const std::string& key, std::uint8_t result,
                                   std::uint64_t revision) {
  auto it = engine_cursors_.find(key);
  if (it == engine_cursors_.end()) return;
  auto& w = it->second;
  w.in_flight = false;
  using write = transport::jetstream::cursor_write;
  switch (static_cast<write>(result)) {
    case write::stored:
      w.revision = revision;
      if (w.claim) on_claim_stored(w);
      if (w.in_flight) return;  // attaching wrote again
      if (w.dirty) return send_cursor(key, w);
      if (!consumers_.contains(w.consumer_key)) engine_cursors_.erase(it);
      return;
    case write::conflict: {
      // Another node attached the consumer and moved its cursor since.
      auto claim = std::move(w.claim);
      w.moved = true;
      auto live = consumers_.find(w.consumer_key);
      if (live != consumers_.end() && live->second.session) {
        tell_consumer_moved(live->second);
        detach_consumer(live->second.session.id());
      } else if (live != consumers_.end()) {
        consumers_.erase(live);
      }
      engine_cursors_.erase(key);
      if (claim && claim->tries >= max_claim_tries)
        drop_claim(*claim, ec::engine_unavailable,
                   "the consumer's cursor changed on another node at every try to attach it");
      else if (claim && attaching_.contains(claim->s.session.id()))
        read_cursor({claim->s, claim->record, claim->tries + 1});  // read it again
      return;
    }
    case write::unavailable:
      if (w.claim) {
        drop_claim(*w.claim, ec::engine_unavailable, "the consumer's cursor could not be claimed");
        w.claim.reset();
        if (!consumers_.contains(w.consumer_key)) return void(engine_cursors_.erase(it));
      }
      log::warn("topic", "cursor_not_stored", {{"topic", topic_}, {"consumer", key}});
      w.dirty = true;
      self_->delayed_send(self_, cursor_retry_after, engine_cursor_retry_atom::value, key);
      return;
  }
}

}  // namespace sluice::actors
