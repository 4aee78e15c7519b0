// A topic across the nodes of a cluster (see topic.hpp and docs/cluster.md):
// finding the owner, following it, forwarding publishes to it, and taking
// over (with a new epoch) when it is lost or handing back when it returns.
#include <algorithm>
#include <chrono>

#include "actors/base/strays.hpp"
#include "actors/cluster/metrics.hpp"
#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "actors/topic/metrics.hpp"
#include "actors/topic/replica/history_choice.hpp"
#include "actors/topic/replica/timing.hpp"
#include "actors/topic/topic.hpp"
#include "core/clock.hpp"
#include "core/observe/log.hpp"
#include "protocol/topic_frames.hpp"

namespace sluice::actors {
using namespace replica_timing;

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
          [this, generation](caf::actor& found) {
            if (generation != generation_) return;
            looking_ = false;
            follow(std::move(found), generation);
          },
          [this, generation](caf::error& e) {
            if (generation != generation_) return;
            looking_ = false;
            if (auto code = ec_of(e))
              log::warn("topic", "owner_refused",
                        {{"topic", topic_},
                         {"owner", owner_node_},
                         {"error", to_string(*code)},
                         {"message", message_of(e)}});
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
caf::result<std::uint64_t, std::uint64_t> topic_state::refuse_if_fenced(bool counted) {
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
  caf::message_handler resolving{
      [this](publish_atom, std::uint8_t, std::string&) { return refuse_while_resolving(true); },
      [this](publish_more_atom, std::uint8_t, std::string&) {
        return refuse_while_resolving(true);
      },
      [this](forward_atom, std::uint8_t, std::string&) { return refuse_while_resolving(false); },
      [this](membership_atom) { resolve(); },
      [this](resolve_atom, std::uint64_t generation) { on_resolve_timer(generation); },
      [this](claim_atom, const std::string&, const std::string&) {
        return claim_while_resolving();
      },
      [this](handover_atom, const std::string& new_owner) { return on_handover(new_owner); },
      [this](topic_info_atom) -> caf::result<std::string> {
        // A topic in the engine answers once its copy holds the stream's
        // messages; a cluster topic at once ("owner" is empty meanwhile).
        if (engine_) return caf::skip;
        return info_json();
      },
      [](replicate_atom, std::uint64_t, const log_record&) { return false; },  // from a past owner
      [this](sync_atom) { store_->sync(); },
      [this](fan_out_atom) { on_fan_out(); },
  };
  return resolving.or_else(engine_handlers());
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
      ->request(
          owner_topic, patience, follow_atom::value,
          follow_request{caf::actor_cast<caf::actor>(self_), epoch_, store_->history().last()})
      .then(
          [this, generation, owner_topic](history_copy& copy) {
            if (generation != generation_) return;
            looking_ = false;
            if (auto claim = take_claim(copy.records); !claim.empty()) set_claim(std::move(claim));
            adopt_consumers(copy.records);
            owner_ = owner_topic;
            self_->monitor(owner_);
            role_ = role::follower;
            lost_owner_.clear();
            adopt(copy.epoch, copy.last, std::move(copy.records));
            followed_ = true;
            log::debug("topic", "following",
                       {{"topic", topic_},
                        {"owner", owner_node_},
                        {"epoch", epoch_},
                        {"last", copy.last}});
            release_hold();
          },
          [this, generation](caf::error&) {  // e.g. not the owner yet
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
          [this, round, generation](history_copy& theirs, bool was_owner) {
            round->consider(std::move(theirs), was_owner);
            answered(round, generation);
          },
          [this, round, generation](caf::error&) { answered(round, generation); });
}

void topic_state::take_over(std::uint64_t generation) {
  auto peers = cluster_->up_nodes();
  std::erase(peers, cluster_->self());
  if (peers.empty()) {
    if (cluster_->majority() > 1) return resolve_later();  // no majority to read from
    return became_owner(followed_, followed_ ? "failover" : "");
  }
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
            [this, round, generation](caf::actor& other) { ask_history(other, round, generation); },
            [this, round, generation](caf::error& e) {
              if (ec_of(e) == ec::unknown_topic) ++round->answers;  // it holds nothing of it
              answered(round, generation);
            });
  }
}

void topic_state::answered(const std::shared_ptr<takeover_round>& round, std::uint64_t generation) {
  if (--round->waiting > 0 || generation != generation_) return;
  looking_ = false;
  // A takeover reads the history of a majority (this node and majority - 1
  // peers) before it serves: an epoch another owner started while this node
  // was away (paused, cut off) lies with at least one of them. Peers that did
  // not answer (one that does not count this node as joined yet) leave it
  // for the next try.
  if (!round->handback && round->answers + 1 < cluster_->majority()) {
    log::info(
        "topic", "takeover_postponed",
        {{"topic", topic_}, {"answers", round->answers}, {"needed", cluster_->majority() - 1}});
    return resolve_later();
  }
  if (claim_.empty() && !round->claim.empty()) set_claim(std::move(round->claim));
  if (round->consumers.size() > 0) {
    records_.merge(round->consumers);
    write_consumers_soon();
  }
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
  // Another epoch. Subscribers here are told (an owner that was frozen has
  // delivered its own messages to them before a majority held them); a topic
  // that never had an owner's history and has no subscriber has nobody to tell.
  if (followed_ || !cursors_.empty() || h.last() < old_last)
    return change_epoch(epoch, old_last, diverged, "failover");
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
