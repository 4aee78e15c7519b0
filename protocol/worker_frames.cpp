#include "protocol/worker_frames.hpp"

#include "core/json.hpp"
#include "core/topic_name.hpp"
#include "protocol/json_input.hpp"
#include "protocol/limits.hpp"

namespace sluice::protocol {
namespace {

using namespace json_input;

worker_frame decode_publish(dom::object obj) {
  worker_publish msg;
  dom::element el;
  if (!obj["id"].get(el) && !read_id(el, msg.id))
    return refuse(ec::invalid_frame, "`id` must be a non-empty string or an integer");
  if (obj["job"].get(el) || !read_id(el, msg.job))
    return refuse(ec::invalid_frame, "publish needs the `job` id it belongs to", msg.id);
  std::string_view topic;
  if (obj["topic"].get_string().get(topic))
    return refuse(ec::invalid_frame, "publish needs a string `topic`", msg.id);
  if (!topic_name::valid(topic))
    return refuse(ec::invalid_topic, std::string{topic_name::rule_text}, msg.id);
  msg.topic = topic;
  if (obj["data"].get(el))
    return refuse(ec::invalid_frame, "publish needs `data` (any JSON value)", msg.id);
  msg.data = simdjson::minify(el);
  return msg;
}

worker_frame decode_register(dom::object obj) {
  worker_register msg;
  dom::array routes;
  if (obj["routes"].get_array().get(routes) || routes.size() == 0)
    return refuse(ec::invalid_frame, "`register` needs `routes`, a non-empty list of route names");
  for (auto r : routes) {
    std::string_view name;
    if (r.get_string().get(name) || name.empty() || name.size() > max_route_bytes)
      return refuse(ec::invalid_frame, "every entry of `routes` must be a route name");
    msg.routes.emplace_back(name);
  }
  dom::element cap;
  if (!obj["capacity"].get(cap)) {
    std::uint64_t n = 0;
    if (cap.get_uint64().get(n) || n == 0 || n > 100'000)
      return refuse(ec::invalid_frame, "`capacity` must be a whole number from 1 to 100000");
    msg.capacity = static_cast<std::uint32_t>(n);
  }
  std::string_view text;
  if (!obj["token"].get_string().get(text)) msg.token = text;
  if (!obj["name"].get_string().get(text)) msg.name = text.substr(0, max_id_bytes);
  return msg;
}

}  // namespace

worker_frame decode_worker_frame(std::string_view text) {
  dom::element root;
  dom::object obj;
  invalid error;
  if (!parse_object(text, root, obj, error)) return error;
  std::string_view type;
  if (obj["type"].get_string().get(type))
    return refuse(ec::invalid_frame, "a worker frame needs a string `type`");
  if (type == "register") return decode_register(obj);
  if (type == "heartbeat") return heartbeat{};
  if (type == "publish") return decode_publish(obj);
  if (type != "progress" && type != "token" && type != "final" && type != "error")
    return refuse(ec::unknown_type, "unknown worker message type \"" + std::string{type} + "\"");
  job_update msg;
  dom::element job;
  if (obj["job"].get(job) || !read_id(job, msg.job))
    return refuse(ec::invalid_frame, std::string{type}.append(" needs the `job` id it belongs to"));
  msg.kind = type;
  dom::element data;
  if (!obj["data"].get(data)) msg.data = simdjson::minify(data);
  std::string_view message;
  if (!obj["message"].get_string().get(message)) msg.message = message;
  dom::element kind;
  if (!obj["kind"].get(kind)) {
    std::string_view event;
    if (kind.get_string().get(event) || event.empty() || event.size() > max_route_bytes)
      return refuse(ec::invalid_frame, "`kind` must be a non-empty string of at most " +
                                           std::to_string(max_route_bytes) + " bytes");
    msg.event = event;
  }
  return msg;
}

}  // namespace sluice::protocol

namespace sluice::protocol::worker_frames {

std::string registered(std::string_view worker_id, const std::vector<std::string>& routes,
                       std::uint32_t capacity, std::chrono::milliseconds heartbeat_interval) {
  return json::object{}
      .str("type", "registered")
      .str("worker", worker_id)
      .raw("routes", json::string_array(routes))
      .num("capacity", std::int64_t{capacity})
      .num("heartbeat_interval_ms", static_cast<std::int64_t>(heartbeat_interval.count()))
      .finish();
}

std::string job(std::string_view job, std::string_view route, std::string_view payload_json,
                std::uint32_t window, std::string_view client_json) {
  json::object out;
  out.str("type", "job")
      .raw("job", job)
      .str("route", route)
      .raw("payload", payload_json)
      .num("window", std::int64_t{window});
  if (!client_json.empty()) out.raw("client", client_json);
  return out.finish();
}

std::string credit(std::string_view job, std::uint32_t n) {
  return json::object{}.str("type", "credit").raw("job", job).num("n", std::int64_t{n}).finish();
}

std::string cancel(std::string_view job) {
  return json::object{}.str("type", "cancel").raw("job", job).finish();
}

std::string error(ec code, std::string_view message, std::string_view job) {
  json::object obj;
  obj.str("type", "error").str("code", to_string(code)).str("message", message);
  if (!job.empty()) obj.raw("job", job);
  return obj.finish();
}

}  // namespace sluice::protocol::worker_frames
