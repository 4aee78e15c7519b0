// A topic's subscription to its stream: an ordered consumer whose messages
// go to the topic's actor, and its end (jetstream.hpp).
#include <nats/nats.h>

#include <charconv>
#include <cstring>

#include "transport/nats/engine_metrics.hpp"
#include "transport/nats/jetstream.hpp"
#include "transport/nats/jetstream_detail.hpp"

namespace sluice::transport {
namespace {

struct message_handler {
  jetstream::message_fn fn;
};

void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* h = static_cast<message_handler*>(closure);
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
    engine_message m;
    m.sequence = meta->Sequence.Stream;
    m.ts_ms = meta->Timestamp / ns_per_ms;
    m.pending = meta->NumPending;
    const char* kind = nullptr;
    if (natsMsgHeader_Get(msg, kind_header, &kind) == NATS_OK && kind != nullptr) {
      unsigned value = 0;
      std::from_chars(kind, kind + std::strlen(kind), value);
      m.kind = static_cast<std::uint8_t>(value);
    }
    m.data.assign(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    jsMsgMetaData_Destroy(meta);
    engine_metrics::get().received.inc();
    h->fn(std::move(m));
  }
  natsMsg_Destroy(msg);
}

void free_handler(void* closure) {
  delete static_cast<message_handler*>(closure);
}

}  // namespace

void jetstream::subscribe(const std::string& topic, std::uint64_t from, message_fn on_msg,
                          trouble_fn on_trouble, subscribed_fn done) {
  post(topic, [this, topic, from, on_msg = std::move(on_msg), on_trouble = std::move(on_trouble),
               done = std::move(done)]() mutable {
    auto names = names_for(cfg_.stream_prefix, topic);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = names.stream.c_str();
    so.Ordered = true;
    // Missed two to four times, the library makes the consumer anew and we
    // hear of it (on_async_error): its default, 5 s, left a node's
    // subscribers waiting up to 20 s when the consumer's server died.
    so.Config.Heartbeat = cfg_.subscription_heartbeat.count() * ns_per_ms;
    so.Config.DeliverPolicy = from > 1 ? js_DeliverByStartSequence : js_DeliverAll;
    so.Config.OptStartSeq = from > 1 ? from : 0;
    auto* handler = new message_handler{std::move(on_msg)};
    natsSubscription* sub = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    auto s =
        js_Subscribe(&sub, js_, names.subject.c_str(), on_message, handler, nullptr, &so, &code);
    if (s != NATS_OK) {
      delete handler;
      return done(nullptr, status_text(s, code));
    }
    // The topic's actor takes what comes as fast as it comes; its mailbox
    // is the queue, so the library drops nothing for being slow.
    natsSubscription_SetPendingLimits(sub, -1, -1);
    natsSubscription_SetOnCompleteCB(sub, free_handler, handler);
    {
      std::lock_guard lock{mutex_};
      troubles_.emplace(sub, std::move(on_trouble));
    }
    std::shared_ptr<engine_subscription> out{new engine_subscription};
    out->sub_ = sub;
    out->topic_ = topic;
    out->owner_ = shared_from_this();
    engine_metrics::get().subscriptions.inc();
    done(std::move(out), {});
  });
}

void jetstream::trouble(void* sub, const std::string& why) {
  trouble_fn fn;
  {
    std::lock_guard lock{mutex_};
    auto it = troubles_.find(sub);
    if (it == troubles_.end()) return;
    fn = it->second;
  }
  engine_metrics::get().subscription_troubles.inc();
  fn(why);
}

// Deletes the consumer itself, not through natsSubscription_Unsubscribe:
// libnats 3.4 reads the consumer's name for that request outside the
// subscription's lock while its own thread may be recreating the ordered
// consumer and freeing that name (a use after free under AddressSanitizer
// when a stream was deleted behind Sluice's back). GetConsumerInfo copies the
// name under the lock; Destroy without Unsubscribe ends the interest and
// deletes nothing. Deleted at once, the consumer no longer counts as a reader
// of the stream (retire_inbox). Nothing is asked of the servers once the
// connection is stopping, or when the consumer is left to them (the topic
// opens the stream again, after trouble or a publish that found no stream):
// a frozen server, or the dead one that
// held the consumer, would hold up the stop or the topic's new subscription
// for a request timeout, and the servers delete an ephemeral consumer
// without interest themselves.
void jetstream::end_subscription(void* subscription, bool leave_consumer) {
  auto* sub = static_cast<natsSubscription*>(subscription);
  std::string stream, consumer;
  jsConsumerInfo* ci = nullptr;
  if (!lanes_.stopping() && !leave_consumer &&
      natsSubscription_GetConsumerInfo(&ci, sub, nullptr, nullptr) == NATS_OK) {
    stream = ci->Stream;
    consumer = ci->Name;
    jsConsumerInfo_Destroy(ci);
  }
  natsSubscription_Destroy(sub);
  if (!consumer.empty()) js_DeleteConsumer(js_, stream.c_str(), consumer.c_str(), nullptr, nullptr);
}

void jetstream::forget(void* sub) {
  std::lock_guard lock{mutex_};
  troubles_.erase(sub);
}

engine_subscription::~engine_subscription() {
  auto* sub = static_cast<natsSubscription*>(sub_);
  engine_metrics::get().subscriptions.dec();
  owner_->forget(sub);
  owner_->post(topic_, [owner = owner_.get(), sub, leave_consumer = abandoned_.load()] {
    owner->end_subscription(sub, leave_consumer);
  });
}

}  // namespace sluice::transport
