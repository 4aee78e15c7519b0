#include "transport/server/shared_state.hpp"

namespace sluice::transport {
transport_metrics::transport_metrics()
    : connections_open(metrics::registry::global().add_gauge("sluice_connections_open",
                                                             "WebSocket connections open")),
      sockets_open(metrics::registry::global().add_gauge(
          "sluice_client_sockets_open",
          "Client connections open on the server port (WebSocket, plain "
          "HTTP, and not yet upgraded), counted against max_connections")),
      connections_total(metrics::registry::global().add_counter(
          "sluice_connections_total", "WebSocket connections accepted since start")),
      connections_rejected(metrics::registry::global().add_counter_family(
          "sluice_connections_rejected_total", "WebSocket upgrades refused, by reason",
          {"reason"})),
      frames_in(metrics::registry::global().add_counter("sluice_frames_in_total",
                                                        "WebSocket frames read from clients")),
      frames_out(metrics::registry::global().add_counter("sluice_frames_out_total",
                                                         "WebSocket frames written to clients")),
      writes(metrics::registry::global().add_counter(
          "sluice_frame_writes_total",
          "Writes of WebSocket frames to clients (several frames each)")),
      bytes_in(metrics::registry::global().add_counter("sluice_bytes_in_total",
                                                       "WebSocket payload bytes read")),
      bytes_out(metrics::registry::global().add_counter("sluice_bytes_out_total",
                                                        "WebSocket payload bytes written")),
      http_requests(metrics::registry::global().add_counter_family(
          "sluice_http_requests_total", "Plain HTTP requests answered, by path and status",
          {"path", "status"})),
      slow_consumer_closes(metrics::registry::global().add_counter(
          "sluice_slow_consumer_closes_total",
          "Connections closed with 1008 because their outbound queue was full")),
      oversized_frames(metrics::registry::global().add_counter(
          "sluice_oversized_frames_total",
          "Connections closed with 1009 because a frame exceeded max_frame_bytes")),
      outbound_high_water(metrics::registry::global().add_gauge(
          "sluice_outbound_queue_high_water",
          "Highest number of frames queued toward one client socket")),
      auth_failures(metrics::registry::global().add_counter_family(
          "sluice_auth_failures_total",
          "Credentials refused (at connect, refresh or the HTTP API), by error code", {"code"})),
      rate_limited(metrics::registry::global().add_counter_family(
          "sluice_rate_limited_total",
          "Frames or connections refused by a rate limit, by "
          "the limit (rate_limits.<name>)",
          {"limit"})),
      rate_limit_closes(metrics::registry::global().add_counter(
          "sluice_rate_limit_closes_total",
          "Connections closed with 1008 after rate_limits.close_after refusals in a row")),
      tls_handshakes(metrics::registry::global().add_counter_family(
          "sluice_tls_handshakes_total", "TLS handshakes on the server port, by result",
          {"result"})),
      websocket_disconnects(metrics::registry::global().add_counter_family(
          "sluice_websocket_disconnects_total",
          "WebSocket connections ended, by cause (closed, idle_timeout, protocol_error, too_big, "
          "connection_lost)",
          {"cause"})) {}

bool connections_per_ip::try_add(const std::string& ip, std::size_t limit) {
  std::lock_guard lock{mutex_};
  auto& n = open_[ip];
  if (limit > 0 && n >= limit) {
    if (n == 0) open_.erase(ip);
    return false;
  }
  ++n;
  return true;
}

void connections_per_ip::remove(const std::string& ip) {
  std::lock_guard lock{mutex_};
  auto it = open_.find(ip);
  if (it != open_.end() && --it->second == 0) open_.erase(it);
}

std::optional<socket_slot> socket_slot::acquire(std::shared_ptr<shared_state> state) {
  if (state->sockets.fetch_add(1) >= state->options.server.max_connections) {
    state->sockets.fetch_sub(1);
    return std::nullopt;
  }
  state->metrics.sockets_open.inc();
  return socket_slot{std::move(state)};
}

socket_slot::~socket_slot() {
  if (!state_) return;
  state_->sockets.fetch_sub(1);
  state_->metrics.sockets_open.dec();
}

std::string max_connections_refusal(const server_options& opts) {
  return "server is at max_connections (" + std::to_string(opts.server.max_connections) + ")";
}

std::optional<connection_slot> connection_slot::acquire(std::shared_ptr<shared_state> state,
                                                        std::string ip,
                                                        std::optional<socket_slot>& socket,
                                                        std::string& refusal) {
  const auto& opts = state->options;
  state->websocket_connections.fetch_add(1);
  if (!state->per_ip.try_add(ip, opts.server.max_connections_per_ip)) {
    state->websocket_connections.fetch_sub(1);
    refusal = "this address has max_connections_per_ip (" +
              std::to_string(opts.server.max_connections_per_ip) + ") connections open";
    return std::nullopt;
  }
  connection_slot slot{std::move(state), std::move(ip), std::move(*socket)};
  socket.reset();
  return slot;
}

connection_slot::~connection_slot() {
  if (!state_) return;
  state_->websocket_connections.fetch_sub(1);
  state_->per_ip.remove(ip_);
}

}  // namespace sluice::transport
