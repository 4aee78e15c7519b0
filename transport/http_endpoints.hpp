#pragma once

#include <atomic>
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

struct http_reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// The answer to a request that is not a WebSocket upgrade.
http_reply answer_http(std::string_view method, std::string_view target,
                       const server_status& status);

// A JSON error body: {"error":"<code>","message":"…"}.
http_reply http_error(unsigned status, std::string_view code, std::string_view message);

}  // namespace sluice::transport
