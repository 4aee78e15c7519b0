#include "actors/topic/replica/engine_link.hpp"

#include "actors/topic/replica/engine_messages.hpp"
#include "core/observe/log.hpp"

namespace sluice::actors {
namespace {

template <class... Ts>
void tell(const caf::actor_addr& to, Ts&&... xs) {
  if (auto actor = caf::actor_cast<caf::actor>(to)) caf::anon_send(actor, std::forward<Ts>(xs)...);
}

}  // namespace

engine_link::engine_link(std::shared_ptr<transport::jetstream> engine, std::string topic,
                         caf::actor_addr topic_actor)
    : engine_(std::move(engine)), topic_(std::move(topic)), topic_actor_(std::move(topic_actor)) {}

engine_link::~engine_link() {
  std::shared_ptr<transport::engine_subscription> last;
  std::lock_guard lock{held_->mutex};
  held_->closed = true;
  last = std::move(held_->subscription);
}

void engine_link::open(std::uint64_t generation, const config::topic_rule& rule) {
  transport::stream_bounds bounds{rule.history_size, rule.history_bytes, rule.history_age};
  engine_->open_stream(
      topic_, bounds,
      [to = topic_actor_, generation](std::optional<transport::stream_state> s, std::string error) {
        auto state = s.value_or(transport::stream_state{});
        tell(to, engine_opened_atom::value, generation, s.has_value(), state.epoch, state.first,
             state.last, std::move(error));
      });
}

void engine_link::subscribe(std::uint64_t generation, std::uint64_t from) {
  auto on_message = [to = topic_actor_, generation](transport::engine_message m) {
    tell(to, engine_message_atom::value, generation, m.sequence, m.ts_ms, m.kind,
         std::move(m.data));
  };
  auto on_trouble = [to = topic_actor_, generation](std::string why) {
    tell(to, engine_trouble_atom::value, generation, std::move(why));
  };
  engine_->subscribe(topic_, from, std::move(on_message), std::move(on_trouble),
                     [to = topic_actor_, generation, held = held_](
                         std::shared_ptr<transport::engine_subscription> sub, std::string error) {
                       bool ok = sub != nullptr;
                       std::shared_ptr<transport::engine_subscription> replaced;
                       {
                         std::lock_guard lock{held->mutex};
                         replaced = std::move(held->subscription);
                         if (!held->closed) held->subscription = std::move(sub);
                       }
                       tell(to, engine_subscribed_atom::value, generation, ok, std::move(error));
                     });
}

void engine_link::unsubscribe() {
  std::shared_ptr<transport::engine_subscription> last;
  std::lock_guard lock{held_->mutex};
  last = std::move(held_->subscription);
}

void engine_link::abandon_subscription() {
  {
    std::lock_guard lock{held_->mutex};
    if (held_->subscription) held_->subscription->abandon();
  }
  unsubscribe();
}

void engine_link::publish(std::uint64_t id, std::uint8_t kind, const std::string& data) {
  engine_->publish(
      topic_, kind, data,
      [to = topic_actor_, id, topic = topic_](
          std::uint64_t sequence, transport::jetstream::publish_error e, std::string why) {
        if (id == 0) {
          if (e != transport::jetstream::publish_error::none)
            log::error("topic", "frame_not_stored", {{"topic", topic}, {"error", why}});
          return;
        }
        tell(to, engine_acked_atom::value, id, sequence, static_cast<std::uint8_t>(e),
             std::move(why));
      });
}

void engine_link::load_cursor(std::uint64_t token, const std::string& key) {
  engine_->load_cursor(
      key, [to = topic_actor_, token](std::optional<transport::jetstream::cursor_state> c,
                                      std::string error) {
        auto state = c.value_or(transport::jetstream::cursor_state{});
        tell(to, engine_cursor_loaded_atom::value, token, c.has_value(), state.found, state.acked,
             state.sent, state.revision, state.others, std::move(error));
      });
}

void engine_link::store_cursor(const std::string& key, std::uint64_t acked, std::uint64_t sent,
                               std::uint64_t revision) {
  engine_->store_cursor(
      key, acked, sent, revision,
      [to = topic_actor_, key](transport::jetstream::cursor_write result, std::uint64_t stored) {
        tell(to, engine_cursor_stored_atom::value, key, static_cast<std::uint8_t>(result), stored);
      });
}

void engine_link::claim(std::uint64_t token, const std::string& fresh_digest) {
  engine_->claim(topic_, fresh_digest,
                 [to = topic_actor_, token](std::optional<transport::jetstream::claim_state> c,
                                            std::string error) {
                   auto state = c.value_or(transport::jetstream::claim_state{});
                   tell(to, engine_claimed_atom::value, token, c.has_value(), state.created,
                        std::move(state.digest), std::move(error));
                 });
}

void engine_link::retire_inbox(std::chrono::milliseconds idle) {
  unsubscribe();  // its consumer is deleted before the engine counts the stream's readers
  engine_->retire_inbox(topic_, idle);
}

}  // namespace sluice::actors
