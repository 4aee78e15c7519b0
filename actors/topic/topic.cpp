#include "actors/topic/topic.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "actors/base/actor_metrics.hpp"
#include "actors/base/strays.hpp"
#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "actors/topic/metrics.hpp"
#include "actors/topic/store/history_pages.hpp"
#include "core/clock.hpp"
#include "core/observe/log.hpp"
#include "core/topic_name.hpp"
#include "protocol/server_frames.hpp"
#include "protocol/topic_frames.hpp"

namespace sluice::actors {
topic_state::topic_state(caf::event_based_actor* self) : self_(self) {
  topic_metrics::get().topics.inc();
}

topic_state::~topic_state() {
  topic_metrics::get().topics.dec();
  topic_metrics::get().subscriptions.dec(static_cast<double>(subscribers_.size()));
}

caf::behavior topic_state::make_behavior(std::string topic, config::topic_rule rule,
                                         config::storage_config storage,
                                         std::weak_ptr<topic_directory> directory,
                                         std::shared_ptr<mailbox_gauge> mailbox,
                                         std::shared_ptr<cluster_view> cluster, bool sealed) {
  topic_ = std::move(topic);
  if (sealed) claim_ = sealed_claim;
  cluster_ = std::move(cluster);
  directory_ = std::move(directory);
  mailbox_ = std::move(mailbox);
  rule_ = std::move(rule);
  storage_ = std::move(storage);
  store_.emplace(topic_, rule_, storage_, open_budget_account(),
                 [this] { self_->delayed_send(self_, storage_.fsync_interval, sync_atom::value); });
  cursors_ = subscriber_set{
      {rule_.max_lag, rule_.slow_subscriber == config::slow_subscriber_policy::disconnect}};
  epoch_ = static_cast<std::uint64_t>(unix_ms());
  if (store_->has_storage() && store_->open(epoch_)) {
    load_claim();
    load_consumers();
  }
  self_->set_down_handler([this](caf::down_msg& msg) {
    if (replica_down(msg)) return;
    // Subscribers are keyed by their (local) session's actor id; a down
    // message from another node may carry the same id (e.g. a follower
    // dropped a moment before): only the subscriber's own session ends it.
    auto it = subscribers_.find(msg.source.id());
    if (it != subscribers_.end() && it->second.session.address() == msg.source) remove(it->first);
    auto held = consumer_of(msg.source.id());
    if ((held && held->session.address() == msg.source) || attaching_.contains(msg.source.id()))
      detach_consumer(msg.source.id());
  });
  touch();
  caf::message_handler main{
      [this](subscribe_atom, const subscription& s) {
        if (!s.consumer.empty()) return on_consume(s);
        detach_consumer(s.session.id());
        on_subscribe(s);
      },
      [this](consumer_ack_atom, const link_ptr& link, const caf::actor& session,
             const std::string& id,
             std::uint64_t offset) { on_consumer_ack(link, session, id, offset); },
      [this](consumer_tick_atom) { on_consumer_tick(); },
      [this](consumer_save_atom) { save_consumers(); },
      [this](consumer_load_atom, const std::string& principal, const std::string& name) {
        return on_consumer_load(principal, name);
      },
      [this](consumer_store_atom, const std::string& principal, const std::string& name,
             std::uint64_t acked, std::uint64_t sent) {
        // A cursor live here but detached is older than the one reported.
        auto key = consumer_records::key(principal, name);
        if (auto it = consumers_.find(key); it != consumers_.end() && !it->second.session)
          consumers_.erase(it);
        store_record({principal, name, acked, sent});
      },
      [this](topic_consumers_atom, bool with_principals) {
        return consumers_json(with_principals);
      },
      [this](unsubscribe_atom, const link_ptr& link, const caf::actor& session,
             const std::string& id) { on_unsubscribe(link, session, id); },
      [this](publish_atom, std::uint8_t kind, std::string& data) {
        mailbox_->handled();
        auto result = accept_publish(kind, std::move(data));
        schedule_fan_out();  // the end of a batch, however its last publish went
        return result;
      },
      [this](publish_more_atom, std::uint8_t kind, std::string& data) {
        mailbox_->handled();
        batch_open_ = true;
        auto result = accept_publish(kind, std::move(data));
        batch_open_ = false;
        return result;
      },
      [this](inbox_frame_atom, std::string& frame) { return take_frame(frame); },
      [this](forward_frame_atom, std::string& frame) { return take_frame(frame); },
      [this](writable_atom, const caf::actor& session) { on_writable(session); },
      [this](fan_out_atom) { on_fan_out(); },
      [this](sync_atom) { store_->sync(); },
      [this](expire_atom) { on_expire_check(); },
      [this](trim_atom) { store_->on_trim(); },
      [this](held_drain_atom) { drain_held(); },
      [this](held_expire_atom) { on_held_expired(); },
      [this](claim_atom, const std::string& presented, const std::string& fresh) {
        return on_claim(presented, fresh);
      },
      [this](topic_info_atom) { return info_json(); },
      [this](topic_history_atom, const history_query& q) { return on_history_part(q); },
      // Across nodes: see replica/ownership.cpp and replica/publishing.cpp.
      [this](membership_atom) { resolve(); },
      [this](resolve_atom, std::uint64_t generation) { on_resolve_timer(generation); },
      [this](follow_atom, const follow_request& r) { return on_follow(r); },
      [this](replicate_atom, std::uint64_t epoch, log_record& record) {
        return on_replicate(epoch, record);
      },
      [this](forward_atom, std::uint8_t kind, std::string& data) {
        return accept_publish(kind, std::move(data));
      },
      [this](handover_atom, const std::string& new_owner) { return on_handover(new_owner); },
  };
  main_behavior_ = main.or_else(engine_handlers());
  auto dir = directory_.lock();
  if (auto engine = dir && !sealed ? dir->engine_for(topic_) : nullptr)
    start_engine(std::move(engine));
  else
    start_replica();
  return holding_ ? resolving_behavior() : main_behavior_;
}

void topic_state::on_subscribe(const subscription& sub) {
  const auto& link = sub.link;
  const auto& session = sub.session;
  const auto& id = sub.id;
  auto since = sub.since;
  auto epoch = sub.epoch;
  auto flags = sub.flags;
  auto& h = store_->history();
  h.expire(unix_ms());
  touch();
  bool other_epoch = since >= 0 && epoch != 0 && epoch != epoch_;
  if (since >= 0 && !other_epoch && static_cast<std::uint64_t>(since) > h.last()) {
    actor_metrics::get().count_error(ec::invalid_offset);
    link->send(std::make_shared<const std::string>(
        protocol::frames::error(ec::invalid_offset,
                                "`since` " + std::to_string(since) + " is past the last offset (" +
                                    std::to_string(h.last()) + ") of topic " + topic_ +
                                    " in epoch " + std::to_string(epoch_),
                                id)));
    if ((flags & subscribe_own_inbox) == 0) return;
    since = -1;  // an inbox must not stay unsubscribed: live from now on, after the error
  }
  auto who = session.id();
  if (subscribers_.emplace(who, subscriber{session, link, false, false, nullptr}).second) {
    self_->monitor(session);
    topic_metrics::get().subscriptions.inc();
  }
  if ((flags & subscribe_quietly) == 0)
    link->send(std::make_shared<const std::string>(
        protocol::frames::subscribed(id, topic_, epoch_, h.first(), h.last())));
  auto& s = subscribers_[who];
  s.awaiting_writable = false;
  s.batched = (flags & subscribe_batched) != 0;
  s.kinds = sub.kinds.empty() ? nullptr : std::make_shared<const kind_filter>(sub.kinds);
  std::uint64_t next = h.last() + 1;
  if (since < 0) {
    if (rule_.retain_last && h.newest() != nullptr && passes(s, h.newest()->frame)) {
      link->send(h.newest()->frame);
      topic_metrics::get().delivered.inc();
    }
  } else if (other_epoch) {
    send_gap(link, 1, h.first() - 1, "epoch");
    next = h.first();
  } else {
    next = static_cast<std::uint64_t>(since) + 1;
  }
  cursors_.subscribe(who, next, h.last(), subscriber_credit, held(), instructions_);
  carry_out(instructions_);
}

void topic_state::on_unsubscribe(const link_ptr& link, const caf::actor& session,
                                 const std::string& id) {
  if (detach_consumer(session.id())) {
    link->send(std::make_shared<const std::string>(protocol::frames::unsubscribed(id, topic_)));
    return;
  }
  if (!subscribers_.count(session.id())) {  // e.g. its subscribe was refused
    actor_metrics::get().count_error(ec::not_subscribed);
    link->send(std::make_shared<const std::string>(
        protocol::frames::error(ec::not_subscribed, "not subscribed to " + topic_, id)));
    return;
  }
  self_->demonitor(session);
  remove(session.id());
  link->send(std::make_shared<const std::string>(protocol::frames::unsubscribed(id, topic_)));
}

std::optional<std::uint64_t> topic_state::on_publish(std::uint8_t kind, std::string data) {
  touch();
  auto& h = store_->history();
  auto now = unix_ms();
  h.expire(now);
  const auto* message = store_->append({h.last() + 1, now, kind, std::move(data)});
  if (message == nullptr) return std::nullopt;
  auto offset = message->record.offset;
  topic_metrics::get().published.inc();
  fan_out(*message);
  if (!followers_.empty()) replicate(*message);
  store_->relieve_memory();  // after `message` was used: it may be among what goes
  store_->compact_if_long(epoch_);
  return offset;
}

void topic_state::on_writable(const caf::actor& session) {
  if (auto* c = consumer_of(session.id())) {
    c->awaiting_writable = false;
    pump(*c);
    arm_consumer_tick();
  }
  auto it = subscribers_.find(session.id());
  if (it == subscribers_.end()) return;
  it->second.awaiting_writable = false;
  cursors_.grant(it->first, subscriber_credit, held(), instructions_);
  carry_out(instructions_);
}

// The account is charged with what history holds; when the budget is over,
// it asks this topic (by message, on any thread) to give some back.
std::shared_ptr<history_budget::account> topic_state::open_budget_account() {
  auto dir = directory_.lock();
  if (!dir) return nullptr;
  return dir->budget_for(topic_).open([addr = self_->address()] {
    if (auto me = caf::actor_cast<caf::actor>(addr)) caf::anon_send(me, trim_atom::value);
  });
}

void topic_state::fan_out(const stored_message& message) {
  if (unsent_.empty()) unsent_first_ = message.record.offset;
  unsent_.push_back(message.frame);
  if (!batch_open_) schedule_fan_out();
}

void topic_state::schedule_fan_out() {
  if (fan_out_pending_ || unsent_.empty()) return;
  fan_out_pending_ = true;
  self_->send(self_, fan_out_atom::value);  // behind what already waits in the mailbox
}

void topic_state::on_fan_out() {
  auto started = std::chrono::steady_clock::now();
  fan_out_pending_ = false;
  auto& m = topic_metrics::get();
  m.fanout_batch.observe(static_cast<double>(unsent_.size()));
  cursors_.appended(held(), instructions_);
  carry_out(instructions_);
  pump_consumers();  // before unsent_ goes: frame_at() may still need it
  unsent_.clear();
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  m.fanout_seconds.observe(took.count());
}

subscriber_set::window topic_state::held() const {
  auto first = store_->history().first();
  if (!unsent_.empty()) first = std::min(first, unsent_first_);
  return {first, store_->history().last()};
}

const protocol::shared_frame& topic_state::frame_at(std::uint64_t offset) const {
  if (!unsent_.empty() && offset >= unsent_first_) return unsent_[offset - unsent_first_];
  return store_->history().find(offset)->frame;
}

const protocol::shared_frame* topic_state::frame_if_held(std::uint64_t offset) const {
  if (!unsent_.empty() && offset >= unsent_first_ && offset - unsent_first_ < unsent_.size())
    return &unsent_[offset - unsent_first_];
  const auto* m = store_->history().find(offset);
  return m == nullptr ? nullptr : &m->frame;
}

// History was replaced: offsets appended before no longer name those frames.
void topic_state::forget_unsent() {
  unsent_.clear();
}

// One part of a history page: up to `max_count` messages (and about
// `max_bytes`, at least one) from offset `from`, as comma-separated JSON
// objects. The first part of a page (`clamp`) starts at the oldest message
// kept when `from` is older; a later part whose `from` history no longer
// holds is empty, which ends the page.
caf::result<history_part> topic_state::on_history_part(history_query q) {
  auto& h = store_->history();
  h.expire(unix_ms());
  if (q.from > h.last() + 1)
    return make_error(ec::invalid_offset, "`since` " + std::to_string(q.from - 1) +
                                              " is past the last offset (" +
                                              std::to_string(h.last()) + ")");
  history_part part;
  part.epoch = epoch_;
  part.first = h.first();
  part.last = h.last();
  part.from = q.clamp ? std::max(q.from, h.first()) : q.from;
  part.messages = history_pages::items(h, part.from, q.max_messages, q.max_bytes, part.count);
  return part;
}

std::string topic_state::info_json() const {
  const auto& h = store_->history();
  json::object out;
  out.str("topic", topic_)
      .num("epoch", epoch_)
      .num("first", h.first())
      .num("last", h.last())
      .num("retained", h.size())
      .num("subscribers", subscribers_.size())
      .num("consumers", std::max(records_.size(), consumers_.size()))
      .boolean("persistent", store_->persistent());
  if (cluster_) out.str("owner", owner_node_).num("followers", followers_.size());
  return out.finish();
}

void topic_state::remove(subscriber_set::key who) {
  cursors_.unsubscribe(who);
  if (subscribers_.erase(who) == 0) return;
  topic_metrics::get().subscriptions.dec();
  touch();
}

void topic_state::touch() {
  last_used_ = std::chrono::steady_clock::now();
  auto wait = expiry();
  if (wait.count() <= 0 || expire_check_pending_ || !subscribers_.empty() ||
      !consumer_keys_.empty())
    return;
  expire_check_pending_ = true;
  self_->delayed_send(self_, wait, expire_atom::value);
}

// How long the topic stays once nobody uses it: its rule's expire_after; a
// connection's own inbox, or a topic that holds nothing (never published to,
// not claimed, no consumers), leaves soon after its last use.
std::chrono::milliseconds topic_state::expiry() const {
  // Consumers' cursors count: a consumer that comes back must find its place.
  bool holds_nothing = store_->history().last() == 0 && claim_.empty() && records_.size() == 0;
  if (claim_ == sealed_claim || holds_nothing) return empty_topic_grace;
  return rule_.expire_after;
}

void topic_state::on_expire_check() {
  expire_check_pending_ = false;
  // The last subscriber to leave arms the next check; other nodes following
  // an owned inbox keep it.
  if (!subscribers_.empty() || !consumer_keys_.empty() || !followers_.empty()) return;
  auto idle = std::chrono::steady_clock::now() - last_used_;
  auto dir = directory_.lock();
  auto expire_after = expiry();
  if (expire_after.count() <= 0) return;  // it holds messages now, and its rule keeps them
  if (idle < expire_after || !dir || !dir->expire_if_unused(topic_, self_->address())) {
    // Used meanwhile, or a connection still holds it: look again later.
    expire_check_pending_ = true;
    auto wait = std::max<std::chrono::steady_clock::duration>(expire_after - idle,
                                                              std::chrono::milliseconds(100));
    self_->delayed_send(self_, std::chrono::duration_cast<std::chrono::milliseconds>(wait),
                        expire_atom::value);
    return;
  }
  log::debug("topic", "expired", {{"topic", topic_}, {"last", store_->history().last()}});
  topic_metrics::get().expired.with({topic_metrics::kind_of(topic_)}).inc();
  if (engine_ && topic_name::is_inbox(topic_)) engine_->retire_inbox(expire_after);
  if (store_->persistent()) {
    store_->erase();  // its history goes too
    remove_claim_file();
    remove_consumers_file();
  }
  self_->quit();
}

caf::behavior topic(caf::stateful_actor<topic_state>* self, std::string name,
                    config::topic_rule rule, config::storage_config storage,
                    std::weak_ptr<topic_directory> directory,
                    std::shared_ptr<mailbox_gauge> mailbox, std::shared_ptr<cluster_view> cluster,
                    bool sealed) {
  ignore_strays(self, topic_state::name);
  return self->state.make_behavior(std::move(name), std::move(rule), std::move(storage),
                                   std::move(directory), std::move(mailbox), std::move(cluster),
                                   sealed);
}

}  // namespace sluice::actors
