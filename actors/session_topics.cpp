#include "actors/session_topics.hpp"

#include <chrono>
#include <utility>

#include "actors/actor_metrics.hpp"
#include "actors/frames.hpp"
#include "actors/messages.hpp"
#include "actors/topic_frames.hpp"
#include "core/topic_name.hpp"

namespace sluice::actors {
namespace {

constexpr auto publish_patience = std::chrono::seconds(30);  // a topic stuck on its disk

}  // namespace

session_topics::session_topics(caf::event_based_actor* self,
                               std::shared_ptr<transport::client_link> link,
                               topic_directory& topics)
    : self_(self), link_(std::move(link)), topics_(topics) {}

void session_topics::start() {
  const auto& params = link_->params();
  if (params.client_id.empty()) return;
  auto name = topic_name::inbox_of(params.client_id);
  auto found = topics_.open(name);
  if (!found.topic) return send_error(found.error, found.message, {});
  inbox_name_ = std::move(name);
  inbox_ = found.topic;
  subscribed_.emplace(inbox_name_, inbox_);
  send_subscribe(inbox_, {}, params.since, params.epoch);
}

caf::actor session_topics::allowed(const std::string& name, bool publishing, std::string_view id) {
  const auto* rule = topics_.config().find_rule(name);
  bool own_inbox = name == inbox_name_;
  std::string refusal;
  if (topic_name::is_inbox(name) && !own_inbox)
    refusal = "a client may only use its own inbox";
  else if (rule != nullptr && publishing && !rule->publish)
    refusal = "clients may not publish to \"" + name + "\"";
  else if (rule != nullptr && !publishing && !rule->subscribe)
    refusal = "clients may not subscribe to \"" + name + "\"";
  if (!refusal.empty()) {
    send_error(ec::topic_forbidden, refusal, id);
    return {};
  }
  auto found = topics_.open(name);
  if (!found.topic) send_error(found.error, found.message, id);
  return found.topic;
}

void session_topics::subscribe(const transport::client_message& msg) {
  auto topic = allowed(msg.topic, false, msg.id);
  if (!topic) return;
  subscribed_.emplace(msg.topic, topic);
  send_subscribe(topic, msg.id, msg.since, msg.epoch);
}

void session_topics::send_subscribe(const caf::actor& topic, const std::string& id,
                                    std::int64_t since, std::uint64_t epoch) {
  self_->send(topic, subscribe_atom::value, link_, caf::actor_cast<caf::actor>(self_), id, since,
              epoch, topic == inbox_);
}

void session_topics::unsubscribe(const transport::client_message& msg) {
  if (msg.topic == inbox_name_)
    return send_error(ec::topic_forbidden,
                      "a connection stays subscribed to its inbox: its requests stream there",
                      msg.id);
  auto it = subscribed_.find(msg.topic);
  if (it == subscribed_.end())
    return send_error(ec::not_subscribed, "not subscribed to " + msg.topic, msg.id);
  self_->send(it->second, unsubscribe_atom::value, link_, caf::actor_cast<caf::actor>(self_),
              msg.id);
  subscribed_.erase(it);
}

void session_topics::publish(transport::client_message& msg) {
  auto limit = topics_.config().max_message_bytes;
  if (msg.payload.size() > limit)
    return send_error(ec::message_too_large,
                      "`data` is " + std::to_string(msg.payload.size()) +
                          " bytes; topics.max_message_bytes is " + std::to_string(limit),
                      msg.id);
  auto topic = allowed(msg.topic, true, msg.id);
  if (!topic) return;
  auto kind = static_cast<std::uint8_t>(frames::record_kind::event);
  self_->request(topic, publish_patience, publish_atom::value, kind, std::move(msg.payload))
      .then(
          [this, id = msg.id, name = msg.topic](const std::string& error, std::uint64_t offset) {
            // Only a publish with an id is acknowledged: without one it is fire
            // and forget (failures are still reported).
            if (!error.empty())
              send_error(ec::storage_failed,
                         "the message could not be stored; it was not published", id);
            else if (!id.empty())
              link_->send(std::make_shared<const std::string>(frames::published(id, name, offset)));
          },
          [this, id = msg.id](caf::error&) {
            send_error(ec::storage_failed, "the topic did not acknowledge the message", id);
          });
}

void session_topics::on_writable() {
  for (const auto& [name, topic] : subscribed_)
    self_->send(topic, writable_atom::value, caf::actor_cast<caf::actor>(self_));
}

void session_topics::send_error(ec code, std::string_view message, std::string_view id) {
  actor_metrics::get().count_error(code);
  link_->send(std::make_shared<const std::string>(frames::error(code, message, id)));
}

}  // namespace sluice::actors
