#pragma once

#include "core/observe/metrics.hpp"

namespace sluice::actors {

// Metrics of per-user quotas, by route (never by user: a label per principal
// would grow without bound).
struct quota_metrics {
  static quota_metrics& get();

  // {route, outcome}: admitted, max_in_flight, requests, units, anonymous
  metrics::family<metrics::counter>& decisions;
  metrics::family<metrics::counter>& streams_ended;  // {route}: ended mid-stream, units spent
  metrics::family<metrics::counter>& units;          // {route}: units counted
  metrics::gauge& principals;                        // (route, principal) pairs tracked here

 private:
  quota_metrics();
};

}  // namespace sluice::actors
