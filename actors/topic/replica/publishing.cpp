// A topic across the nodes of a cluster, publishing (see ownership.cpp for
// finding the owner and taking over): the owner stores a publish and answers
// it once a majority holds it (its followers confirm), recruiting followers
// when too few follow; a follower forwards publishes to the owner and
// receives each new message once.
#include <algorithm>
#include <chrono>

#include "actors/cluster/metrics.hpp"
#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "actors/topic/metrics.hpp"
#include "actors/topic/replica/timing.hpp"
#include "actors/topic/topic.hpp"
#include "core/observe/log.hpp"
#include "protocol/topic_frames.hpp"

namespace sluice::actors {

using namespace replica_timing;

caf::result<std::uint64_t, std::uint64_t> topic_state::accept_publish(std::uint8_t kind,
                                                                      std::string data) {
  if (role_ == role::engine) return publish_to_engine(kind, std::move(data));
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
      return caf::delegated<std::uint64_t, std::uint64_t>{};
    }
    publish_replicated(kind, std::move(data), std::move(promise));
    return caf::delegated<std::uint64_t, std::uint64_t>{};
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
  auto kind = static_cast<std::uint8_t>(protocol::frames::record_kind::frame);
  if (role_ == role::engine) return engine_->publish(0, kind, frame);
  if (role_ == role::owner) {
    if (!on_publish(kind, std::move(frame)))
      log::error("topic", "frame_not_stored",
                 {{"topic", topic_}, {"error", to_string(ec::storage_failed)}});
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
          [this, id](std::uint64_t offset, std::uint64_t epoch) {
            if (auto it = in_flight_.find(id); it != in_flight_.end()) {
              it->second.deliver(offset, epoch);
              in_flight_.erase(it);
            }
          },
          [this, id](caf::error& e) {
            auto it = in_flight_.find(id);
            if (it == in_flight_.end()) return;
            if (ec_of(e)) {  // the owner's own answer
              it->second.deliver(std::move(e));
            } else {  // no answer from the owner
              log::debug("topic", "forward_failed",
                         {{"topic", topic_}, {"error", self_->system().render(e)}});
              cluster_metrics::get().forward_failures.inc();
              deliver_unavailable(it->second);
            }
            in_flight_.erase(it);
          });
}

// The answer to a publish this node could not see through: it may or may
// not have been stored (docs/cluster.md).
caf::error topic_state::unavailable() {
  return make_error(ec::owner_unavailable);
}

void topic_state::deliver_unavailable(caf::response_promise& promise) {
  promise.deliver(unavailable());
}

void topic_state::fail_in_flight() {
  for (auto& [id, promise] : in_flight_) {
    cluster_metrics::get().forward_failures.inc();
    deliver_unavailable(promise);
  }
  in_flight_.clear();
}

history_copy topic_state::history_from(std::uint64_t from) const {
  const auto& h = store_->history();
  history_copy out{epoch_, h.last(), {}};
  if (!claim_.empty())
    out.records.push_back(
        {0, 0, static_cast<std::uint8_t>(protocol::frames::record_kind::claim), claim_});
  if (records_.size() > 0) out.records.push_back(consumers_record(records_));
  for (auto o = std::max(from, h.first()); o <= h.last(); ++o)
    if (const auto* m = h.find(o)) out.records.push_back(m->record);
  return out;
}

caf::result<history_copy> topic_state::on_follow(const follow_request& r) {
  const auto& follower = r.follower;
  auto epoch = r.epoch;
  auto last = r.last;
  if (role_ == role::owner && !may_own()) step_down();
  if (role_ != role::owner) return make_error(ec::owner_unavailable, "not the owner");
  auto& h = store_->history();
  if (newer(epoch, last, epoch_, h.last())) {
    // This node came back with an older history than the follower, which
    // owned the topic meanwhile: take its history first; it asks again.
    pull_from(follower, ++generation_);
    return make_error(ec::owner_unavailable, "taking the follower's newer history first");
  }
  if (std::none_of(followers_.begin(), followers_.end(),
                   [&](const caf::actor& f) { return f == follower; })) {
    followers_.push_back(follower);
    self_->monitor(follower);
    // After this answer (the history) is on its way: what is held goes next.
    if (!held_.empty()) self_->send(self_, held_drain_atom::value);
  }
  auto from = epoch == epoch_ && last <= h.last() ? last + 1 : h.first();
  return history_from(from);
}

bool topic_state::on_replicate(std::uint64_t epoch, log_record& record) {
  if (role_ != role::follower || self_->current_sender() == nullptr ||
      self_->current_sender()->address() != owner_.address())
    return false;
  if (static_cast<protocol::frames::record_kind>(record.kind) ==
      protocol::frames::record_kind::claim) {
    set_claim(std::move(record.data));
    return true;
  }
  if (static_cast<protocol::frames::record_kind>(record.kind) ==
      protocol::frames::record_kind::consumers) {
    std::vector<log_record> one{std::move(record)};
    adopt_consumers(one);
    return true;
  }
  auto& h = store_->history();
  if (epoch != epoch_ || record.offset > h.last() + 1) {
    // Out of step with the owner: follow it again from what this node has.
    auto generation = ++generation_;
    role_ = role::resolving;
    hold();
    follow(owner_, generation);
    return false;
  }
  if (record.offset <= h.last()) return true;  // already here
  const auto* stored = store_->append(std::move(record));
  if (stored == nullptr) return false;
  fan_out(*stored);
  store_->relieve_memory();
  return true;
}

std::tuple<history_copy, bool> topic_state::on_handover(const std::string& new_owner) {
  bool was_owner = role_ == role::owner;
  std::tuple<history_copy, bool> result{history_from(store_->history().first()), was_owner};
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
  auto offset = message.record.offset;
  for (const auto& f : followers_)
    self_->request(f, patience, replicate_atom::value, epoch_, message.record)
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
    promise.deliver(offset, epoch);
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
  auto offset = on_publish(kind, std::move(data));
  if (!offset) {
    promise.deliver(make_error(ec::storage_failed));
    return;
  }
  auto decided = acks_.expect(*offset, confirmations_needed(), followers_.size(),
                              {std::move(promise), epoch_});
  if (decided) answer(std::move(*decided), *offset);
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
          .then([](caf::actor&) {}, [](caf::error&) {});
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

}  // namespace sluice::actors
