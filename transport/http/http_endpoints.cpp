#include "transport/http/http_endpoints.hpp"

#include "core/error_code.hpp"
#include "core/json.hpp"
#include "core/observe/metrics.hpp"
#include "core/observe/readiness.hpp"

namespace sluice::transport {
http_reply json_reply(unsigned status, std::string body) {
  http_reply r;
  r.status = status;
  r.body = std::move(body);
  r.body += '\n';
  return r;
}

namespace {

// 503 while the server cannot take connections. An upstream that is down
// makes the answer "degraded" but still 200 (every replica shares the
// upstream, so taking this one out of rotation would not help), unless the
// query asks for `strict`.
http_reply readiness(std::string_view query, const server_status& status) {
  bool listening = status.listening.load();
  bool draining = status.draining.load();
  bool ready = listening && !draining;
  bool degraded = false;
  json::object upstreams;
  json::object others;  // fields of their own (e.g. "cluster"), after "upstreams"
  for (const auto& c : readiness_board::global().snapshot()) {
    degraded = degraded || !c.ready;
    (c.where == readiness_board::section::top ? others : upstreams).raw(c.name, c.detail_json);
  }
  bool strict = query.find("strict") != std::string_view::npos;
  auto name = !ready ? "not_ready" : degraded ? "degraded" : "ready";
  auto body = json::object{}
                  .str("status", name)
                  .boolean("listening", listening)
                  .boolean("draining", draining)
                  .raw("upstreams", upstreams.finish())
                  .finish();
  auto rest = others.finish();
  if (rest.size() > 2) {  // "{...}": its fields go on the body's
    body.back() = ',';
    body.append(rest, 1);
  }
  return json_reply(ready && !(strict && degraded) ? 200 : 503, std::move(body));
}

}  // namespace

http_reply http_error(unsigned status, std::string_view code, std::string_view message) {
  return json_reply(status, json::object{}.str("error", code).str("message", message).finish());
}

http_reply answer_http(std::string_view method, std::string_view target,
                       const server_status& status) {
  auto query_at = target.find('?');
  auto path = target.substr(0, query_at);
  auto query = query_at == std::string_view::npos ? std::string_view{} : target.substr(query_at);
  bool known = path == "/healthz" || path == "/readyz" || path == "/metrics" ||
               path == websocket_path || path == workers_path;
  if (!known)
    return http_error(404, to_string(ec::not_found), "no such path: " + std::string{path});
  if (method != "GET" && method != "HEAD") {
    auto r = http_error(405, to_string(ec::method_not_allowed),
                        std::string{method} + " is not allowed on " + std::string{path});
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (path == "/healthz") return json_reply(200, R"({"status":"ok"})");
  if (path == "/readyz") return readiness(query, status);
  if (path == "/metrics") {
    http_reply r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics::registry::global().render();
    return r;
  }
  auto r = http_error(426, to_string(ec::upgrade_required),
                      "this path speaks WebSocket: connect with a WebSocket client, e.g. "
                      "wscat -c ws://HOST:PORT/ws");
  r.headers.emplace_back("Upgrade", "websocket");
  r.headers.emplace_back("Connection", "Upgrade");
  return r;
}

}  // namespace sluice::transport
