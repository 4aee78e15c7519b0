#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error_code.hpp"
#include "core/storage/append_log.hpp"

// The frames of topics (docs/protocol.md, "Topics"). A topic renders each
// message once; every subscriber's queue shares that text.
namespace sluice::protocol::frames {

// What a topic record holds.
enum class record_kind : std::uint8_t {
  event = 0,      // published `data`: delivered as {"type":"event",...,"data":…}
  frame = 1,      // a whole frame of a request stream (an inbox): delivered as
                  // that frame with `topic` and `offset` added
  claim = 2,      // between nodes only: the digest that claims an inbox (offset 0),
                  // never in history or the log
  marker = 3,     // in a log only: no message, just the last offset (its history was
                  // evicted), so that offsets continue after a restart
  consumers = 4,  // between nodes only: acknowledged consumers' cursors (offset 0),
                  // never in history or the log
};

// The frame subscribers get for `record` of `topic`.
std::string topic_message(std::string_view topic, const log_record& record);

// The kind of a topic message (`frame`, as topic_message() rendered it), for
// subscriptions with `kinds`: a stream frame's `kind`, else its `type`; a
// published event's data's `kind`, else its `type`, else "event".
std::string message_kind(std::string_view frame);

// Offsets `from` to `to` (inclusive) will not be delivered: history no longer
// holds them (`reason` "history"), the subscriber fell behind ("slow"), or
// the offsets were of an earlier epoch ("epoch").
std::string gap(std::string_view topic, std::uint64_t epoch, std::uint64_t from, std::uint64_t to,
                std::string_view reason);

// Acknowledgements; `id` is the frame's id as JSON, may be empty.
std::string subscribed(std::string_view id, std::string_view topic, std::uint64_t epoch,
                       std::uint64_t first, std::uint64_t last);
std::string unsubscribed(std::string_view id, std::string_view topic);

// Acknowledged consumers: `subscribed` with the consumer's name, the offset
// it acknowledged last and how many it was sent without acknowledging (those
// come again first); the answer to an `ack` with an id; a message sent again.
struct consumer_state {
  std::string_view name;
  std::uint64_t acked;
  std::uint64_t pending;
};
std::string consumer_subscribed(std::string_view id, std::string_view topic, std::uint64_t epoch,
                                std::uint64_t first, std::uint64_t last, consumer_state c);
std::string acked(std::string_view id, std::string_view topic, consumer_state c);
std::string redelivered(std::string_view message);
std::string published(std::string_view id, std::string_view topic, std::uint64_t offset,
                      std::uint64_t epoch);

// What a client is told when its publish failed with `code` (storage_failed,
// owner_unavailable).
std::string publish_failure_message(ec code);

}  // namespace sluice::protocol::frames
