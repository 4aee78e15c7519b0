#pragma once

#include "core/observe/metrics.hpp"

namespace sluice::transport {

// Metrics of the NATS JetStream engine (engine: kind: nats), registered on
// first use.
struct engine_metrics {
  static engine_metrics& get();

  metrics::gauge& connected;                     // 1 while connected to a NATS server
  metrics::counter& disconnects;                 // connections to a server lost
  metrics::counter& reconnects;                  // connections made again after a loss
  metrics::family<metrics::counter>& publishes;  // {result}: acked, unavailable, overloaded
  metrics::gauge& in_flight;                     // publishes waiting for their acknowledgement
  metrics::histogram& ack_seconds;               // publish to acknowledgement
  metrics::counter& received;                    // messages the topics' subscriptions delivered
  metrics::family<metrics::counter>& streams;    // {result}: opened, failed
  metrics::gauge& subscriptions;                 // ordered consumers open (one per topic in use)
  metrics::counter& subscription_troubles;       // errors a subscription reported (it starts over)
  metrics::gauge& requests_waiting;              // requests to the servers not started yet

 private:
  engine_metrics();
};

}  // namespace sluice::transport
