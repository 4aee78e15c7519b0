// Acknowledged consumers (docs/protocol.md, "Acknowledged consumers"): a
// subscription with `consumer` and `ack: true` attaches a durable, named
// cursor of the client's principal. Messages go out up to max_ack_pending
// unacknowledged; one not acknowledged within ack_wait is sent again
// (redelivered) up to max_deliver times, then goes to the dead-letter topic.
// The cursor logic is consumer_cursor's; this file wires it to connections,
// timers, the owner's records and the .consumers file.
#include <algorithm>
#include <filesystem>

#include "actors/base/actor_metrics.hpp"
#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "actors/topic/metrics.hpp"
#include "actors/topic/topic.hpp"
#include "core/clock.hpp"
#include "core/json.hpp"
#include "core/observe/log.hpp"
#include "core/storage/append_log.hpp"
#include "core/storage/small_file.hpp"
#include "protocol/server_frames.hpp"
#include "protocol/topic_frames.hpp"

namespace sluice::actors {
namespace {

constexpr std::size_t consumer_batch = 64;                 // sent per look at the connection
constexpr auto owner_patience = std::chrono::seconds(10);  // a follower asking the owner

}  // namespace

void send_error(transport::client_link& link, ec code, std::string_view message,
                std::string_view id) {
  actor_metrics::get().count_error(code);
  link.send(std::make_shared<const std::string>(protocol::frames::error(code, message, id)));
}

consumer_cursor::limits topic_state::consumer_limits() const {
  const auto& c = rule_.consumers;
  return {std::chrono::duration_cast<consumer_cursor::clock::duration>(c.ack_wait), c.max_deliver,
          c.max_ack_pending};
}

void topic_state::on_consume(const subscription& s) {
  touch();
  auto& h = store_->history();
  h.expire(unix_ms());
  if (s.since >= 0 && static_cast<std::uint64_t>(s.since) > h.last())
    return send_error(*s.link, ec::invalid_offset,
                      "`since` " + std::to_string(s.since) + " is past the last offset (" +
                          std::to_string(h.last()) + ") of topic " + topic_,
                      s.id);
  auto who = s.session.id();
  // One subscription per topic and connection: what it had before gives way.
  remove(who);
  detach_consumer(who);
  auto key = consumer_records::key(s.principal, s.consumer);
  // A new consumer starts after `since`, else with the next message published.
  auto start = s.since >= 0 ? static_cast<std::uint64_t>(s.since) : h.last();
  consumer_record fresh{s.principal, s.consumer, start, start};
  if (consumers_.contains(key)) return attach(s, fresh);  // live here: fresh is not used
  if (engine_) return attach_from_engine(s, std::move(fresh));
  if (role_ == role::owner) {
    if (const auto* stored = records_.find(key)) return attach(s, *stored);
    if (records_.size() >= rule_.consumers.max_consumers) return refuse_consumer(s);
    return attach(s, fresh);
  }
  attaching_[who] = s.session;
  self_->monitor(s.session);
  self_->request(owner_, owner_patience, consumer_load_atom::value, s.principal, s.consumer)
      .then(
          [this, s, fresh](std::uint64_t acked, std::uint64_t sent, bool known) {
            if (attaching_.erase(s.session.id()) == 0) return;  // it left meanwhile
            attach(s, known ? consumer_record{s.principal, s.consumer, acked, sent} : fresh);
          },
          [this, s](caf::error& e) {
            if (attaching_.erase(s.session.id()) == 0) return;
            auto code = ec_of(e).value_or(ec::owner_unavailable);
            auto message = message_of(e);
            send_error(*s.link, code,
                       message.empty() ? "the topic's owner node could not be asked" : message,
                       s.id);
          });
}

void topic_state::attach(const subscription& s, consumer_record stored) {
  auto key = consumer_records::key(s.principal, s.consumer);
  auto [it, created] = consumers_.try_emplace(
      key, consumer{s.principal,
                    s.consumer,
                    consumer_cursor{consumer_limits(), stored.acked, stored.sent},
                    {},
                    {},
                    false});
  auto& c = it->second;
  if (c.session && c.session != s.session) {
    tell_consumer_moved(c);
    consumer_keys_.erase(c.session.id());
  } else if (!c.session) {
    topic_metrics::get().consumers_attached.inc();
  }
  c.session = s.session;
  c.link = s.link;
  c.awaiting_writable = false;
  consumer_keys_[s.session.id()] = key;
  self_->monitor(s.session);
  if (!created) c.cursor.redeliver_now();
  keep(c);
  const auto& h = store_->history();
  s.link->send(std::make_shared<const std::string>(protocol::frames::consumer_subscribed(
      s.id, topic_, epoch_, h.first(), h.last(), {c.name, c.cursor.acked(), c.cursor.pending()})));
  log::debug("topic", "consumer_attached",
             {{"topic", topic_}, {"consumer", c.name}, {"acked", c.cursor.acked()}});
  pump(c);
  arm_consumer_tick();
}

topic_state::consumer* topic_state::consumer_of(subscriber_set::key who) {
  auto it = consumer_keys_.find(who);
  if (it == consumer_keys_.end()) return nullptr;
  auto c = consumers_.find(it->second);
  return c == consumers_.end() ? nullptr : &c->second;
}

bool topic_state::detach_consumer(subscriber_set::key who) {
  bool was_attaching = attaching_.erase(who) > 0;
  auto it = consumer_keys_.find(who);
  if (it == consumer_keys_.end()) return was_attaching;
  auto found = consumers_.find(it->second);
  consumer_keys_.erase(it);
  if (found == consumers_.end()) return true;
  auto& c = found->second;
  c.session = nullptr;
  c.link.reset();
  c.awaiting_writable = false;
  topic_metrics::get().consumers_attached.dec();
  keep(c);
  // Off the owner, the owner's record is the truth from now on: the consumer
  // may come back on another node.
  if (role_ != role::owner) consumers_.erase(found);
  touch();
  return true;
}

void topic_state::on_consumer_ack(const link_ptr& link, const caf::actor& session,
                                  const std::string& id, std::uint64_t offset) {
  auto* c = consumer_of(session.id());
  if (c == nullptr)
    return send_error(*link, ec::not_subscribed,
                      "this connection has no acknowledged consumer of " + topic_ +
                          ": subscribe with `consumer` and `ack: true` first",
                      id);
  if (c->cursor.ack(offset) == consumer_cursor::ack_result::not_delivered)
    return send_error(
        *link, ec::invalid_offset,
        "offset " + std::to_string(offset) + " was not delivered to consumer " + c->name +
            " (the last it was sent: " + std::to_string(c->cursor.sent_through()) + ")",
        id);
  topic_metrics::get().consumer_acks.inc();
  keep(*c);
  if (!id.empty())
    link->send(std::make_shared<const std::string>(
        protocol::frames::acked(id, topic_, {c->name, c->cursor.acked(), c->cursor.pending()})));
  pump(*c);
  arm_consumer_tick();
}

void topic_state::pump(consumer& c) {
  if (!c.session || c.awaiting_writable) return;
  const auto& h = store_->history();
  auto floor = c.cursor.acked();
  if (h.first() > floor + 1) {  // history let unacknowledged messages go
    topic_metrics::get().consumer_skipped.inc(static_cast<double>(c.cursor.skip_below(h.first())));
    topic_metrics::get().gaps.with({"history"}).inc();
    c.link->send(std::make_shared<const std::string>(
        protocol::frames::gap(topic_, epoch_, floor + 1, h.first() - 1, "history")));
  }
  auto now = consumer_cursor::clock::now();
  for (;;) {
    if (c.link->congested()) {
      c.awaiting_writable = true;
      c.link->notify_when_writable();
      return;
    }
    auto due = c.cursor.due(h.last(), now, consumer_batch);
    for (const auto& d : due) send_to_consumer(c, d);
    if (due.size() < consumer_batch) return;
  }
}

void topic_state::send_to_consumer(consumer& c, const consumer_cursor::delivery& d) {
  auto& m = topic_metrics::get();
  // History may hold less than was sent (a new owner's, after a failover):
  // such a message stays pending and is given up like any other.
  const auto* held = frame_if_held(d.offset);
  if (held == nullptr) return;
  const auto& frame = *held;
  m.delivered.inc();
  if (!d.redelivered()) {
    c.link->send(frame);
    return;
  }
  m.consumer_redeliveries.inc();
  c.link->send(std::make_shared<const std::string>(protocol::frames::redelivered(*frame)));
}

void topic_state::pump_consumers() {
  if (consumer_keys_.empty()) return;
  for (auto& [key, c] : consumers_) pump(c);
  arm_consumer_tick();
}

// One timer for all the topic's consumers, at the earliest ack_wait that runs out.
void topic_state::arm_consumer_tick() {
  std::optional<consumer_cursor::clock::time_point> next;
  for (const auto& [key, c] : consumers_) {
    if (!c.session || c.awaiting_writable) continue;  // a writable notice pumps those
    auto at = c.cursor.next_timeout();
    if (at && (!next || *at < *next)) next = at;
  }
  if (!next || (consumer_tick_at_ && *consumer_tick_at_ <= *next)) return;
  consumer_tick_at_ = next;
  auto wait = std::chrono::ceil<std::chrono::milliseconds>(
      std::max(*next, consumer_cursor::clock::now()) - consumer_cursor::clock::now());
  self_->delayed_send(self_, std::max(wait, std::chrono::milliseconds(1)),
                      consumer_tick_atom::value);
}

void topic_state::on_consumer_tick() {
  consumer_tick_at_.reset();
  auto now = consumer_cursor::clock::now();
  for (auto& [key, c] : consumers_) {
    if (!c.session) continue;  // a detached consumer's clock stops
    auto dead = c.cursor.dead(now);
    if (!dead.empty()) {
      dead_letter(c, dead);
      keep(c);
    }
    pump(c);
  }
  arm_consumer_tick();
}

void topic_state::dead_letter(const consumer& c, const std::vector<std::uint64_t>& offsets) {
  auto& m = topic_metrics::get();
  const auto& target = rule_.consumers.dead_letter;
  auto dir = directory_.lock();
  for (auto offset : offsets) {
    log::info("topic", "dead_letter",
              {{"topic", topic_}, {"consumer", c.name}, {"offset", offset}, {"to", target}});
    const auto* message = store_->history().find(offset);
    auto found = message && dir && !target.empty()
                     ? dir->open(target, topic_directory::scope::cluster)
                     : topic_directory::lookup{};
    if (!found.topic) {
      m.consumer_dead_letters.with({"dropped"}).inc();
      continue;
    }
    if (found.mailbox->full()) {
      m.consumer_dead_letters.with({"failed"}).inc();
      continue;
    }
    found.mailbox->accepted();
    auto data = json::object{}
                    .str("topic", topic_)
                    .num("offset", offset)
                    .str("consumer", c.name)
                    .num("deliveries", std::int64_t{rule_.consumers.max_deliver})
                    .raw("message", *message->frame)
                    .finish();
    auto kind = static_cast<std::uint8_t>(protocol::frames::record_kind::event);
    self_->request(found.topic, caf::infinite, publish_atom::value, kind, std::move(data))
        .then(
            [lease = found.lease](std::uint64_t, std::uint64_t) {
              topic_metrics::get().consumer_dead_letters.with({"sent"}).inc();
            },
            [](caf::error&) { topic_metrics::get().consumer_dead_letters.with({"failed"}).inc(); });
  }
}

void topic_state::keep(const consumer& c) {
  if (engine_) return write_cursor(c);
  consumer_record r{c.principal, c.name, c.cursor.acked(), c.cursor.sent_through()};
  if (role_ == role::owner) return store_record(std::move(r));
  if (owner_) self_->send(owner_, consumer_store_atom::value, r.principal, r.name, r.acked, r.sent);
}

void topic_state::store_record(consumer_record r) {
  if (!followers_.empty()) {  // so that whoever takes the topic over has the cursors
    consumer_records one;
    one.put(r);
    auto record = consumers_record(one);
    for (const auto& f : followers_)
      self_->request(f, owner_patience, replicate_atom::value, epoch_, record)
          .then([](bool) {}, [](caf::error&) {});
  }
  records_.put(std::move(r));
  write_consumers_soon();
}

void topic_state::write_consumers_soon() {
  if (!store_->has_storage()) return;
  if (storage_.fsync == config::fsync_policy::always) return save_consumers();
  if (consumers_save_armed_) return;
  consumers_save_armed_ = true;
  self_->delayed_send(self_, storage_.fsync_interval, consumer_save_atom::value);
}

void topic_state::adopt_consumers(std::vector<log_record>& records) {
  if (take_consumers(records, records_)) write_consumers_soon();
}

// At the owner: a follower attaches the consumer `name` of `principal`.
// Attached here, it moves there.
caf::result<std::uint64_t, std::uint64_t, bool> topic_state::on_consumer_load(
    const std::string& principal, const std::string& name) {
  if (role_ != role::owner) return make_error(ec::owner_unavailable, "ownership is moving");
  auto key = consumer_records::key(principal, name);
  if (auto* c = consumers_.contains(key) ? &consumers_.at(key) : nullptr) {
    if (c->session) {
      tell_consumer_moved(*c);
      detach_consumer(c->session.id());
    }
    consumers_.erase(key);  // the follower has it now
  }
  if (const auto* r = records_.find(key)) return {r->acked, r->sent, true};
  if (records_.size() >= rule_.consumers.max_consumers)
    return make_error(ec::too_many_consumers, too_many_consumers_text());
  return {std::uint64_t{0}, std::uint64_t{0}, false};
}

void topic_state::save_consumers() {
  consumers_save_armed_ = false;
  std::string error;
  if (!write_small_file(topic_consumers_path(storage_.path, topic_), records_.serialize(), error)) {
    topic_metrics::get().log_errors.inc();
    log::error("topic", "consumers_not_stored", {{"topic", topic_}, {"error", error}});
  }
}

void topic_state::load_consumers() {
  auto text = read_small_file(topic_consumers_path(storage_.path, topic_));
  if (!text) return;
  if (auto parsed = consumer_records::parse(*text)) {
    records_ = std::move(*parsed);
    return;
  }
  log::warn("topic", "consumers_unreadable", {{"topic", topic_}});
}

void topic_state::remove_consumers_file() {
  std::error_code ec;
  std::filesystem::remove(topic_consumers_path(storage_.path, topic_), ec);
}

std::string topic_state::consumers_json(bool with_principals) const {
  std::string list = "[";
  auto item = [&](const consumer_record& r, std::uint64_t pending, bool attached) {
    json::object o;
    o.str("name", r.name);
    if (with_principals) o.str("principal", r.principal);
    o.num("acked", r.acked)
        .num("sent", r.sent)
        .num("pending", pending)
        .boolean("attached", attached);
    if (list.size() > 1) list += ',';
    list += o.finish();
  };
  for (const auto& [key, c] : consumers_)
    item({c.principal, c.name, c.cursor.acked(), c.cursor.sent_through()}, c.cursor.pending(),
         static_cast<bool>(c.session));
  for (const auto& [key, r] : records_.all())
    if (!consumers_.contains(key)) item(r, r.sent - r.acked, false);
  list += ']';
  return json::object{}.str("topic", topic_).raw("consumers", list).finish();
}

std::string topic_state::too_many_consumers_text() const {
  return "topic " + topic_ + " has its " + std::to_string(rule_.consumers.max_consumers) +
         " consumers (consumers.max_consumers)";
}

void topic_state::tell_consumer_moved(const consumer& c) {
  send_error(*c.link, ec::consumer_moved,
             "consumer " + c.name + " of topic " + topic_ + " was attached by another connection",
             {});
}

void topic_state::refuse_consumer(const subscription& s) {
  send_error(*s.link, ec::too_many_consumers, too_many_consumers_text(), s.id);
}

}  // namespace sluice::actors
