#include "actors/quota/metrics.hpp"

namespace sluice::actors {
quota_metrics& quota_metrics::get() {
  static quota_metrics instance;
  return instance;
}

quota_metrics::quota_metrics()
    : decisions(metrics::registry::global().add_counter_family(
          "sluice_quota_decisions_total",
          "Requests on routes with a quota, by outcome: admitted, or the limit that refused them "
          "(max_in_flight, requests, units, anonymous)",
          {"route", "outcome"})),
      streams_ended(metrics::registry::global().add_counter_family(
          "sluice_quota_streams_ended_total",
          "Streams ended with quota_exceeded because their principal's units ran out", {"route"})),
      units(metrics::registry::global().add_counter_family(
          "sluice_quota_units_total", "Units counted against quotas (frames or reported units)",
          {"route"})),
      principals(metrics::registry::global().add_gauge(
          "sluice_quota_principals",
          "Route and principal pairs this node keeps quota counts for")) {}

}  // namespace sluice::actors
