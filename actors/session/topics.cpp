#include "actors/session/topics.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "actors/base/actor_metrics.hpp"
#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "core/observe/log.hpp"
#include "core/secure_random.hpp"
#include "core/topic_name.hpp"
#include "protocol/server_frames.hpp"
#include "protocol/topic_frames.hpp"
#include "security/access.hpp"
#include "security/client_ids.hpp"

namespace sluice::actors {
namespace {

constexpr auto publish_retry = std::chrono::milliseconds(1);  // while a topic's mailbox is full
constexpr auto claim_patience = std::chrono::seconds(15);     // the owner may be on another node

topic_creator creator_of(const security::identity& who, const transport::client_link& link,
                         std::string_view session_id) {
  auto principal = security::principal_of(who);
  return {principal.value_or(link.remote_ip()), !principal, std::string{session_id}};
}

}  // namespace

session_topics::session_topics(caf::event_based_actor* self,
                               std::shared_ptr<transport::client_link> link,
                               topic_directory& topics, std::string_view session_id,
                               const security::identity& who, bool user_channels,
                               std::size_t max_publishes_in_flight)
    : self_(self),
      link_(std::move(link)),
      topics_(topics),
      who_(who),
      resumable_(!link_->params().client_id.empty()),
      creator_(creator_of(who, *link_, session_id)),
      max_publishes_in_flight_(std::max<std::size_t>(max_publishes_in_flight, 1)) {
  inbox_name_ = resumable_ ? security::client_inbox(who_, link_->params().client_id)
                           : topic_name::inbox_of(session_id);
  needs_claim_ = resumable_ && !security::principal_of(who_);
  if (user_channels && !who_.subject.empty()) {
    user_channel_ = topic_name::user_channel_of(who_.subject);
    if (user_channel_.empty())
      log::warn("session", "no_user_channel",
                {{"session", session_id}, {"reason", "sub is not usable in a topic name"}});
  }
}

session_topics::~session_topics() {
  if (!resumable_) topics_.forget_own_inbox(inbox_name_);
}

bool session_topics::open_inbox(ec& refusal) {
  // A connection's own inbox stays on its node, and is started only when
  // something is sent to it (the directory subscribes this session to it
  // then); a client id's inbox (which a reconnect to any node resumes) lives
  // across the cluster.
  if (!resumable_) {
    topics_.expect_own_inbox(inbox_name_, self_->address(), link_);
    return true;
  }
  auto found = topics_.open(inbox_name_, topic_directory::scope::cluster, &creator_);
  if (!found.topic) {
    refusal = found.error;
    send_error(found.error, found.message, {});
    return false;
  }
  inbox_ = found.topic;
  inbox_lease_ = std::move(found.lease);
  return true;
}

void session_topics::claim(std::function<void(claim_verdict, std::string)> done) {
  const auto& presented = link_->params().resume;
  auto credential = random_secret();
  self_
      ->request(inbox_, claim_patience, claim_atom::value,
                presented.empty() ? std::string{} : security::credential_digest(presented),
                security::credential_digest(credential))
      .then(
          [done, credential](std::uint8_t verdict) {
            auto v = static_cast<claim_verdict>(verdict);
            done(v, v == claim_verdict::issued ? credential : std::string{});
          },
          [done](caf::error&) { done(claim_verdict::unavailable, {}); });
}

void session_topics::start() {
  const auto& params = link_->params();
  if (resumable_) {
    stream_inbox_ = inbox_;
    subscribed_.emplace(inbox_name_, held{inbox_, std::move(inbox_lease_)});
    send_subscribe(inbox_,
                   {{}, {}, {}, params.since, params.epoch, subscribe_own_inbox, {}, {}, {}});
  }
  if (user_channel_.empty()) return;
  auto user = topics_.open(user_channel_);
  if (!user.topic) return send_error(user.error, user.message, {});
  send_subscribe(user.topic, {{}, {}, {}, -1, 0, subscribe_quietly, {}, {}, {}});
  subscribed_.emplace(user_channel_, held{user.topic, std::move(user.lease)});
}

topic_directory::lookup session_topics::allowed(const std::string& name, bool publishing,
                                                std::string_view id) {
  const auto* rule = topics_.config().find_rule(name);
  std::string_view action = publishing ? "publish to" : "subscribe to";
  if (topic_name::is_inbox(name) && name != inbox_name_) {
    send_error(ec::topic_forbidden, "a client may only use its own inbox", id);
    return {};
  }
  if (rule != nullptr) {
    const auto& access = publishing ? rule->publish : rule->subscribe;
    // Nobody at all: the topic's rule (topic_forbidden); not this client: forbidden.
    if (!access.everyone && access.principals.empty()) {
      send_error(ec::topic_forbidden,
                 "clients may not " + std::string{action} + " \"" + name + "\"", id);
      return {};
    }
    if (!security::allows(access, who_, security::owner_part(rule->match, name))) {
      send_error(ec::forbidden, "this client may not " + std::string{action} + " \"" + name + "\"",
                 id);
      return {};
    }
  }
  auto found = topics_.open(name, topic_directory::scope::cluster, &creator_);
  if (!found.topic) send_error(found.error, found.message, id);
  return found;
}

topic_directory::lookup session_topics::open_for_route(const std::string& name,
                                                       std::string_view id) {
  if (topic_name::is_inbox(name)) {
    send_error(ec::topic_forbidden, "a route may not publish its streams to an inbox", id);
    return {};
  }
  auto found = topics_.open(name, topic_directory::scope::cluster, &creator_);
  if (!found.topic) send_error(found.error, found.message, id);
  return found;
}

void session_topics::subscribe(const protocol::subscribe& msg) {
  std::optional<std::string> principal;
  if (!msg.consumer.empty()) {
    if (topic_name::is_inbox(msg.topic))
      return send_error(ec::topic_forbidden, "an inbox has no acknowledged consumers", msg.id);
    if (principal = consumer_owner(msg.id); !principal) return;
  }
  auto found = allowed(msg.topic, false, msg.id);
  if (!found.topic) return;
  auto topic = found.topic;
  subscribed_.insert_or_assign(msg.topic, held{topic, std::move(found.lease)});
  std::uint8_t flags = topic == inbox_ ? subscribe_own_inbox : 0;
  if (msg.batch) flags |= subscribe_batched;
  send_subscribe(topic, {{},
                         {},
                         msg.id,
                         msg.since,
                         msg.epoch,
                         flags,
                         msg.consumer,
                         principal.value_or(std::string{}),
                         msg.kinds});
}

std::optional<std::string> session_topics::consumer_owner(std::string_view id) {
  // Tagged by kind, so that no sub, key name and client id share a cursor.
  if (!who_.subject.empty()) return "sub:" + who_.subject;
  if (!who_.key_name.empty()) return "key:" + who_.key_name;
  if (resumable_) return "client:" + link_->params().client_id;
  send_error(ec::forbidden,
             "an acknowledged consumer belongs to a principal: authenticate, or connect with "
             "?client_id=",
             id);
  return std::nullopt;
}

void session_topics::send_subscribe(const caf::actor& topic, subscription s) {
  s.link = link_;
  s.session = caf::actor_cast<caf::actor>(self_);
  self_->send(topic, subscribe_atom::value, std::move(s));
}

void session_topics::ack(const protocol::ack& msg) {
  auto it = subscribed_.find(msg.topic);
  if (it == subscribed_.end())
    return send_error(ec::not_subscribed, "not subscribed to " + msg.topic, msg.id);
  self_->send(it->second.topic, consumer_ack_atom::value, link_, caf::actor_cast<caf::actor>(self_),
              msg.id, msg.offset);
}

void session_topics::unsubscribe(const protocol::unsubscribe& msg) {
  if (msg.topic == inbox_name_)
    return send_error(ec::topic_forbidden,
                      "a connection stays subscribed to its inbox: its requests stream there",
                      msg.id);
  auto it = subscribed_.find(msg.topic);
  if (it == subscribed_.end())
    return send_error(ec::not_subscribed, "not subscribed to " + msg.topic, msg.id);
  self_->send(it->second.topic, unsubscribe_atom::value, link_, caf::actor_cast<caf::actor>(self_),
              msg.id);
  subscribed_.erase(it);
}

bool session_topics::publish(protocol::publish& msg, bool more) {
  if (waiting_.empty() && publish_now(msg, more) == sent::done) return true;
  waiting_.push_back(std::move(msg));
  if (!retry_scheduled_) {
    retry_scheduled_ = true;
    self_->delayed_send(self_, publish_retry, publish_retry_atom::value);
  }
  return false;
}

void session_topics::retry_waiting() {
  retry_scheduled_ = false;
  while (!waiting_.empty()) {
    if (publish_now(waiting_.front(), false) == sent::must_wait) {
      retry_scheduled_ = true;
      self_->delayed_send(self_, publish_retry, publish_retry_atom::value);
      return;
    }
    waiting_.pop_front();
    link_->consumed();
  }
}

void session_topics::end_batch() {
  if (batch_open_) self_->send(batch_open_, fan_out_atom::value);
  batch_open_ = nullptr;
}

session_topics::sent session_topics::publish_now(protocol::publish& msg, bool more) {
  if (auto why = topics_.oversize(msg.data.size()); !why.empty()) {
    send_error(ec::message_too_large, why, msg.id);
    return sent::done;
  }
  if (publishes_in_flight_ >= max_publishes_in_flight_) return sent::must_wait;
  auto found = allowed(msg.topic, true, msg.id);
  if (!found.topic) return sent::done;
  if (found.mailbox->full()) return sent::must_wait;
  found.mailbox->accepted();
  ++publishes_in_flight_;
  if (batch_open_ && batch_open_ != found.topic) end_batch();
  batch_open_ = more ? found.topic : nullptr;
  auto kind = static_cast<std::uint8_t>(protocol::frames::record_kind::event);
  // No timeout: each one would sit in the actor clock for its whole duration,
  // one entry per publish. The topic always answers (or CAF reports it gone),
  // and the topic's mailbox bound keeps the requests in flight few.
  auto ask = [&](auto atom) {
    return self_->request(found.topic, caf::infinite, atom, kind, std::move(msg.data));
  };
  auto request = more ? ask(publish_more_atom::value) : ask(publish_atom::value);
  std::move(request).then(
      [this, id = msg.id, name = msg.topic, lease = found.lease](std::uint64_t offset,
                                                                 std::uint64_t epoch) {
        publish_answered();
        // Only a publish with an id is acknowledged: without one it is fire
        // and forget (failures are still reported).
        if (!id.empty())
          link_->send(std::make_shared<const std::string>(
              protocol::frames::published(id, name, offset, epoch)));
      },
      [this, id = msg.id](caf::error& e) {
        publish_answered();
        auto failure = publish_failure_of(e);
        send_error(failure.code, failure.message, id);
      });
  return sent::done;
}

void session_topics::publish_answered() {
  --publishes_in_flight_;
  if (!waiting_.empty() && !retry_scheduled_) retry_waiting();
}

void session_topics::on_writable() {
  for (const auto& [name, sub] : subscribed_)
    self_->send(sub.topic, writable_atom::value, caf::actor_cast<caf::actor>(self_));
}

void session_topics::send_error(ec code, std::string_view message, std::string_view id) {
  actor_metrics::get().count_error(code);
  link_->send(std::make_shared<const std::string>(protocol::frames::error(code, message, id)));
}

}  // namespace sluice::actors
