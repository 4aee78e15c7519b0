#include "actors/services/metrics.hpp"

namespace sluice::actors {
service_metrics& service_metrics::get() {
  static service_metrics instance;
  return instance;
}

service_metrics::service_metrics()
    : up(metrics::registry::global().add_gauge_family(
          "sluice_service_up", "1 while the service's process runs", {"service"})),
      starts(metrics::registry::global().add_counter_family(
          "sluice_service_starts_total", "Times the service's process was started", {"service"})),
      exits(metrics::registry::global().add_counter_family(
          "sluice_service_exits_total",
          "How the service's process ended (exit_0, exit_nonzero, signal)", {"service", "how"})),
      restarts(metrics::registry::global().add_counter_family(
          "sluice_service_restarts_total", "Restarts by the service's restart policy",
          {"service"})),
      failures(metrics::registry::global().add_counter_family(
          "sluice_service_failures_total",
          "Starts that failed, and restart loops given up (state failed)", {"service"})),
      lines(metrics::registry::global().add_counter_family(
          "sluice_service_log_lines_total", "Lines the service printed", {"service", "stream"})),
      dropped(metrics::registry::global().add_counter_family(
          "sluice_service_log_lines_dropped_total",
          "Lines of the service its log_topic could not take (logged instead)", {"service"})),
      file_changes(metrics::registry::global().add_counter_family(
          "sluice_watch_file_changes_total",
          "Changes of watched files, by topic and event (changed, removed, too_large, error)",
          {"topic", "event"})) {}

}  // namespace sluice::actors
