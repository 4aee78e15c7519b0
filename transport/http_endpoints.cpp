#include "transport/http_endpoints.hpp"

#include "core/error_code.hpp"
#include "core/json.hpp"
#include "core/metrics.hpp"

namespace sluice::transport {
namespace {

http_reply json_reply(unsigned status, std::string body) {
  http_reply r;
  r.status = status;
  r.body = std::move(body);
  r.body += '\n';
  return r;
}

http_reply readiness(const server_status& status) {
  bool listening = status.listening.load();
  bool draining = status.draining.load();
  bool ready = listening && !draining;
  return json_reply(ready ? 200 : 503, json::object{}
                                           .str("status", ready ? "ready" : "not_ready")
                                           .boolean("listening", listening)
                                           .boolean("draining", draining)
                                           .finish());
}

}  // namespace

http_reply http_error(unsigned status, std::string_view code, std::string_view message) {
  return json_reply(status, json::object{}.str("error", code).str("message", message).finish());
}

http_reply answer_http(std::string_view method, std::string_view target,
                       const server_status& status) {
  auto path = target.substr(0, target.find('?'));
  bool known =
      path == "/healthz" || path == "/readyz" || path == "/metrics" || path == websocket_path;
  if (!known)
    return http_error(404, to_string(ec::not_found), "no such path: " + std::string{path});
  if (method != "GET" && method != "HEAD") {
    auto r = http_error(405, to_string(ec::method_not_allowed),
                        std::string{method} + " is not allowed on " + std::string{path});
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (path == "/healthz") return json_reply(200, R"({"status":"ok"})");
  if (path == "/readyz") return readiness(status);
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
