// A topic across the nodes of a cluster (see topic.hpp and docs/cluster.md):
// finding the owner, following it, forwarding publishes to it, and taking
// over (with a new epoch) when it is lost or handing back when it returns.
#include <algorithm>
#include <chrono>

#include "actors/cluster_metrics.hpp"
#include "actors/messages.hpp"
#include "actors/strays.hpp"
#include "actors/topic/metrics.hpp"
#include "actors/topic/replica_history.hpp"
#include "actors/topic/replica_records.hpp"
#include "actors/topic/topic.hpp"
#include "actors/topic_frames.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"

namespace sluice::actors {
namespace {

constexpr auto patience = std::chrono::seconds(5);              // one step of finding the owner
constexpr auto retry_after = std::chrono::milliseconds(250);    // after a step failed
constexpr auto recruit_every = std::chrono::milliseconds(500);  // asking peers to follow

}  // namespace

void topic_state::start_replica() {
  if (!cluster_) return;
  self_->join(cluster_->changes());
  role_ = role::resolving;
  holding_ = true;  // make_behavior() returns resolving_behavior()
  self_->set_default_handler(caf::skip);
  resolve();
}

void topic_state::resolve(const std::string& lost) {
  if (!cluster_) return;
  if (role_ == role::owner && !may_own()) step_down();
  auto owner = cluster_->owner_of(topic_, lost);
  // Nothing changed, or the lookup of this owner is under way.
  if (owner == owner_node_ && (role_ != role::resolving || looking_)) return;
  auto generation = ++generation_;
  if (owner_) {
    self_->demonitor(owner_);
    owner_ = {};
    fail_in_flight();  // reported to their publishers: the owner may or may not have them
  }
  drop_followers();  // they look for the new owner too
  fail_held();
  // An owner this node lost may still act on a lease it was granted here.
  if (!owner_node_.empty() && owner_node_ != owner && owner_node_ != cluster_->self())
    lost_owner_ = owner_node_;
  owner_node_ = owner;
  role_ = role::resolving;
  hold();
  if (owner == cluster_->self()) return take_over_when_allowed(generation);
  auto node = cluster_->cluster_of(owner);
  if (!node) return resolve_later();
  looking_ = true;
  self_->request(node, patience, cluster_open_atom::value, topic_, true)
      .then(
          [this, generation](caf::actor& found, std::string& error) {
            if (generation != generation_) return;
            looking_ = false;
            if (!found) {
              log::warn("topic", "owner_refused",
                        {{"topic", topic_}, {"owner", owner_node_}, {"error", error}});
              return resolve_later();
            }
            follow(std::move(found), generation);
          },
          [this, generation](caf::error&) {
            if (generation != generation_) return;
            looking_ = false;
            resolve_later();
          });
}

void topic_state::on_resolve_timer(std::uint64_t generation) {
  if (generation != generation_ || role_ != role::resolving) return;
  looking_ = false;
  owner_node_.clear();  // look again from scratch
  resolve();
}

void topic_state::resolve_later() {
  self_->delayed_send(self_, retry_after, resolve_atom::value, generation_);
}

// Fencing (node_lease.hpp): this node acts as the topic's owner only while
// it holds its lease and a majority of reported views name it the owner, and
// only in the lease term it became owner in (a lease that lapsed meanwhile
// means others may have taken over).
bool topic_state::may_own() const {
  if (!cluster_) return true;
  auto term = cluster_->lease_term();
  if (term == 0 || !cluster_->owns(topic_)) return false;
  return role_ != role::owner || term == owner_term_;
}

// The lease ran out while this node owned the topic: it stops at once and
// looks for the owner again (itself, once it has its lease back, after the
// history of whoever owned the topic meanwhile).
void topic_state::step_down() {
  log::warn("topic", "fenced",
            {{"topic", topic_}, {"epoch", epoch_}, {"last", store_->history().last()}});
  fail_held();
  drop_followers();
  role_ = role::resolving;
  owner_node_.clear();
  looking_ = false;
  ++generation_;
  hold();
  resolve_later();
}

// Publishes that reach a topic without an owner wait for one, unless this
// node is cut off (no lease, and fewer than a majority of the nodes up): then
// no owner can be reached from here, and they are answered owner_unavailable.
caf::result<std::string, std::uint64_t, std::uint64_t> topic_state::refuse_if_fenced(bool counted) {
  if (may_own() || cluster_->up_nodes().size() >= cluster_->majority()) return caf::skip;
  if (counted) mailbox_->handled();
  cluster_metrics::get().fenced.inc();
  return unavailable();
}

// Takes the topic over once this node holds its lease and the owner it lost
// can no longer act on a lease granted here.
void topic_state::take_over_when_allowed(std::uint64_t generation) {
  if (!may_own()) return resolve_later();
  if (!lost_owner_.empty() && cluster_->state_of(lost_owner_) != node_state::up &&
      node_lease::clock::now() < cluster_->takeover_allowed_at(lost_owner_))
    return resolve_later();
  take_over(generation);
}

caf::behavior topic_state::resolving_behavior() {
  return {
      [this](publish_atom, std::uint8_t, std::string&) { return refuse_if_fenced(true); },
      [this](forward_atom, std::uint8_t, std::string&) { return refuse_if_fenced(false); },
      [this](membership_atom) { resolve(); },
      [this](resolve_atom, std::uint64_t generation) { on_resolve_timer(generation); },
      [this](handover_atom, const std::string& new_owner) { return on_handover(new_owner); },
      [this](topic_info_atom) { return info_json(); },  // "owner" is empty meanwhile
      [](replicate_atom, std::uint64_t, const std::string&) { return false; },  // from a past owner
      [this](sync_atom) { store_->sync(); },
      [this](fan_out_atom) { on_fan_out(); },
  };
}

void topic_state::hold() {
  if (holding_) return;
  holding_ = true;
  self_->become(resolving_behavior());
  self_->set_default_handler(caf::skip);  // the rest waits, in order
}

// (Both may run while make_behavior() is still under way: it returns the
// behavior that holding_ names.)
void topic_state::release_hold() {
  if (!holding_) return;
  holding_ = false;
  self_->become(main_behavior_);
  drop_strays(self_, name);
}

void topic_state::follow(caf::actor owner_topic, std::uint64_t generation) {
  looking_ = true;
  self_
      ->request(owner_topic, patience, follow_atom::value, caf::actor_cast<caf::actor>(self_),
                epoch_, store_->history().last())
      .then(
          [this, generation, owner_topic](std::uint64_t epoch, std::uint64_t last,
                                          std::vector<std::string>& packed, std::string& error) {
            if (generation != generation_) return;
            looking_ = false;
            auto records = unpack_records(packed);
            if (!error.empty() || !records) return resolve_later();  // e.g. not the owner yet
            if (auto claim = take_claim(*records); !claim.empty()) set_claim(std::move(claim));
            owner_ = owner_topic;
            self_->monitor(owner_);
            role_ = role::follower;
            lost_owner_.clear();
            adopt(epoch, last, std::move(*records));
            followed_ = true;
            log::debug(
                "topic", "following",
                {{"topic", topic_}, {"owner", owner_node_}, {"epoch", epoch_}, {"last", last}});
            release_hold();
          },
          [this, generation](caf::error&) {
            if (generation != generation_) return;
            looking_ = false;
            resolve_later();
          });
}

std::shared_ptr<takeover_round> topic_state::new_round(std::size_t waiting) const {
  auto round = std::make_shared<takeover_round>();
  round->waiting = waiting;
  round->epoch = epoch_;
  round->last = store_->history().last();
  return round;
}

void topic_state::ask_history(const caf::actor& other, std::shared_ptr<takeover_round> round,
                              std::uint64_t generation) {
  self_->request(other, patience, handover_atom::value, cluster_->self())
      .then(
          [this, round, generation](std::uint64_t epoch, std::uint64_t last,
                                    std::vector<std::string>& packed, bool was_owner) {
            round->consider(epoch, last, packed, was_owner);
            answered(round, generation);
          },
          [this, round, generation](caf::error&) { answered(round, generation); });
}

void topic_state::take_over(std::uint64_t generation) {
  auto peers = cluster_->up_nodes();
  std::erase(peers, cluster_->self());
  if (peers.empty()) return became_owner(followed_, followed_ ? "failover" : "");
  auto round = new_round(peers.size());
  looking_ = true;
  for (const auto& peer : peers) {
    auto node = cluster_->cluster_of(peer);
    if (!node) {
      answered(round, generation);
      continue;
    }
    self_->request(node, patience, cluster_open_atom::value, topic_, false)
        .then(
            [this, round, generation](caf::actor& other, std::string&) {
              if (!other) return answered(round, generation);
              ask_history(other, round, generation);
            },
            [this, round, generation](caf::error&) { answered(round, generation); });
  }
}

void topic_state::answered(const std::shared_ptr<takeover_round>& round, std::uint64_t generation) {
  if (--round->waiting > 0 || generation != generation_) return;
  looking_ = false;
  if (claim_.empty() && !round->claim.empty()) set_claim(std::move(round->claim));
  if (round->found) {
    adopt(round->epoch, round->last, std::move(round->records));
    followed_ = true;
  }
  if (round->from_owner || round->handback) {
    if (round->from_owner || round->found) cluster_metrics::get().handovers.inc();
    return became_owner(false, "handback");
  }
  became_owner(followed_, followed_ ? "failover" : "");
}

void topic_state::pull_from(const caf::actor& from, std::uint64_t generation) {
  looking_ = true;
  role_ = role::resolving;
  hold();
  auto round = new_round(1);
  round->handback = true;
  ask_history(from, std::move(round), generation);
}

void topic_state::became_owner(bool new_epoch, std::string_view how) {
  role_ = role::owner;
  owner_node_ = cluster_->self();
  owner_term_ = cluster_->lease_term();
  lost_owner_.clear();
  if (followers_.size() < confirmations_needed()) recruit();
  if (new_epoch) {
    cluster_metrics::get().failovers.inc();
    change_epoch(std::max(static_cast<std::uint64_t>(unix_ms()), epoch_ + 1),
                 store_->history().last(), store_->history().last() + 1, "failover");
  }
  if (!how.empty())
    log::info(
        "topic", "owner",
        {{"topic", topic_}, {"how", how}, {"epoch", epoch_}, {"last", store_->history().last()}});
  release_hold();
}

void topic_state::adopt(std::uint64_t epoch, std::uint64_t last, std::vector<log_record> records) {
  auto& h = store_->history();
  if (epoch == epoch_ && (records.empty() || records.front().offset <= h.last() + 1)) {
    auto before = h.last();
    for (auto& r : records) {  // the same sequence: append what this node lacks
      if (r.offset != h.last() + 1) continue;
      if (const auto* m = store_->append(std::move(r))) fan_out(*m);
    }
    if (h.last() != before) store_->relieve_memory();
    return;
  }
  auto old_last = h.last();
  auto diverged = epoch == epoch_ ? old_last + 1 : diverges_at(h, records, last);
  h.reset(std::move(records), last);
  forget_unsent();
  if (epoch == epoch_) {  // the same sequence, but what this node lacks is gone from history
    store_->rewrite(epoch_);
    cursors_.pump_all(held(), instructions_);
    carry_out(instructions_);
    return;
  }
  // Another epoch. A topic that never had an owner's history has nobody to tell.
  if (followed_ || h.last() < old_last) return change_epoch(epoch, old_last, diverged, "failover");
  epoch_ = epoch;
  store_->rewrite(epoch_);
}

// Subscribers learn the new epoch from a gap naming the offsets of the old
// epoch this node had from where the epochs part (`diverged`) on: messages
// they will never get in this epoch (from > to: none). They then receive the
// new epoch's messages from there. Messages the lost owner accepted and never
// sent on cannot be named here; their publishers were told (owner_unavailable).
void topic_state::change_epoch(std::uint64_t epoch, std::uint64_t old_last, std::uint64_t diverged,
                               std::string_view why) {
  epoch_ = epoch;
  cursors_.rewind(diverged, old_last, why, held(), instructions_);
  carry_out(instructions_);
  store_->rewrite(epoch_);
}

caf::result<std::string, std::uint64_t, std::uint64_t> topic_state::accept_publish(
    std::uint8_t kind, std::string data) {
  if (role_ == role::owner && !may_own()) {
    step_down();
    cluster_metrics::get().fenced.inc();
    return unavailable();
  }
  if (role_ == role::owner) {
    auto promise = self_->make_response_promise();
    if (followers_.size() < confirmations_needed()) {
      // Too few nodes follow the topic to hold it: it waits for them.
      held_.push_back({kind, std::move(data), std::move(promise)});
      recruit();
      return caf::delegated<std::string, std::uint64_t, std::uint64_t>{};
    }
    publish_replicated(kind, std::move(data), std::move(promise));
    return caf::delegated<std::string, std::uint64_t, std::uint64_t>{};
  }
  auto promise = self_->make_response_promise();
  forward(kind, std::move(data), promise);
  return promise;
}

// A frame of a request stream. An owner without its lease keeps it for the
// owner it will find (it waits in the mailbox, in order).
caf::result<void> topic_state::take_frame(std::string& frame) {
  if (role_ == role::owner && !may_own()) {
    step_down();
    return caf::skip;
  }
  append_frame(std::move(frame));
  return caf::unit;
}

// A frame of a request stream: appended by the owner, which answers nothing
// (a stray answer from another node must never reach this actor).
void topic_state::append_frame(std::string frame) {
  auto kind = static_cast<std::uint8_t>(frames::record_kind::frame);
  if (role_ == role::owner) {
    auto [error, offset] = on_publish(kind, std::move(frame));
    if (!error.empty())
      log::error("topic", "frame_not_stored", {{"topic", topic_}, {"error", error}});
    return;
  }
  cluster_metrics::get().forwarded.inc();
  self_->send(owner_, forward_frame_atom::value, std::move(frame));
}

void topic_state::forward(std::uint8_t kind, std::string data, caf::response_promise promise) {
  cluster_metrics::get().forwarded.inc();
  auto id = next_forward_++;
  in_flight_.emplace(id, std::move(promise));
  // No timeout (see session_topics): a lost owner fails them all in fail_in_flight().
  self_->request(owner_, caf::infinite, forward_atom::value, kind, std::move(data))
      .then(
          [this, id](std::string& error, std::uint64_t offset, std::uint64_t epoch) {
            if (auto it = in_flight_.find(id); it != in_flight_.end()) {
              it->second.deliver(std::move(error), offset, epoch);
              in_flight_.erase(it);
            }
          },
          [this, id](caf::error& e) {
            log::debug("topic", "forward_failed",
                       {{"topic", topic_}, {"error", self_->system().render(e)}});
            if (auto it = in_flight_.find(id); it != in_flight_.end()) {
              cluster_metrics::get().forward_failures.inc();
              deliver_unavailable(it->second);
              in_flight_.erase(it);
            }
          });
}

// The answer to a publish this node could not see through: it may or may
// not have been stored (docs/cluster.md).
caf::result<std::string, std::uint64_t, std::uint64_t> topic_state::unavailable() {
  return {std::string{to_string(ec::owner_unavailable)}, std::uint64_t{0}, std::uint64_t{0}};
}

void topic_state::deliver_unavailable(caf::response_promise& promise) {
  promise.deliver(std::string{to_string(ec::owner_unavailable)}, std::uint64_t{0},
                  std::uint64_t{0});
}

void topic_state::fail_in_flight() {
  for (auto& [id, promise] : in_flight_) {
    cluster_metrics::get().forward_failures.inc();
    deliver_unavailable(promise);
  }
  in_flight_.clear();
}

std::vector<std::string> topic_state::packed_history(std::uint64_t from) const {
  const auto& h = store_->history();
  std::vector<const log_record*> records;
  log_record claim{0, 0, static_cast<std::uint8_t>(frames::record_kind::claim), claim_};
  if (!claim_.empty()) records.push_back(&claim);
  for (auto o = std::max(from, h.first()); o <= h.last(); ++o)
    if (const auto* m = h.find(o)) records.push_back(&m->record);
  return pack_records(records);
}

std::tuple<std::uint64_t, std::uint64_t, std::vector<std::string>, std::string>
topic_state::on_follow(const caf::actor& follower, std::uint64_t epoch, std::uint64_t last) {
  if (role_ == role::owner && !may_own()) step_down();
  if (role_ != role::owner) return {0, 0, {}, "not_owner"};
  auto& h = store_->history();
  if (newer(epoch, last, epoch_, h.last())) {
    // This node came back with an older history than the follower, which
    // owned the topic meanwhile: take its history first; it asks again.
    pull_from(follower, ++generation_);
    return {0, 0, {}, "handback"};
  }
  if (std::none_of(followers_.begin(), followers_.end(),
                   [&](const caf::actor& f) { return f == follower; })) {
    followers_.push_back(follower);
    self_->monitor(follower);
    // After this answer (the history) is on its way: what is held goes next.
    if (!held_.empty()) self_->send(self_, held_drain_atom::value);
  }
  auto from = epoch == epoch_ && last <= h.last() ? last + 1 : h.first();
  return {epoch_, h.last(), packed_history(from), ""};
}

bool topic_state::on_replicate(std::uint64_t epoch, const std::string& packed) {
  if (role_ != role::follower || self_->current_sender() == nullptr ||
      self_->current_sender()->address() != owner_.address())
    return false;
  auto record = unpack_record(packed);
  if (!record) return false;
  if (static_cast<frames::record_kind>(record->kind) == frames::record_kind::claim) {
    set_claim(std::move(record->data));
    return true;
  }
  auto& h = store_->history();
  if (epoch != epoch_ || record->offset > h.last() + 1) {
    // Out of step with the owner: follow it again from what this node has.
    auto generation = ++generation_;
    role_ = role::resolving;
    hold();
    follow(owner_, generation);
    return false;
  }
  if (record->offset <= h.last()) return true;  // already here
  const auto* stored = store_->append(std::move(*record));
  if (stored == nullptr) return false;
  fan_out(*stored);
  store_->relieve_memory();
  return true;
}

std::tuple<std::uint64_t, std::uint64_t, std::vector<std::string>, bool> topic_state::on_handover(
    const std::string& new_owner) {
  bool was_owner = role_ == role::owner;
  std::tuple<std::uint64_t, std::uint64_t, std::vector<std::string>, bool> result{
      epoch_, store_->history().last(), packed_history(store_->history().first()), was_owner};
  if (was_owner) {
    // Follow the new owner now, even if this node has not yet seen it come up.
    log::info("topic", "handed_over",
              {{"topic", topic_},
               {"to", new_owner},
               {"epoch", epoch_},
               {"last", store_->history().last()}});
    auto generation = ++generation_;
    drop_followers();
    owner_node_ = new_owner;
    role_ = role::resolving;
    hold();
    follow(caf::actor_cast<caf::actor>(self_->current_sender()), generation);
  }
  return result;
}

void topic_state::drop_followers() {
  for (const auto& f : followers_) self_->demonitor(f);
  followers_.clear();
}

// Every follower gets each new message; a publish is acknowledged once
// confirmations_needed() of them stored it (on_replicated).
void topic_state::replicate(const stored_message& message) {
  auto packed = pack_record(message.record);
  auto offset = message.record.offset;
  for (const auto& f : followers_)
    self_->request(f, patience, replicate_atom::value, epoch_, packed)
        .then([this, offset](bool stored) { on_replicated(offset, stored); },
              [this, offset](caf::error&) { on_replicated(offset, false); });
  cluster_metrics::get().replicated.inc(followers_.size());
}

void topic_state::on_replicated(std::uint64_t offset, bool stored) {
  if (auto decided = acks_.answered(offset, stored)) answer(std::move(*decided), offset);
}

void topic_state::answer(ack_decision decided, std::uint64_t offset) {
  auto& [promise, epoch] = decided.waiter;
  if (decided.what == ack_decision_outcome::acknowledged) {
    promise.deliver(std::string{}, offset, epoch);
    return;
  }
  // No other node could store it: it may be lost with this one. The
  // publisher is told so (it may retry); subscribers here may have it.
  cluster_metrics::get().forward_failures.inc();
  deliver_unavailable(promise);
}

// A majority of the configured nodes holds a message before it is
// acknowledged: this node and majority - 1 followers (fewer when fewer
// nodes follow the topic; none at all then).
std::size_t topic_state::confirmations_needed() const {
  return cluster_ ? cluster_->majority() - 1 : 0;
}

// Stores the message, sends it to the followers, and answers `promise` once
// enough of them hold it (on_replicated).
void topic_state::publish_replicated(std::uint8_t kind, std::string data,
                                     caf::response_promise promise) {
  auto [error, offset] = on_publish(kind, std::move(data));
  if (!error.empty()) {
    promise.deliver(std::move(error), offset, epoch_);
    return;
  }
  auto decided =
      acks_.expect(offset, confirmations_needed(), followers_.size(), {std::move(promise), epoch_});
  if (decided) answer(std::move(*decided), offset);
}

// Asks the other nodes that are up to open the topic (their topic then
// follows this one), at most every recruit_every.
void topic_state::recruit() {
  auto now = std::chrono::steady_clock::now();
  if (!held_.empty() && !held_expiry_armed_) {
    held_expiry_armed_ = true;
    self_->delayed_send(self_, patience, held_expire_atom::value);
  }
  if (now - last_recruit_ < recruit_every) return;
  last_recruit_ = now;
  for (const auto& peer : cluster_->up_nodes()) {
    if (peer == cluster_->self()) continue;
    if (auto node = cluster_->cluster_of(peer))
      self_->request(node, patience, cluster_open_atom::value, topic_, true)
          .then([](caf::actor&, std::string&) {}, [](caf::error&) {});
  }
}

// Publishes held for followers go out, in order, once enough follow.
void topic_state::drain_held() {
  if (role_ != role::owner) return fail_held();
  while (!held_.empty() && followers_.size() >= confirmations_needed()) {
    auto h = std::move(held_.front());
    held_.pop_front();
    publish_replicated(h.kind, std::move(h.data), std::move(h.promise));
  }
}

void topic_state::fail_held() {
  for (auto& h : held_) deliver_unavailable(h.promise);
  held_.clear();
}

void topic_state::on_held_expired() {
  held_expiry_armed_ = false;
  if (held_.empty()) return;
  log::warn("topic", "too_few_followers",
            {{"topic", topic_}, {"followers", followers_.size()}, {"held", held_.size()}});
  fail_held();
}

bool topic_state::replica_down(const caf::down_msg& msg) {
  if (owner_ && msg.source == owner_.address()) {
    log::warn("topic", "owner_lost",
              {{"topic", topic_},
               {"owner", owner_node_},
               {"epoch", epoch_},
               {"last", store_->history().last()},
               {"reason", self_->system().render(msg.reason)}});
    auto lost = owner_node_;
    owner_ = {};
    fail_in_flight();
    role_ = role::resolving;
    owner_node_.clear();
    resolve(lost);
    return true;
  }
  auto it = std::find_if(followers_.begin(), followers_.end(),
                         [&](const caf::actor& f) { return f.address() == msg.source; });
  if (it == followers_.end()) return false;
  followers_.erase(it);
  touch();  // the last follower gone: the topic may expire
  return true;
}

}  // namespace sluice::actors
