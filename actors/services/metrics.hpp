#pragma once

#include "core/observe/metrics.hpp"

namespace sluice::actors {

// Metrics of managed services, by service name (names come from the
// configuration, so the label set is bounded).
struct service_metrics {
  static service_metrics& get();

  metrics::family<metrics::gauge>& up;          // {service}: 1 while its process runs
  metrics::family<metrics::counter>& starts;    // {service}
  metrics::family<metrics::counter>& exits;     // {service, how}: exit_0, exit_nonzero, signal
  metrics::family<metrics::counter>& restarts;  // {service}: restarts by its policy
  metrics::family<metrics::counter>& failures;  // {service}: could not start, or gave up
  metrics::family<metrics::counter>& lines;     // {service, stream}
  metrics::family<metrics::counter>& dropped;   // {service}: lines its log topic refused
  // {topic, event}: watched files' changes (changed, removed, too_large, error)
  metrics::family<metrics::counter>& file_changes;

 private:
  service_metrics();
};

}  // namespace sluice::actors
