#pragma once

#include <atomic>
#include <cstddef>

#include "core/metrics.hpp"
#include "transport/api_request.hpp"
#include "transport/client_link.hpp"
#include "transport/http_endpoints.hpp"
#include "transport/server.hpp"

namespace sluice::transport {

// The transport's metrics, registered once in the global registry.
struct transport_metrics {
  transport_metrics();

  metrics::gauge& connections_open;
  metrics::counter& connections_total;
  metrics::family<metrics::counter>& connections_rejected;  // {reason}
  metrics::counter& frames_in;
  metrics::counter& frames_out;
  metrics::counter& bytes_in;
  metrics::counter& bytes_out;
  metrics::family<metrics::counter>& http_requests;  // {path, status}
  metrics::counter& slow_consumer_closes;
  metrics::counter& oversized_frames;
  metrics::gauge& mailbox_high_water;  // {actor="session"}
  metrics::gauge& outbound_high_water;
};

// What every connection of one server shares. Lives as long as the server.
struct shared_state {
  shared_state(server_options opts, connection_handler& h, connection_handler* w, api_handler* a)
      : options(std::move(opts)), handler(h), workers_handler(w), api(a) {}

  const server_options options;
  connection_handler& handler;
  connection_handler* workers_handler;  // null: no /workers endpoint
  api_handler* api;                     // null: no /api/
  server_status status;
  std::atomic<std::size_t> websocket_connections{0};
  transport_metrics metrics;
};

}  // namespace sluice::transport
