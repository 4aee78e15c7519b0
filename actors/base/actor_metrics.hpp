#pragma once

#include <chrono>
#include <string>

#include "core/error_code.hpp"
#include "core/observe/metrics.hpp"
#include "core/priority.hpp"

namespace sluice::actors {

// Metrics of sessions, requests and jobs, registered once in the global registry.
struct actor_metrics {
  static actor_metrics& get();
  // Counts one error frame sent, in sluice_errors_total{code}.
  void count_error(ec code) { errors.with({std::string{to_string(code)}}).inc(); }

  metrics::gauge& sessions_active;
  metrics::gauge& jobs_active;
  metrics::family<metrics::counter>& requests;           // {route, outcome}
  metrics::family<metrics::histogram>& request_seconds;  // {route}
  metrics::family<metrics::counter>& errors;             // {code}: error frames sent
  metrics::counter& shortcut_frames;                     // reply_shortcut.hpp
  metrics::counter& filtered_frames;                     // not in a request's `kinds`
  metrics::counter& run_topic_frames;                    // to a route's publish_to topic

  // Supervision, each by {upstream}.
  metrics::family<metrics::gauge>& upstream_circuit;  // 0 closed, 1 half open, 2 open
  metrics::family<metrics::counter>& upstream_failures;
  metrics::family<metrics::counter>& upstream_circuit_opens;
  metrics::family<metrics::counter>& upstream_restarts;
  metrics::family<metrics::counter>& upstream_rejected;  // failed fast, circuit not closed
  metrics::family<metrics::counter>& fallbacks;  // {upstream, trigger}: answered with the fallback
  metrics::family<metrics::counter>& upstream_retries;
  metrics::family<metrics::counter>& upstream_probes;  // {upstream, result}
  metrics::family<metrics::histogram>& upstream_probe_seconds;
  metrics::family<metrics::gauge>& upstream_slots_used;  // max_concurrent: running
  metrics::family<metrics::gauge>& upstream_waiting;     // max_concurrent: waiting for a slot
  // {upstream, priority}: how long requests waited for a slot or a worker.
  metrics::family<metrics::histogram>& upstream_queue_wait;

  // Workers, each by {upstream}.
  metrics::family<metrics::gauge>& workers_connected;
  metrics::family<metrics::gauge>& worker_jobs_queued;
  metrics::family<metrics::counter>& worker_jobs;        // dispatched to a worker
  metrics::family<metrics::counter>& workers_lost;       // gone with jobs in flight or silent
  metrics::family<metrics::counter>& backend_publishes;  // {upstream, result}

 private:
  actor_metrics();
};

// A request that waited `waited` for `upstream`'s capacity was admitted.
void count_wait(const std::string& upstream, priority level,
                std::chrono::steady_clock::duration waited);

}  // namespace sluice::actors
