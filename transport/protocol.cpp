#include "transport/protocol.hpp"

#include <simdjson.h>

#include <cstdint>

#include "core/topic_name.hpp"

namespace sluice::transport {
namespace {

namespace dom = simdjson::dom;

client_message invalid(ec code, std::string message, std::string id = {}) {
  client_message m;
  m.type = client_message_type::invalid;
  m.error = code;
  m.error_message = std::move(message);
  m.id = std::move(id);
  return m;
}

// One parser per I/O thread, reused for every frame; it limits nesting depth.
dom::parser& thread_parser() {
  thread_local dom::parser parser;
  thread_local bool configured = false;
  if (!configured) configured = parser.allocate(64 * 1024, max_json_depth) == simdjson::SUCCESS;
  return parser;
}

// The id as JSON text if it is a non-empty string of bounded size or an integer.
bool read_id(dom::element el, std::string& out) {
  if (el.is_string()) {
    auto s = std::string_view{el.get_string().value_unsafe()};
    if (s.empty() || s.size() > max_id_bytes) return false;
  } else if (!el.is_int64() && !el.is_uint64()) {
    return false;
  }
  out = simdjson::minify(el);
  return true;
}

// Parses `text` as one JSON object into `root`/`obj`; on failure returns false
// and sets `error`.
bool parse_object(std::string_view text, dom::element& root, dom::object& obj,
                  client_message& error) {
  auto& parser = thread_parser();
  if (auto err = parser.parse(text.data(), text.size()).get(root)) {
    error = err == simdjson::DEPTH_ERROR
                ? invalid(ec::invalid_json,
                          "JSON nested deeper than " + std::to_string(max_json_depth) + " levels")
                : invalid(ec::invalid_json,
                          std::string{"frame is not valid JSON: "} + simdjson::error_message(err));
    return false;
  }
  if (root.get_object().get(obj)) {
    error = invalid(ec::invalid_frame, "a frame must be a JSON object");
    return false;
  }
  return true;
}

// register: {"type":"register","routes":[…],"capacity":N,"token":"…","name":"…"}.
client_message decode_register(dom::object obj) {
  client_message msg;
  msg.type = client_message_type::worker_register;
  dom::array routes;
  if (obj["routes"].get_array().get(routes) || routes.size() == 0)
    return invalid(ec::invalid_frame, "`register` needs `routes`, a non-empty list of route names");
  for (auto r : routes) {
    std::string_view name;
    if (r.get_string().get(name) || name.empty() || name.size() > max_route_bytes)
      return invalid(ec::invalid_frame, "every entry of `routes` must be a route name");
    msg.routes.emplace_back(name);
  }
  dom::element cap;
  if (!obj["capacity"].get(cap)) {
    std::uint64_t n = 0;
    if (cap.get_uint64().get(n) || n == 0 || n > 100'000)
      return invalid(ec::invalid_frame, "`capacity` must be a whole number from 1 to 100000");
    msg.capacity = static_cast<std::uint32_t>(n);
  }
  std::string_view text;
  if (!obj["token"].get_string().get(text)) msg.token = text;
  if (!obj["name"].get_string().get(text)) msg.name = text.substr(0, max_id_bytes);
  return msg;
}

// subscribe {topic, since?, epoch?, batch?}, unsubscribe {topic}, publish {topic, data}.
client_message decode_topic_frame(std::string_view type, dom::object obj, client_message msg) {
  std::string_view topic;
  if (obj["topic"].get_string().get(topic))
    return invalid(ec::invalid_frame, std::string{type}.append(" needs a string `topic`"), msg.id);
  if (!topic_name::valid(topic))
    return invalid(ec::invalid_topic, std::string{topic_name::rule_text}, msg.id);
  msg.topic = topic;
  if (type == "unsubscribe") {
    msg.type = client_message_type::unsubscribe;
    return msg;
  }
  if (type == "publish") {
    dom::element data;
    if (obj["data"].get(data))
      return invalid(ec::invalid_frame, "publish needs `data` (any JSON value)", msg.id);
    msg.type = client_message_type::publish;
    msg.payload = simdjson::minify(data);
    return msg;
  }
  msg.type = client_message_type::subscribe;
  dom::element since;
  if (!obj["since"].get(since)) {
    std::uint64_t offset = 0;
    if (since.get_uint64().get(offset) || offset > std::uint64_t{INT64_MAX})
      return invalid(ec::invalid_offset, "`since` must be an offset: a whole number, 0 or more",
                     msg.id);
    msg.since = static_cast<std::int64_t>(offset);
  }
  dom::element epoch;
  if (!obj["epoch"].get(epoch) && (epoch.get_uint64().get(msg.epoch) || msg.epoch == 0))
    return invalid(ec::invalid_frame, "`epoch` must be the positive number a topic reported",
                   msg.id);
  dom::element batch;
  if (!obj["batch"].get(batch) && batch.get_bool().get(msg.batch))
    return invalid(ec::invalid_frame, "`batch` must be true or false", msg.id);
  return msg;
}

}  // namespace

client_message decode_worker_frame(std::string_view text) {
  dom::element root;
  dom::object obj;
  client_message msg;
  if (!parse_object(text, root, obj, msg)) return msg;
  std::string_view type;
  if (obj["type"].get_string().get(type))
    return invalid(ec::invalid_frame, "a worker frame needs a string `type`");
  if (type == "register") return decode_register(obj);
  if (type == "heartbeat") {
    msg.type = client_message_type::heartbeat;
    return msg;
  }
  if (type != "progress" && type != "token" && type != "final" && type != "error")
    return invalid(ec::unknown_type, "unknown worker message type \"" + std::string{type} + "\"");
  dom::element job;
  if (obj["job"].get(job) || !read_id(job, msg.id))
    return invalid(ec::invalid_frame,
                   std::string{type}.append(" needs the `job` id it belongs to"));
  msg.type = client_message_type::worker_update;
  msg.route = type;
  dom::element data;
  msg.payload = obj["data"].get(data) ? "null" : simdjson::minify(data);
  std::string_view message;
  if (!obj["message"].get_string().get(message)) msg.error_message = message;
  return msg;
}

client_message decode_client_frame(std::string_view text) {
  dom::element root;
  dom::object obj;
  {
    client_message error;
    if (!parse_object(text, root, obj, error)) return error;
  }

  client_message msg;
  dom::element id_el;
  if (!obj["id"].get(id_el) && !read_id(id_el, msg.id))
    return invalid(ec::invalid_frame, "`id` must be a non-empty string of at most " +
                                          std::to_string(max_id_bytes) + " bytes or an integer");

  std::string_view type;
  dom::element type_el;
  if (obj["type"].get(type_el)) {
    // No `type`: the compatibility form {"text": "…"} is a request to the default route.
    std::string_view text_field;
    dom::element text_el;
    if (obj["text"].get(text_el))
      return invalid(ec::invalid_frame, "missing `type` (or `text` for the default route)", msg.id);
    if (text_el.get_string().get(text_field))
      return invalid(ec::invalid_frame, "`text` must be a string", msg.id);
    msg.type = client_message_type::request;
    msg.compat = true;
    msg.payload = simdjson::minify(root);
    return msg;
  }
  if (type_el.get_string().get(type))
    return invalid(ec::invalid_frame, "`type` must be a string", msg.id);

  if (type == "ping") {
    msg.type = client_message_type::ping;
    return msg;
  }
  if (type == "subscribe" || type == "unsubscribe" || type == "publish")
    return decode_topic_frame(type, obj, std::move(msg));
  if (type == "refresh") {
    std::string_view token;
    if (obj["token"].get_string().get(token) || token.empty())
      return invalid(ec::invalid_frame, "`refresh` needs a `token` (a non-empty string)", msg.id);
    msg.type = client_message_type::refresh;
    msg.token = token;
    return msg;
  }
  if (type != "request" && type != "cancel")
    return invalid(ec::unknown_type, "unknown message type \"" + std::string{type} + "\"", msg.id);
  if (msg.id.empty())
    return invalid(ec::invalid_frame, "`" + std::string{type} + "` needs an `id`");
  if (type == "cancel") {
    msg.type = client_message_type::cancel;
    return msg;
  }

  msg.type = client_message_type::request;
  dom::element route_el;
  if (!obj["route"].get(route_el)) {
    std::string_view route;
    if (route_el.get_string().get(route) || route.empty() || route.size() > max_route_bytes)
      return invalid(ec::invalid_frame,
                     "`route` must be a non-empty string of at most " +
                         std::to_string(max_route_bytes) + " bytes",
                     msg.id);
    msg.route = route;
  }
  dom::element payload_el;
  msg.payload = obj["payload"].get(payload_el) ? "null" : simdjson::minify(payload_el);
  return msg;
}

client_message binary_frame_message() {
  return invalid(ec::binary_unsupported, "binary frames are not supported; send JSON text frames");
}

}  // namespace sluice::transport
