#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>

#include "transport/http/http_endpoints.hpp"

// The HTTP API under /api/ (docs/protocol.md, "HTTP API"): read here, on the
// I/O thread, into a typed call that an api_handler (actors) answers.
namespace sluice::transport {

constexpr std::string_view api_prefix = "/api/";
constexpr std::uint64_t default_history_limit = 100;
constexpr std::uint64_t max_history_limit = 1000;

enum class api_kind : std::uint8_t {
  publish,          // POST /api/publish {"topic":…,"data":…}
  list_topics,      // GET /api/topics[?inboxes]
  topic_info,       // GET /api/topics/{name}
  topic_history,    // GET /api/topics/{name}/history?since=N&limit=M
  topic_consumers,  // GET /api/topics/{name}/consumers
  cluster,          // GET /api/cluster
  quotas,           // GET /api/quotas/{principal}
  list_services,    // GET /api/services
  service,          // GET /api/services/{name}
  service_action,   // POST /api/services/{name}/start|stop|restart
};

struct api_call {
  api_kind kind = api_kind::list_topics;
  std::string topic;
  std::string data;       // publish: `data` as minified JSON
  std::string principal;  // quotas: sub:NAME, key:NAME or addr:IP, percent-decoded
  std::string service;    // service, service_action
  std::string action;     // service_action: start, stop or restart
  std::uint64_t since = 0;
  std::uint64_t limit = default_history_limit;
  bool inboxes = false;  // list_topics: inboxes too (one per connection and client)
  bool keyed = false;    // made with one of auth.http_api_keys
};

// The call a request names, or the error to answer it with.
std::variant<api_call, http_reply> parse_api_request(std::string_view method,
                                                     std::string_view target,
                                                     std::string_view body);

// Answers API calls; `done` may be called on any thread, exactly once.
class api_handler {
 public:
  virtual ~api_handler() = default;
  virtual void handle(api_call call, std::function<void(http_reply)> done) = 0;
};

}  // namespace sluice::transport
