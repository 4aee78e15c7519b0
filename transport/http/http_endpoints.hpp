#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The plain HTTP endpoints served on the WebSocket port. Independent of the
// HTTP library so the answers can be tested directly.
namespace sluice::transport {

constexpr std::string_view websocket_path = "/ws";
constexpr std::string_view workers_path = "/workers";  // where workers connect

// What the server reports in /readyz.
struct server_status {
  std::atomic<bool> listening{false};
  std::atomic<bool> draining{false};
};

// A body produced in parts, each asked for only once the one before it was
// written: a slow reader holds one part, never the whole body.
class body_parts {
 public:
  virtual ~body_parts() = default;
  // Calls `part` exactly once, on any thread, with the next part of the body
  // and whether it is the last.
  virtual void next(std::function<void(std::string part, bool last)> part) = 0;
};

struct http_reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<body_parts> parts;  // set: the body comes from here, chunked; `body` unused
};

// The answer to a request that is not a WebSocket upgrade.
http_reply answer_http(std::string_view method, std::string_view target,
                       const server_status& status);

// `body` (a JSON document) with `status`.
http_reply json_reply(unsigned status, std::string body);

// A JSON error body: {"error":"<code>","message":"…"}.
http_reply http_error(unsigned status, std::string_view code, std::string_view message);

}  // namespace sluice::transport
