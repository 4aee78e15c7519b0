#include "actors/base/actor_metrics.hpp"

namespace sluice::actors {
actor_metrics& actor_metrics::get() {
  static actor_metrics instance;
  return instance;
}

actor_metrics::actor_metrics()
    : sessions_active(
          metrics::registry::global().add_gauge("sluice_sessions_active", "Session actors alive")),
      jobs_active(metrics::registry::global().add_gauge(
          "sluice_jobs_active", "Job actors alive (requests being served)")),
      requests(metrics::registry::global().add_counter_family(
          "sluice_requests_total", "Requests finished, by route and outcome",
          {"route", "outcome"})),
      request_seconds(metrics::registry::global().add_histogram_family(
          "sluice_request_duration_seconds",
          "Time from a request frame to its last reply frame, by route", {"route"},
          metrics::latency_buckets())),
      errors(metrics::registry::global().add_counter_family(
          "sluice_errors_total", "Error frames sent to clients, by code", {"code"})),
      shortcut_frames(metrics::registry::global().add_counter(
          "sluice_reply_shortcut_frames_total",
          "Reply frames an upstream's I/O thread handed straight to the client's connection")),
      filtered_frames(metrics::registry::global().add_counter(
          "sluice_stream_frames_filtered_total",
          "Stream frames not sent because the request's kinds did not ask for them")),
      run_topic_frames(metrics::registry::global().add_counter(
          "sluice_run_topic_frames_total",
          "Frames of request streams also published to their route's publish_to topic")),
      upstream_circuit(metrics::registry::global().add_gauge_family(
          "sluice_upstream_circuit_state",
          "Circuit of each upstream: 0 closed, 1 half open (probing), 2 open", {"upstream"})),
      upstream_failures(metrics::registry::global().add_counter_family(
          "sluice_upstream_failures_total",
          "Failures to reach an upstream or upstream connections lost, by upstream", {"upstream"})),
      upstream_circuit_opens(metrics::registry::global().add_counter_family(
          "sluice_upstream_circuit_opens_total", "Times an upstream's circuit opened",
          {"upstream"})),
      upstream_restarts(metrics::registry::global().add_counter_family(
          "sluice_upstream_restarts_total",
          "Attempts to bring a failed upstream back (probes after backoff, pooled reconnects)",
          {"upstream"})),
      upstream_rejected(metrics::registry::global().add_counter_family(
          "sluice_upstream_rejected_total",
          "Requests failed fast (or answered with the fallback) while the circuit was not closed",
          {"upstream"})),
      fallbacks(metrics::registry::global().add_counter_family(
          "sluice_fallbacks_total",
          "Requests answered with their route's fallback, by upstream and trigger "
          "(circuit_open, retries_exhausted, timeout, upstream_error)",
          {"upstream", "trigger"})),
      upstream_retries(metrics::registry::global().add_counter_family(
          "sluice_upstream_retries_total",
          "Requests retried at an upstream after a failure before anything was streamed",
          {"upstream"})),
      upstream_probes(metrics::registry::global().add_counter_family(
          "sluice_upstream_probes_total", "Health probes, by upstream and result",
          {"upstream", "result"})),
      upstream_probe_seconds(metrics::registry::global().add_histogram_family(
          "sluice_upstream_probe_duration_seconds", "Health probe latency, by upstream",
          {"upstream"}, metrics::latency_buckets())),
      upstream_slots_used(metrics::registry::global().add_gauge_family(
          "sluice_upstream_running", "Requests holding one of an upstream's max_concurrent slots",
          {"upstream"})),
      upstream_waiting(metrics::registry::global().add_gauge_family(
          "sluice_upstream_waiting",
          "Requests waiting for one of an upstream's max_concurrent slots", {"upstream"})),
      upstream_queue_wait(metrics::registry::global().add_histogram_family(
          "sluice_upstream_queue_wait_seconds",
          "Time requests waited for an upstream's process slot or worker, by upstream and "
          "priority",
          {"upstream", "priority"}, metrics::latency_buckets())),
      workers_connected(metrics::registry::global().add_gauge_family(
          "sluice_workers_connected", "Workers registered, by upstream", {"upstream"})),
      worker_jobs_queued(metrics::registry::global().add_gauge_family(
          "sluice_worker_jobs_queued", "Requests waiting for a worker with room, by upstream",
          {"upstream"})),
      worker_jobs(metrics::registry::global().add_counter_family(
          "sluice_worker_jobs_total", "Jobs dispatched to workers, by upstream", {"upstream"})),
      workers_lost(metrics::registry::global().add_counter_family(
          "sluice_workers_lost_total",
          "Workers that disconnected with jobs in flight or missed their heartbeat, by upstream",
          {"upstream"})),
      backend_publishes(metrics::registry::global().add_counter_family(
          "sluice_backend_publishes_total",
          "Publishes of workers and processes while a request runs, by upstream and result "
          "(sent, forbidden, refused; failed: sent, then refused by the topic)",
          {"upstream", "result"})) {}

void count_wait(const std::string& upstream, priority level,
                std::chrono::steady_clock::duration waited) {
  actor_metrics::get()
      .upstream_queue_wait.with({upstream, std::string{to_string(level)}})
      .observe(std::chrono::duration<double>(waited).count());
}

}  // namespace sluice::actors
