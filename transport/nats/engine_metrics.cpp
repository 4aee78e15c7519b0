#include "transport/nats/engine_metrics.hpp"

namespace sluice::transport {

engine_metrics& engine_metrics::get() {
  static engine_metrics instance;
  return instance;
}

engine_metrics::engine_metrics()
    : connected(metrics::registry::global().add_gauge(
          "sluice_engine_connected", "1 while this node is connected to a NATS server (engine)")),
      disconnects(metrics::registry::global().add_counter(
          "sluice_engine_disconnects_total", "Connections to a NATS server that were lost")),
      reconnects(metrics::registry::global().add_counter(
          "sluice_engine_reconnects_total",
          "Connections to a NATS server made again after a loss")),
      publishes(metrics::registry::global().add_counter_family(
          "sluice_engine_publishes_total",
          "Publishes to JetStream by result (acked, unavailable, overloaded)", {"result"})),
      in_flight(metrics::registry::global().add_gauge(
          "sluice_engine_publishes_in_flight",
          "Publishes sent to JetStream and not yet acknowledged")),
      ack_seconds(metrics::registry::global().add_histogram(
          "sluice_engine_ack_seconds", "Time from a publish to JetStream's acknowledgement",
          metrics::latency_buckets())),
      received(metrics::registry::global().add_counter(
          "sluice_engine_messages_received_total",
          "Messages the topics' JetStream subscriptions delivered to this node")),
      streams(metrics::registry::global().add_counter_family(
          "sluice_engine_streams_total",
          "Topic streams opened or created, by result (opened, failed), or deleted (deleted: an "
          "inbox let go)",
          {"result"})),
      subscriptions(metrics::registry::global().add_gauge(
          "sluice_engine_subscriptions", "JetStream ordered consumers open, one per topic in use")),
      subscription_troubles(metrics::registry::global().add_counter(
          "sluice_engine_subscription_troubles_total",
          "Errors a topic's subscription reported (missed heartbeats, a consumer not made "
          "again); the topic opens its stream and subscribes again")),
      requests_waiting(metrics::registry::global().add_gauge(
          "sluice_engine_requests_waiting",
          "Requests to the NATS servers (stream setup, subscriptions, cursors, claims) posted "
          "and not started yet")) {}

}  // namespace sluice::transport
