#include "transport/http/api_request.hpp"

#include <simdjson.h>

#include <algorithm>

#include "core/error_code.hpp"
#include "core/topic_name.hpp"
#include "protocol/limits.hpp"
#include "transport/http/query_string.hpp"

namespace sluice::transport {
namespace {

http_reply wrong_method(std::string_view method, std::string_view path, std::string_view allow) {
  auto r = http_error(405, to_string(ec::method_not_allowed),
                      std::string{method} + " is not allowed on " + std::string{path});
  r.headers.emplace_back("Allow", std::string{allow});
  return r;
}

http_reply bad(ec code, std::string message) {
  return http_error(400, to_string(code), message);
}

std::variant<api_call, http_reply> parse_publish(std::string_view body) {
  // Nested no deeper than a WebSocket frame may be (the same document shape).
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  auto err = parser.allocate(std::max<std::size_t>(body.size(), 1), protocol::max_json_depth);
  if (!err) err = parser.parse(body.data(), body.size()).get(root);
  if (err == simdjson::DEPTH_ERROR)
    return bad(ec::invalid_json,
               "JSON nested deeper than " + std::to_string(protocol::max_json_depth) + " levels");
  if (err)
    return bad(ec::invalid_json,
               std::string{"the body is not valid JSON: "} + simdjson::error_message(err));
  std::string_view topic;
  if (root["topic"].get_string().get(topic))
    return bad(ec::invalid_frame, "the body needs a string `topic`");
  if (!topic_name::valid(topic)) return bad(ec::invalid_topic, std::string{topic_name::rule_text});
  simdjson::dom::element data;
  if (root["data"].get(data)) return bad(ec::invalid_frame, "the body needs `data` (any JSON)");
  api_call call;
  call.kind = api_kind::publish;
  call.topic = topic;
  call.data = simdjson::minify(data);
  return call;
}

std::variant<api_call, http_reply> parse_history(std::string topic, std::string_view query) {
  api_call call;
  call.kind = api_kind::topic_history;
  call.topic = std::move(topic);
  if (auto since = query_value(query, "since"); since && !parse_whole_number(*since, call.since))
    return bad(ec::invalid_offset, "since must be an offset: a whole number, 0 or more");
  if (auto limit = query_value(query, "limit");
      limit && (!parse_whole_number(*limit, call.limit) || call.limit == 0 ||
                call.limit > max_history_limit))
    return bad(ec::bad_request,
               "limit must be a whole number from 1 to " + std::to_string(max_history_limit));
  return call;
}

// GET /api/services, GET /api/services/{name}, POST /api/services/{name}/ACTION.
std::variant<api_call, http_reply> parse_services(std::string_view method, std::string_view path) {
  constexpr std::string_view services = "/api/services";
  api_call call;
  auto rest = path.substr(services.size());
  if (rest.empty() || rest == "/") {
    if (method != "GET") return wrong_method(method, path, "GET");
    call.kind = api_kind::list_services;
    return call;
  }
  rest.remove_prefix(1);
  auto slash = rest.find('/');
  call.service = rest.substr(0, slash);
  if (slash == std::string_view::npos) {
    if (method != "GET") return wrong_method(method, path, "GET");
    call.kind = api_kind::service;
    return call;
  }
  call.action = rest.substr(slash + 1);
  if (call.action != "start" && call.action != "stop" && call.action != "restart")
    return http_error(404, to_string(ec::not_found),
                      "no such path: " + std::string{path} + " (actions: start, stop, restart)");
  if (method != "POST") return wrong_method(method, path, "POST");
  call.kind = api_kind::service_action;
  return call;
}

}  // namespace

std::variant<api_call, http_reply> parse_api_request(std::string_view method,
                                                     std::string_view target,
                                                     std::string_view body) {
  auto query_at = target.find('?');
  auto path = target.substr(0, query_at);
  auto query =
      query_at == std::string_view::npos ? std::string_view{} : target.substr(query_at + 1);
  if (path == "/api/publish") {
    if (method != "POST") return wrong_method(method, path, "POST");
    return parse_publish(body);
  }
  if (path == "/api/cluster") {
    if (method != "GET") return wrong_method(method, path, "GET");
    api_call call;
    call.kind = api_kind::cluster;
    return call;
  }
  if (path == "/api/services" || path.starts_with("/api/services/"))
    return parse_services(method, path);
  constexpr std::string_view quotas = "/api/quotas/";
  if (path.starts_with(quotas)) {
    if (method != "GET") return wrong_method(method, path, "GET");
    auto principal = percent_decoded(path.substr(quotas.size()));
    if (!principal || principal->empty() || principal->size() > 1024)
      return bad(ec::bad_request,
                 "name a principal: /api/quotas/sub:NAME, /api/quotas/key:NAME or "
                 "/api/quotas/addr:IP (percent-encoded)");
    api_call call;
    call.kind = api_kind::quotas;
    call.principal = std::move(*principal);
    return call;
  }
  constexpr std::string_view topics = "/api/topics";
  if (path == topics || path == "/api/topics/") {
    if (method != "GET") return wrong_method(method, path, "GET");
    api_call call;
    call.inboxes = query_value(query, "inboxes").has_value();
    return call;
  }
  if (!path.starts_with("/api/topics/"))
    return http_error(404, to_string(ec::not_found), "no such path: " + std::string{path});
  auto rest = path.substr(topics.size() + 1);
  constexpr std::string_view history = "/history";
  constexpr std::string_view consumers = "/consumers";
  api_call call;
  call.kind = api_kind::topic_info;
  auto name = rest;
  if (rest.ends_with(history)) {
    call.kind = api_kind::topic_history;
    name.remove_suffix(history.size());
  } else if (rest.ends_with(consumers)) {
    call.kind = api_kind::topic_consumers;
    name.remove_suffix(consumers.size());
  }
  if (!topic_name::valid(name))
    return bad(ec::invalid_topic, "no valid topic name in " + std::string{path});
  if (method != "GET") return wrong_method(method, path, "GET");
  if (call.kind == api_kind::topic_history) return parse_history(std::string{name}, query);
  call.topic = name;
  return call;
}

}  // namespace sluice::transport
