#include "actors/actor_metrics.hpp"

namespace sluice::actors {
namespace {
metrics::registry& reg() {
  return metrics::registry::global();
}
}  // namespace

actor_metrics& actor_metrics::get() {
  static actor_metrics instance;
  return instance;
}

actor_metrics::actor_metrics()
    : sessions_active(reg().add_gauge("sluice_sessions_active", "Session actors alive")),
      jobs_active(
          reg().add_gauge("sluice_jobs_active", "Job actors alive (requests being served)")),
      requests(reg().add_counter_family("sluice_requests_total",
                                        "Requests finished, by route and outcome",
                                        {"route", "outcome"})),
      request_seconds(
          reg().add_histogram_family("sluice_request_duration_seconds",
                                     "Time from a request frame to its last reply frame, by route",
                                     {"route"}, metrics::latency_buckets())),
      errors(reg().add_counter_family("sluice_errors_total",
                                      "Error frames sent to clients, by code", {"code"})) {}

}  // namespace sluice::actors
