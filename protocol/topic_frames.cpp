#include "protocol/topic_frames.hpp"

#include <simdjson.h>

#include "protocol/server_frames.hpp"

namespace sluice::protocol::frames {
namespace {

std::int64_t num(std::uint64_t v) {
  return static_cast<std::int64_t>(v);
}

}  // namespace

std::string topic_message(std::string_view topic, const log_record& record) {
  if (static_cast<record_kind>(record.kind) == record_kind::frame && record.data.size() > 2 &&
      record.data.back() == '}') {
    std::string out{record.data, 0, record.data.size() - 1};
    out += ",\"topic\":";
    json::append_string(out, topic);
    out += ",\"offset\":";
    out += std::to_string(record.offset);
    out += '}';
    return out;
  }
  return typed("event", {})
      .str("topic", topic)
      .num("offset", num(record.offset))
      .num("ts", record.ts_ms)
      .raw("data", record.data)
      .finish();
}

std::string message_kind(std::string_view frame) {
  namespace dom = simdjson::dom;
  thread_local dom::parser parser;
  dom::object obj;
  if (parser.parse(frame.data(), frame.size()).get_object().get(obj)) return {};
  std::string_view type;
  if (obj["type"].get_string().get(type)) return {};
  auto named = [](dom::object o, std::string_view fallback) {
    std::string_view name;
    if (!o["kind"].get_string().get(name) || !o["type"].get_string().get(name))
      return std::string{name};
    return std::string{fallback};
  };
  if (type != "event") return named(obj, type);
  dom::object data;
  if (obj["data"].get_object().get(data)) return "event";
  return named(data, "event");
}

std::string gap(std::string_view topic, std::uint64_t epoch, std::uint64_t from, std::uint64_t to,
                std::string_view reason) {
  return typed("gap", {})
      .str("topic", topic)
      .num("epoch", num(epoch))
      .num("from", num(from))
      .num("to", num(to))
      .str("reason", reason)
      .finish();
}

std::string subscribed(std::string_view id, std::string_view topic, std::uint64_t epoch,
                       std::uint64_t first, std::uint64_t last) {
  return typed("subscribed", id)
      .str("topic", topic)
      .num("epoch", num(epoch))
      .num("first", num(first))
      .num("last", num(last))
      .finish();
}

std::string consumer_subscribed(std::string_view id, std::string_view topic, std::uint64_t epoch,
                                std::uint64_t first, std::uint64_t last, consumer_state c) {
  return typed("subscribed", id)
      .str("topic", topic)
      .num("epoch", num(epoch))
      .num("first", num(first))
      .num("last", num(last))
      .str("consumer", c.name)
      .num("acked", num(c.acked))
      .num("pending", num(c.pending))
      .finish();
}

std::string acked(std::string_view id, std::string_view topic, consumer_state c) {
  return typed("acked", id)
      .str("topic", topic)
      .str("consumer", c.name)
      .num("offset", num(c.acked))
      .num("pending", num(c.pending))
      .finish();
}

std::string redelivered(std::string_view message) {
  std::string out{message.substr(0, message.rfind('}'))};
  out += ",\"redelivered\":true}";
  return out;
}

std::string unsubscribed(std::string_view id, std::string_view topic) {
  return typed("unsubscribed", id).str("topic", topic).finish();
}

std::string published(std::string_view id, std::string_view topic, std::uint64_t offset,
                      std::uint64_t epoch) {
  return typed("published", id)
      .str("topic", topic)
      .num("offset", num(offset))
      .num("epoch", num(epoch))
      .finish();
}

std::string publish_failure_message(ec code) {
  if (code == ec::engine_unavailable)
    return "the engine (NATS JetStream) did not acknowledge the message; it may not have been "
           "published";
  if (code == ec::owner_unavailable)
    return "the topic's owner node was lost before it acknowledged the message; it may not "
           "have been published";
  return "the message could not be stored; it was not published";
}

}  // namespace sluice::protocol::frames
