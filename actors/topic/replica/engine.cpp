// A topic whose messages live in the engine (engine: nats, docs/engine.md):
// the topic's JetStream stream numbers them (its sequences are the offsets)
// and keeps the reference history; this node's topic keeps a copy, fed by
// one ordered subscription to the stream, and delivers from it to the
// subscribers here as any topic does. A publish goes to the stream and is
// answered once JetStream acknowledged it; the message reaches the
// subscribers here (and on every other node) through the subscription.
#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "actors/topic/metrics.hpp"
#include "actors/topic/replica/engine_messages.hpp"
#include "actors/topic/topic.hpp"
#include "core/observe/log.hpp"

namespace sluice::actors {
namespace {

constexpr auto engine_retry_after = std::chrono::seconds(1);

}  // namespace

caf::message_handler topic_state::engine_handlers() {
  return caf::message_handler{
      [this](engine_opened_atom, std::uint64_t generation, bool ok, std::uint64_t epoch,
             std::uint64_t first, std::uint64_t last, const std::string& error) {
        on_engine_opened(generation, ok, {epoch, first, last}, error);
      },
      [this](engine_subscribed_atom, std::uint64_t generation, bool ok, const std::string& error) {
        on_engine_subscribed(generation, ok, error);
      },
      [this](engine_message_atom, std::uint64_t generation, std::uint64_t sequence,
             std::int64_t ts_ms, std::uint8_t kind, std::string& data) {
        on_engine_message(generation, {sequence, ts_ms, kind, std::move(data)});
      },
      [this](engine_trouble_atom, std::uint64_t generation, const std::string& why) {
        on_engine_trouble(generation, why);
      },
      [this](engine_acked_atom, std::uint64_t id, std::uint64_t sequence, std::uint8_t error,
             std::string& why) { on_engine_acked(id, sequence, error, why); },
      [this](engine_claimed_atom, std::uint64_t token, bool ok, bool created, std::string& stored,
             const std::string& error) {
        on_engine_claimed(token, ok, created, std::move(stored), error);
      },
      [this](engine_retry_atom, std::uint64_t generation) {
        if (generation == generation_) open_engine();
      },
  }
      .or_else(engine_cursor_handlers());
}

void topic_state::start_engine(std::shared_ptr<transport::jetstream> engine) {
  engine_.emplace(std::move(engine), topic_, self_->address());
  role_ = role::resolving;
  holding_ = true;  // make_behavior() returns resolving_behavior()
  self_->set_default_handler(caf::skip);
  open_engine();
}

void topic_state::open_engine() {
  engine_subscribed_ = false;
  engine_->open(++generation_, rule_);
}

void topic_state::retry_engine_later() {
  self_->delayed_send(self_, engine_retry_after, engine_retry_atom::value, generation_);
}

void topic_state::on_engine_opened(std::uint64_t generation, bool ok, transport::stream_state s,
                                   const std::string& error) {
  if (generation != generation_) return;
  if (!ok) {
    // Retried every second until it works: one warning, not one a second.
    if (!engine_failing_)
      log::warn("topic", "engine_open_failed", {{"topic", topic_}, {"error", error}});
    engine_failing_ = true;
    return retry_engine_later();
  }
  if (engine_failing_) log::info("topic", "engine_opened_again", {{"topic", topic_}});
  engine_failing_ = false;
  auto& h = store_->history();
  if (s.epoch != epoch_) {
    // The first look at the stream, or the stream was made anew: its
    // sequence starts over, which subscribers here learn as a gap (epoch).
    auto old_last = h.last();
    h.reset({}, s.first - 1);
    forget_unsent();
    if (engine_known_) {
      change_epoch(s.epoch, old_last, 1, "epoch");
    } else {
      epoch_ = s.epoch;
    }
  }
  engine_known_ = true;
  reopen_pending_ = false;
  for (auto& [promise, sequence] : acked_during_reopen_) promise.deliver(sequence, epoch_);
  acked_during_reopen_.clear();
  engine_caught_up_ = s.last;
  log::debug("topic", "engine_opened",
             {{"topic", topic_}, {"epoch", epoch_}, {"first", s.first}, {"last", s.last}});
  engine_->subscribe(generation, std::max(h.last() + 1, s.first));
}

void topic_state::on_engine_subscribed(std::uint64_t generation, bool ok,
                                       const std::string& error) {
  if (generation != generation_) return;
  if (!ok) {
    log::warn("topic", "engine_subscribe_failed", {{"topic", topic_}, {"error", error}});
    return retry_engine_later();
  }
  engine_subscribed_ = true;
  engine_ready_if_caught_up();
}

// Subscribers are let in once this node holds what the stream held when
// the topic opened it: a `since` is then answered from a full copy.
void topic_state::engine_ready_if_caught_up() {
  if (role_ == role::engine || !engine_subscribed_) return;
  if (store_->history().last() < engine_caught_up_) return;
  role_ = role::engine;
  release_hold();
}

void topic_state::on_engine_message(std::uint64_t generation, log_record record) {
  if (generation != generation_) return;
  auto& h = store_->history();
  if (record.offset <= h.last()) return;  // already here
  if (record.offset > h.last() + 1) {
    // The stream let these go before this node read them: subscribers
    // behind get a gap.
    h.reset({}, record.offset - 1);
    forget_unsent();
    cursors_.pump_all(held(), instructions_);
    carry_out(instructions_);
  }
  touch();
  const auto* stored = store_->append(std::move(record));
  if (stored == nullptr) return;
  topic_metrics::get().published.inc();
  fan_out(*stored);
  store_->relieve_memory();
  engine_ready_if_caught_up();
}

caf::result<std::uint64_t, std::uint64_t> topic_state::publish_to_engine(std::uint8_t kind,
                                                                         std::string data) {
  auto promise = self_->make_response_promise();
  auto id = ++next_forward_;
  engine_waiting_.emplace(id, promise);
  engine_->publish(id, kind, data);
  return promise;
}

void topic_state::on_engine_acked(std::uint64_t id, std::uint64_t sequence, std::uint8_t error,
                                  const std::string& why) {
  auto it = engine_waiting_.find(id);
  if (it == engine_waiting_.end()) return;
  using publish_error = transport::jetstream::publish_error;
  // While the stream is opened again, the epoch an ack belongs to is known
  // only once that is done: the answer waits for it (on_engine_opened).
  if (reopen_pending_ && static_cast<publish_error>(error) == publish_error::none) {
    acked_during_reopen_.emplace_back(std::move(it->second), sequence);
    engine_waiting_.erase(it);
    return;
  }
  auto promise = std::move(it->second);
  engine_waiting_.erase(it);
  switch (static_cast<publish_error>(error)) {
    case publish_error::none:
      return promise.deliver(sequence, epoch_);
    case publish_error::overloaded:
      return promise.deliver(make_error(ec::overloaded, why));
    case publish_error::unavailable:
      return promise.deliver(make_error(ec::engine_unavailable, why));
    case publish_error::stream_gone:
      // Deleted behind this node's back: made anew (another epoch) for the
      // publishes that come next; this one is not stored.
      promise.deliver(make_error(ec::engine_unavailable, why));
      return reopen_engine("stream_gone");
  }
}

// The subscription may have stopped (its consumer could not be made again,
// e.g. the stream was deleted): the stream is opened again, and the copy
// goes on from what it holds, or starts over under the new epoch.
void topic_state::on_engine_trouble(std::uint64_t generation, const std::string& why) {
  if (generation != generation_) return;
  log::warn("topic", "engine_subscription_trouble", {{"topic", topic_}, {"error", why}});
  reopen_engine("subscription_trouble");
}

void topic_state::reopen_engine(std::string_view why) {
  if (reopen_pending_) return;  // one reopen at a time; a burst of errors asks once
  reopen_pending_ = true;
  log::info("topic", "engine_reopen", {{"topic", topic_}, {"reason", why}});
  engine_->abandon_subscription();
  open_engine();
}

// While the topic opens its stream, publishes fail at once when the engine
// cannot be reached (they would wait for it otherwise); without an engine,
// as the cluster decides.
caf::result<std::uint64_t, std::uint64_t> topic_state::refuse_while_resolving(bool counted) {
  if (!engine_) return refuse_if_fenced(counted);
  if (engine_->connected()) return caf::skip;
  if (counted) mailbox_->handled();
  return make_error(ec::engine_unavailable, "not connected to a NATS server");
}

}  // namespace sluice::actors
