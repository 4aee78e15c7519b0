#include "protocol/client_frames.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "core/topic_name.hpp"
#include "protocol/json_input.hpp"
#include "protocol/limits.hpp"

namespace sluice::protocol {
namespace {

using namespace json_input;

constexpr std::string_view kinds_rule =
    "`kinds` must be a list of 1 to 32 event kinds (strings of 1 to 64 bytes)";

// `kinds`: 1 to max_kinds names of 1 to max_route_bytes bytes.
bool read_kinds(dom::element el, std::vector<std::string>& out) {
  constexpr std::size_t max_kinds = 32;
  dom::array list;
  if (el.get_array().get(list) || list.size() == 0 || list.size() > max_kinds) return false;
  for (auto item : list) {
    std::string_view name;
    if (item.get_string().get(name) || name.empty() || name.size() > max_route_bytes) return false;
    out.emplace_back(name);
  }
  return true;
}

bool valid_consumer_name(std::string_view name) {
  constexpr std::size_t max_bytes = 64;
  return !name.empty() && name.size() <= max_bytes &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
         });
}

// `consumer` and `ack: true` come together: acknowledged consumers are the
// only named ones.
client_frame read_consumer(dom::object obj, subscribe msg) {
  dom::element consumer;
  dom::element ack_el;
  bool has_consumer = !obj["consumer"].get(consumer);
  bool acked = false;
  if (!obj["ack"].get(ack_el) && ack_el.get_bool().get(acked))
    return refuse(ec::invalid_frame, "`ack` must be true or false", msg.id);
  if (!has_consumer && !acked) return msg;
  std::string_view name;
  if (!has_consumer || !acked || consumer.get_string().get(name) || !valid_consumer_name(name))
    return refuse(ec::invalid_frame,
                  "an acknowledged consumer needs `consumer` (1-64 letters, digits, '_', '-' "
                  "or '.') and `ack: true`",
                  msg.id);
  if (msg.batch || !msg.kinds.empty())
    return refuse(ec::invalid_frame,
                  "`batch` and `kinds` are not available to an acknowledged consumer", msg.id);
  msg.consumer = name;
  return msg;
}

client_frame decode_topic(std::string_view type, dom::object obj, std::string id) {
  std::string_view topic;
  if (obj["topic"].get_string().get(topic))
    return refuse(ec::invalid_frame, std::string{type}.append(" needs a string `topic`"), id);
  if (!topic_name::valid(topic))
    return refuse(ec::invalid_topic, std::string{topic_name::rule_text}, id);
  if (type == "unsubscribe") return unsubscribe{std::move(id), std::string{topic}};
  if (type == "ack") {
    std::uint64_t offset = 0;
    if (obj["offset"].get_uint64().get(offset) || offset == 0 || offset > std::uint64_t{INT64_MAX})
      return refuse(ec::invalid_offset, "ack needs an `offset`: a whole number, 1 or more", id);
    return ack{std::move(id), std::string{topic}, offset};
  }
  if (type == "publish") {
    dom::element data;
    if (obj["data"].get(data))
      return refuse(ec::invalid_frame, "publish needs `data` (any JSON value)", id);
    return publish{std::move(id), std::string{topic}, simdjson::minify(data)};
  }
  subscribe msg;
  msg.id = std::move(id);
  msg.topic = topic;
  dom::element since;
  if (!obj["since"].get(since)) {
    std::uint64_t offset = 0;
    if (since.get_uint64().get(offset) || offset > std::uint64_t{INT64_MAX})
      return refuse(ec::invalid_offset, "`since` must be an offset: a whole number, 0 or more",
                    msg.id);
    msg.since = static_cast<std::int64_t>(offset);
  }
  dom::element epoch;
  if (!obj["epoch"].get(epoch) && (epoch.get_uint64().get(msg.epoch) || msg.epoch == 0))
    return refuse(ec::invalid_frame, "`epoch` must be the positive number a topic reported",
                  msg.id);
  dom::element batch;
  if (!obj["batch"].get(batch) && batch.get_bool().get(msg.batch))
    return refuse(ec::invalid_frame, "`batch` must be true or false", msg.id);
  dom::element kinds;
  if (!obj["kinds"].get(kinds) && !read_kinds(kinds, msg.kinds))
    return refuse(ec::invalid_frame, std::string{kinds_rule}, msg.id);
  return read_consumer(obj, std::move(msg));
}

