#include "actors/gateway/topic_api.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <utility>
#include <vector>

#include "actors/base/one_shot.hpp"
#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "actors/quota/usage_json.hpp"
#include "actors/topic/store/history_pages.hpp"
#include "core/clock.hpp"
#include "core/json.hpp"
#include "core/topic_name.hpp"
#include "protocol/topic_frames.hpp"

namespace sluice::actors {
namespace {

using transport::http_reply;
using reply_fn = std::function<void(http_reply)>;

constexpr auto patience = std::chrono::seconds(30);  // a topic stuck on its disk

unsigned status_of(ec code) {
  switch (code) {
    case ec::topic_forbidden:
    case ec::forbidden:
      return 403;
    case ec::unknown_topic:
      return 404;
    case ec::message_too_large:
      return 413;
    case ec::too_many_topics:
    case ec::storage_failed:
    case ec::overloaded:
    case ec::owner_unavailable:
    case ec::engine_unavailable:
      return 503;
    default:
      return 400;
  }
}

http_reply error_reply(ec code, std::string_view message) {
  return transport::http_error(status_of(code), to_string(code), message);
}

http_reply json_reply(std::string body) {
  return transport::json_reply(200, std::move(body));
}

http_reply failure_reply(const caf::error& e) {
  auto failure = publish_failure_of(e);
  auto reply = error_reply(failure.code, failure.message);
  // engine: nats, max_in_flight publishes wait for JetStream: soon there is room.
  if (failure.code == ec::overloaded) reply.headers.emplace_back("Retry-After", "1");
  return reply;
}

}  // namespace

topic_api::topic_api(caf::actor_system& system, std::shared_ptr<topic_directory> topics,
                     std::shared_ptr<const cluster_view> cluster,
                     std::shared_ptr<const quota_ledger> quotas,
                     std::shared_ptr<service_api> services)
    : system_(system),
      topics_(std::move(topics)),
      cluster_(std::move(cluster)),
      quotas_(std::move(quotas)),
      services_(std::move(services)) {}

// What a principal uses of the routes' quotas: for operators only (an API key).
http_reply topic_api::quota_usage(const transport::api_call& call) const {
  if (!call.keyed)
    return error_reply(ec::forbidden,
                       "quotas are read only with one of auth.http_api_keys (Authorization: "
                       "Bearer KEY)");
  if (!quotas_)
    return transport::http_error(404, to_string(ec::not_found), "no route has a `quota`");
  auto now = unix_ms();
  return json_reply(usage_json(call.principal, quotas_->usage_of(call.principal, now), now));
}

void topic_api::handle(transport::api_call call, reply_fn done) {
  using transport::api_kind;
  if (call.kind == api_kind::publish) return publish(std::move(call), std::move(done));
  if (call.kind == api_kind::list_services || call.kind == api_kind::service ||
      call.kind == api_kind::service_action) {
    if (!services_)
      return done(transport::http_error(404, to_string(ec::not_found),
                                        "this node runs without a `services` section"));
    return services_->handle(call, std::move(done));
  }
  // Inboxes and user channels carry one client's streams: only a caller with
  // an API key may list or read them.
  bool personal = call.kind == api_kind::list_topics
                      ? call.inboxes
                      : call.kind != api_kind::cluster && (topic_name::is_inbox(call.topic) ||
                                                           topic_name::is_user_channel(call.topic));
  if (personal && !call.keyed)
    return done(error_reply(ec::forbidden,
                            "inboxes and user channels are listed and read only with one of "
                            "auth.http_api_keys (Authorization: Bearer KEY)"));
  if (call.kind == api_kind::list_topics) return list(call.inboxes, std::move(done));
  if (call.kind == api_kind::quotas) return done(quota_usage(call));
  if (call.kind == api_kind::cluster)
    return done(cluster_ ? json_reply(cluster_->json())
                         : transport::http_error(404, to_string(ec::not_found),
                                                 "this node runs without a `cluster` section"));
  // Not `this`: the answer may come from a NATS thread (find_or_attach).
  auto name = call.topic;  // `call` moves into the continuation
  topics_->find_or_attach(name, [&system = system_, call = std::move(call),
                                 done = std::move(done)](topic_directory::lookup found) mutable {
    read(system, std::move(call), std::move(found), std::move(done));
  });
}

void topic_api::read(caf::actor_system& system, transport::api_call call,
                     topic_directory::lookup found, reply_fn done) {
  using transport::api_kind;
  if (!found.topic) return done(error_reply(found.error, found.message));
  if (call.kind == api_kind::topic_history)
    return history_pages::start(system, found.topic, found.lease, call.topic, call.since,
                                call.limit, std::move(done));
  // A consumer's principal is shown only to callers with an API key.
  auto ask = [consumers = call.kind == api_kind::topic_consumers, keyed = call.keyed](
                 auto* self, const caf::actor& topic) {
    return consumers ? self->request(topic, patience, topic_consumers_atom::value, keyed)
                     : self->request(topic, patience, topic_info_atom::value);
  };
  in_actor(system,
           [topic = found.topic, lease = found.lease, ask, done = std::move(done)](auto* self) {
             ask(self, topic)
                 .then(
                     [self, done](std::string& info) {
                       done(json_reply(std::move(info)));
                       self->quit();
                     },
                     [self, done](caf::error&) {
                       done(error_reply(ec::storage_failed, "the topic did not answer"));
                       self->quit();
                     });
           });
}

void topic_api::publish(transport::api_call call, reply_fn done) {
  if (auto why = topics_->oversize(call.data.size()); !why.empty())
    return done(error_reply(ec::message_too_large, why));
  auto found = topics_->open(call.topic);
  if (!found.topic) return done(error_reply(found.error, found.message));
  if (found.mailbox->full()) {  // accepted data is never dropped: this one is refused
    found.mailbox->dropped();
    auto reply =
        error_reply(ec::overloaded, "the topic has " + std::to_string(found.mailbox->bound()) +
                                        " messages waiting; retry later");
    reply.headers.emplace_back("Retry-After", "1");
    return done(std::move(reply));
  }
  found.mailbox->accepted();
  in_actor(system_, [topic = found.topic, lease = found.lease, call = std::move(call),
                     done = std::move(done)](auto* self) mutable {
    auto kind = static_cast<std::uint8_t>(protocol::frames::record_kind::event);
    self->request(topic, patience, publish_atom::value, kind, std::move(call.data))
        .then(
            [self, done, name = call.topic](std::uint64_t offset, std::uint64_t epoch) {
              done(json_reply(json::object{}
                                  .str("topic", name)
                                  .num("offset", static_cast<std::int64_t>(offset))
                                  .num("epoch", static_cast<std::int64_t>(epoch))
                                  .finish()));
              self->quit();
            },
            [self, done](caf::error& e) {
              done(failure_reply(e));
              self->quit();
            });
  });
}

// Asks every topic for its state and answers once all have.
void topic_api::list(bool inboxes, reply_fn done) {
  auto all = topics_->all();
  if (!inboxes)
    std::erase_if(all, [](const auto& entry) { return topic_name::is_inbox(entry.first); });
  in_actor(system_, [all = std::move(all), done = std::move(done)](auto* self) {
    struct gathered {
      std::size_t pending;
      std::string items;
    };
    auto state = std::make_shared<gathered>(gathered{all.size(), {}});
    auto finish = [self, done, state] {
      done(json_reply("{\"topics\":[" + state->items + "]}"));
      self->quit();
    };
    if (all.empty()) return finish();
    for (const auto& [name, topic] : all) {
      auto one_done = [state, finish](std::string info) {
        if (!info.empty()) {
          if (!state->items.empty()) state->items += ',';
          state->items += info;
        }
        if (--state->pending == 0) finish();
      };
      self->request(topic, patience, topic_info_atom::value)
          .then([one_done](std::string& info) { one_done(std::move(info)); },
                [one_done](caf::error&) { one_done({}); });
    }
  });
}

}  // namespace sluice::actors
