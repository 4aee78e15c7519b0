#include "transport/shared_state.hpp"

namespace sluice::transport {
namespace {
metrics::registry& reg() {
  return metrics::registry::global();
}
}  // namespace

transport_metrics::transport_metrics()
    : connections_open(reg().add_gauge("sluice_connections_open", "WebSocket connections open")),
      connections_total(reg().add_counter("sluice_connections_total",
                                          "WebSocket connections accepted since start")),
      connections_rejected(reg().add_counter_family("sluice_connections_rejected_total",
                                                    "WebSocket upgrades refused, by reason",
                                                    {"reason"})),
      frames_in(reg().add_counter("sluice_frames_in_total", "WebSocket frames read from clients")),
      frames_out(
          reg().add_counter("sluice_frames_out_total", "WebSocket frames written to clients")),
      bytes_in(reg().add_counter("sluice_bytes_in_total", "WebSocket payload bytes read")),
      bytes_out(reg().add_counter("sluice_bytes_out_total", "WebSocket payload bytes written")),
      http_requests(reg().add_counter_family("sluice_http_requests_total",
                                             "Plain HTTP requests answered, by path and status",
                                             {"path", "status"})),
      slow_consumer_closes(
          reg().add_counter("sluice_slow_consumer_closes_total",
                            "Connections closed with 1008 because their outbound queue was full")),
      oversized_frames(reg().add_counter(
          "sluice_oversized_frames_total",
          "Connections closed with 1009 because a frame exceeded max_frame_bytes")),
      mailbox_high_water(reg()
                             .add_gauge_family("sluice_mailbox_depth_high_water",
                                               "Highest number of messages accepted but not yet "
                                               "handled by one actor, by kind of actor",
                                               {"actor"})
                             .with({"session"})),
      outbound_high_water(
          reg().add_gauge("sluice_outbound_queue_high_water",
                          "Highest number of frames queued toward one client socket")) {}

}  // namespace sluice::transport
