// Publishing to a topic's stream: asynchronous, each publish answered once
// JetStream acknowledged it (or could not), with at most max_in_flight
// waiting per node (jetstream.hpp).
#include <nats/nats.h>

#include "transport/nats/engine_metrics.hpp"
#include "transport/nats/jetstream.hpp"
#include "transport/nats/jetstream_detail.hpp"

namespace sluice::transport {
namespace {

constexpr const char* too_many_in_flight =
    "too many publishes wait for the engine's acknowledgement";

}  // namespace

void jetstream::publish(const std::string& topic, std::uint8_t kind, const std::string& data,
                        acked_fn acked) {
  auto& m = engine_metrics::get();
  if (!connected()) {
    m.publishes.with({"unavailable"}).inc();
    return acked(0, publish_error::unavailable, "not connected to a NATS server");
  }
  auto names = names_for(cfg_.stream_prefix, topic);
  natsMsg* msg = nullptr;
  if (natsMsg_Create(&msg, names.subject.c_str(), nullptr, data.data(),
                     static_cast<int>(data.size())) != NATS_OK) {
    m.publishes.with({"unavailable"}).inc();
    return acked(0, publish_error::unavailable, "could not build the message");
  }
  if (kind != 0) natsMsgHeader_Set(msg, kind_header, std::to_string(kind).c_str());
  {
    std::unique_lock lock{mutex_};
    if (in_flight_.size() >= cfg_.max_in_flight) {
      lock.unlock();
      natsMsg_Destroy(msg);
      m.publishes.with({"overloaded"}).inc();
      return acked(0, publish_error::overloaded, too_many_in_flight);
    }
    in_flight_.emplace(msg, waiting{std::move(acked), std::chrono::steady_clock::now()});
  }
  m.in_flight.inc();
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = cfg_.publish_timeout.count();
  po.ExpectStream = names.stream.c_str();
  auto* sent = msg;
  auto s = js_PublishMsgAsync(js_, &sent, &po);
  if (s == NATS_OK) return;
  // Not sent: the message is still this caller's.
  acked_fn back;
  {
    std::lock_guard lock{mutex_};
    auto it = in_flight_.find(msg);
    back = std::move(it->second.acked);
    in_flight_.erase(it);
  }
  m.in_flight.dec();
  natsMsg_Destroy(msg);
  auto e = s == NATS_TIMEOUT ? publish_error::overloaded : publish_error::unavailable;
  m.publishes.with({e == publish_error::overloaded ? "overloaded" : "unavailable"}).inc();
  back(0, e, e == publish_error::overloaded ? too_many_in_flight : status_text(s));
}

void jetstream::acked(natsMsg* msg, std::uint64_t sequence, publish_error e, std::string why) {
  waiting w;
  {
    std::lock_guard lock{mutex_};
    auto it = in_flight_.find(msg);
    if (it == in_flight_.end()) return;
    w = std::move(it->second);
    in_flight_.erase(it);
  }
  auto& m = engine_metrics::get();
  m.in_flight.dec();
  m.publishes.with({e == publish_error::none ? "acked" : "unavailable"}).inc();  // stream_gone too
  if (e == publish_error::none)
    m.ack_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - w.since).count());
  w.acked(sequence, e, std::move(why));
}

}  // namespace sluice::transport
