#pragma once

#include "core/metrics.hpp"

namespace sluice::actors {

// Metrics of sessions, requests and jobs, registered once in the global registry.
struct actor_metrics {
  static actor_metrics& get();

  metrics::gauge& sessions_active;
  metrics::gauge& jobs_active;
  metrics::family<metrics::counter>& requests;           // {route, outcome}
  metrics::family<metrics::histogram>& request_seconds;  // {route}
  metrics::family<metrics::counter>& errors;             // {code}: error frames sent

 private:
  actor_metrics();
};

}  // namespace sluice::actors