// No `type`: the compatibility form {"text": "…"} is a request to the default route.
client_frame decode_compat(dom::element root, dom::object obj, std::string id) {
  dom::element text;
  if (obj["text"].get(text))
    return refuse(ec::invalid_frame, "missing `type` (or `text` for the default route)", id);
  if (!text.is_string()) return refuse(ec::invalid_frame, "`text` must be a string", id);
  return request{std::move(id), {}, simdjson::minify(root), true, priority::normal, {}};
}

client_frame decode_request(dom::object obj, std::string id) {
  request msg;
  msg.id = std::move(id);
  dom::element route_el;
  if (!obj["route"].get(route_el)) {
    std::string_view route;
    if (route_el.get_string().get(route) || route.empty() || route.size() > max_route_bytes)
      return refuse(ec::invalid_frame,
                    "`route` must be a non-empty string of at most " +
                        std::to_string(max_route_bytes) + " bytes",
                    msg.id);
    msg.route = route;
  }
  dom::element payload;
  if (!obj["payload"].get(payload)) msg.payload = simdjson::minify(payload);
  dom::element priority_el;
  if (!obj["priority"].get(priority_el)) {
    std::string_view name;
    auto level = priority_el.get_string().get(name) ? std::nullopt : parse_priority(name);
    if (!level)
      return refuse(ec::invalid_frame,
                    "`priority` must be \"low\", \"normal\", \"high\" or \"critical\"", msg.id);
    msg.priority = *level;
  }
  dom::element kinds;
  if (!obj["kinds"].get(kinds) && !read_kinds(kinds, msg.kinds))
    return refuse(ec::invalid_frame, std::string{kinds_rule}, msg.id);
  return msg;
}

}  // namespace

client_frame decode_client_frame(std::string_view text) {
  dom::element root;
  dom::object obj;
  invalid error;
  if (!parse_object(text, root, obj, error)) return error;

  std::string id;
  dom::element id_el;
  if (!obj["id"].get(id_el) && !read_id(id_el, id))
    return refuse(ec::invalid_frame, "`id` must be a non-empty string of at most " +
                                         std::to_string(max_id_bytes) + " bytes or an integer");

  dom::element type_el;
  if (obj["type"].get(type_el)) return decode_compat(root, obj, std::move(id));
  std::string_view type;
  if (type_el.get_string().get(type))
    return refuse(ec::invalid_frame, "`type` must be a string", std::move(id));

  if (type == "ping") return ping{std::move(id)};
  if (type == "subscribe" || type == "unsubscribe" || type == "publish" || type == "ack")
    return decode_topic(type, obj, std::move(id));
  if (type == "refresh") {
    std::string_view token;
    if (obj["token"].get_string().get(token) || token.empty())
      return refuse(ec::invalid_frame, "`refresh` needs a `token` (a non-empty string)", id);
    return refresh{std::move(id), std::string{token}};
  }
  if (type == "service_list") return service_command{std::move(id), "list", {}};
  if (type == "service_start" || type == "service_stop" || type == "service_restart" ||
      type == "service_status") {
    auto action = type.substr(type.find('_') + 1);
    std::string_view name;
    if (obj["name"].get_string().get(name) || name.empty())
      return refuse(ec::invalid_frame, "`" + std::string{type} + "` needs a `name` (a service)",
                    id);
    return service_command{std::move(id), std::string{action}, std::string{name}};
  }
  if (type != "request" && type != "cancel")
    return refuse(ec::unknown_type, "unknown message type \"" + std::string{type} + "\"", id);
  if (id.empty()) return refuse(ec::invalid_frame, "`" + std::string{type} + "` needs an `id`");
  if (type == "cancel") return cancel{std::move(id)};
  return decode_request(obj, std::move(id));
}

invalid binary_frame() {
  return refuse(ec::binary_unsupported, "binary frames are not supported; send JSON text frames");
}

const std::string& id_of(const client_frame& frame) {
  return std::visit([](const auto& f) -> const std::string& { return f.id; }, frame);
}

}  // namespace sluice::protocol
