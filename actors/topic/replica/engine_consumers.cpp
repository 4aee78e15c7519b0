// Acknowledged consumers of a topic in the engine (engine: nats). The node a
// consumer is attached to delivers, redelivers and dead-letters as anywhere
// else (consumers.cpp); its cursor (acknowledged, sent) lives in JetStream, in
// the cursors' KV bucket, so it survives the loss of any Sluice node. Every
// write names the revision it follows: when another node attached the
// consumer and wrote since, this node's write is refused and its connection
// is told `consumer_moved`. One write per consumer is in flight at a time;
// what changes meanwhile goes in the next.
#include "actors/messages.hpp"
#include "actors/topic/replica/engine_messages.hpp"
#include "actors/topic/topic.hpp"
#include "core/observe/log.hpp"

namespace sluice::actors {
namespace {

constexpr auto cursor_retry_after = std::chrono::seconds(1);

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
  auto token = ++next_forward_;
  engine_attaching_.emplace(token, engine_attach{s, std::move(fresh)});
  engine_->load_cursor(token, transport::jetstream::cursor_key(topic_, s.principal, s.consumer));
}

void topic_state::on_cursor_loaded(std::uint64_t token, bool ok,
                                   std::optional<std::pair<std::uint64_t, std::uint64_t>> stored,
                                   std::uint64_t revision, std::uint64_t others,
                                   const std::string& error) {
  auto it = engine_attaching_.find(token);
  if (it == engine_attaching_.end()) return;
  auto [s, fresh] = std::move(it->second);
  engine_attaching_.erase(it);
  if (attaching_.erase(s.session.id()) == 0) return;  // it left meanwhile
  if (!ok)
    return send_error(*s.link, ec::engine_unavailable,
                      "the consumer's cursor could not be read from the engine: " + error, s.id);
  // A new consumer counts against max_consumers across every node (two
  // nodes creating one each at the same moment may both get in).
  if (!stored && others >= rule_.consumers.max_consumers) return refuse_consumer(s);
  auto& w = engine_cursors_[transport::jetstream::cursor_key(topic_, s.principal, s.consumer)];
  w.consumer_key = consumer_records::key(s.principal, s.consumer);
  w.moved = false;
  if (!w.in_flight) w.revision = revision;  // else the write under way tells the newer one
  attach(s,
         stored ? consumer_record{s.principal, s.consumer, stored->first, stored->second} : fresh);
}

void topic_state::write_cursor(const consumer& c) {
  auto key = transport::jetstream::cursor_key(topic_, c.principal, c.name);
  auto& w = engine_cursors_[key];
  if (w.moved) return;  // another node has it now
  w.consumer_key = consumer_records::key(c.principal, c.name);
  w.acked = c.cursor.acked();
  w.sent = c.cursor.sent_through();
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
      if (w.dirty) return send_cursor(key, w);
      if (!consumers_.contains(w.consumer_key)) engine_cursors_.erase(it);
      return;
    case write::conflict: {
      // Another node attached the consumer and moved its cursor since.
      w.moved = true;
      auto live = consumers_.find(w.consumer_key);
      if (live != consumers_.end() && live->second.session) {
        tell_consumer_moved(live->second);
        detach_consumer(live->second.session.id());
      } else if (live != consumers_.end()) {
        consumers_.erase(live);
      }
      engine_cursors_.erase(key);
      return;
    }
    case write::unavailable:
      log::warn("topic", "cursor_not_stored", {{"topic", topic_}, {"consumer", key}});
      w.dirty = true;
      self_->delayed_send(self_, cursor_retry_after, engine_cursor_retry_atom::value, key);
      return;
  }
}

}  // namespace sluice::actors
