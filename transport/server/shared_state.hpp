#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/observe/metrics.hpp"
#include "security/rate_limiter.hpp"
#include "transport/client_link.hpp"
#include "transport/http/api_request.hpp"
#include "transport/http/http_endpoints.hpp"
#include "transport/http/static_pages.hpp"
#include "transport/server/server.hpp"

namespace sluice::transport {

class idle_sweeper;

// The transport's metrics, registered once in the global registry.
struct transport_metrics {
  transport_metrics();

  metrics::gauge& connections_open;
  metrics::gauge& sockets_open;
  metrics::counter& connections_total;
  metrics::family<metrics::counter>& connections_rejected;  // {reason}
  metrics::counter& frames_in;
  metrics::counter& frames_out;
  metrics::counter& writes;  // system calls writing frames: frames_out / writes = frames per write
  metrics::counter& bytes_in;
  metrics::counter& bytes_out;
  metrics::family<metrics::counter>& http_requests;  // {path, status}
  metrics::counter& slow_consumer_closes;
  metrics::counter& oversized_frames;
  metrics::gauge& outbound_high_water;
  metrics::family<metrics::counter>& auth_failures;  // {code}
  metrics::family<metrics::counter>& rate_limited;   // {limit}
  metrics::counter& rate_limit_closes;
  metrics::family<metrics::counter>& tls_handshakes;         // {result}
  metrics::family<metrics::counter>& websocket_disconnects;  // {cause}: disconnect_cause.hpp
};

// The rate limits shared by every connection: one bucket per user or address.
struct shared_limits {
  explicit shared_limits(const config::rate_limits_config& cfg)
      : user_messages(cfg.user_messages),
        ip_messages(cfg.ip_messages),
        user_requests(cfg.user_requests),
        ip_requests(cfg.ip_requests),
        ip_connections(cfg.ip_connections) {}

  security::rate_limiter user_messages;
  security::rate_limiter ip_messages;
  security::rate_limiter user_requests;
  security::rate_limiter ip_requests;
  security::rate_limiter ip_connections;
};

// WebSocket connections open per remote address (server.max_connections_per_ip).
class connections_per_ip {
 public:
  // Counts one more for `ip` unless it already has `limit` (0: no limit).
  bool try_add(const std::string& ip, std::size_t limit);
  void remove(const std::string& ip);

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> open_;
};

// What every connection of one server shares. Lives as long as the server.
struct shared_state {
  shared_state(server_options opts, connection_handler& h, connection_handler* w, api_handler* a)
      : options(std::move(opts)),
        handler(h),
        workers_handler(w),
        api(a),
        limits(options.rate_limits),
        pages(options.server) {}

  const server_options options;
  connection_handler& handler;
  connection_handler* workers_handler;  // null: no /workers endpoint
  api_handler* api;                     // null: no /api/
  server_status status;
  std::atomic<std::size_t> sockets{0};  // every client connection, from accept
  std::atomic<std::size_t> websocket_connections{0};
  connections_per_ip per_ip;
  shared_limits limits;
  transport_metrics metrics;
  const static_pages pages;  // the dashboard and server.static
  // The idle timeout of plain WebSocket connections; null when it is off. Set
  // by the server before it runs, owned by it.
  idle_sweeper* idle = nullptr;
};

// A client connection's place under server.max_connections, taken when it is
// accepted (before it says anything: a connection that never upgrades counts
// too) and given back when the slot is destroyed.
class socket_slot {
 public:
  // Nothing when server.max_connections connections are open.
  static std::optional<socket_slot> acquire(std::shared_ptr<shared_state> state);
  socket_slot(socket_slot&& other) noexcept = default;
  socket_slot& operator=(socket_slot&&) = delete;
  ~socket_slot();

 private:
  explicit socket_slot(std::shared_ptr<shared_state> state) : state_(std::move(state)) {}
  std::shared_ptr<shared_state> state_;  // null once moved from
};

// Why a connection over server.max_connections is refused (HTTP 503).
std::string max_connections_refusal(const server_options& opts);

// A WebSocket connection's place under max_connections_per_ip (and in the
// count of WebSockets open), with its socket's slot; given back when the
// slot is destroyed.
class connection_slot {
 public:
  // Nothing, with the reason (too_many_connections), when the limit is
  // reached; `socket` is taken only on success.
  static std::optional<connection_slot> acquire(std::shared_ptr<shared_state> state, std::string ip,
                                                std::optional<socket_slot>& socket,
                                                std::string& refusal);
  connection_slot(connection_slot&& other) noexcept = default;
  connection_slot& operator=(connection_slot&&) = delete;
  ~connection_slot();

 private:
  connection_slot(std::shared_ptr<shared_state> state, std::string ip, socket_slot socket)
      : state_(std::move(state)), ip_(std::move(ip)), socket_(std::move(socket)) {}
  std::shared_ptr<shared_state> state_;  // null once moved from
  std::string ip_;
  socket_slot socket_;
};

}  // namespace sluice::transport
