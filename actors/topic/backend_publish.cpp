#include "actors/topic/backend_publish.hpp"

#include <algorithm>

#include "actors/base/actor_metrics.hpp"
#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "core/topic_name.hpp"
#include "protocol/topic_frames.hpp"

namespace sluice::actors {
namespace {

void count(const config::upstream_config& upstream, const char* result) {
  actor_metrics::get().backend_publishes.with({upstream.name, result}).inc();
}

}  // namespace

void backend_publish::send(caf::event_based_actor* self, topic_directory& topics, answer done) {
  const auto& allowed = upstream.publish;
  if (std::none_of(allowed.begin(), allowed.end(),
                   [&](const std::string& p) { return topic_name::matches(p, topic); })) {
    count(upstream, "forbidden");
    return done({false, ec::topic_forbidden,
                 "the upstream \"" + upstream.name + "\" may not publish to \"" + topic +
                     "\" (see its `publish`)"});
  }
  if (auto why = topics.oversize(data.size()); !why.empty()) {
    count(upstream, "refused");
    return done({false, ec::message_too_large, why});
  }
  auto found = topics.open(topic, topic_directory::scope::cluster);
  if (!found.topic) {
    count(upstream, "refused");
    return done({false, found.error, found.message});
  }
  if (found.mailbox->full()) {
    count(upstream, "refused");
    return done({false, ec::overloaded, "the topic's mailbox is full; publish again later"});
  }
  found.mailbox->accepted();
  // Counted as it goes: the one who sent it (a job) may be gone when the topic answers.
  count(upstream, "sent");
  auto kind = static_cast<std::uint8_t>(protocol::frames::record_kind::event);
  self->request(found.topic, caf::infinite, publish_atom::value, kind, std::move(data))
      .then(
          [done, lease = found.lease](std::uint64_t offset, std::uint64_t epoch) {
            done({true, ec::internal, {}, offset, epoch});
          },
          [done, up = &upstream](caf::error& e) {
            count(*up, "failed");
            auto failure = publish_failure_of(e);
            done({false, failure.code, failure.message});
          });
}

}  // namespace sluice::actors
