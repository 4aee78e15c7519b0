#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "actors/job/flow_control.hpp"
#include "actors/job/router.hpp"
#include "actors/job/support.hpp"
#include "actors/messages.hpp"
#include "actors/upstream/attempts.hpp"

namespace sluice::actors {

// Serves one request on a route of a `workers` upstream: asks the upstream's
// worker_pool for a worker, then relays what the worker sends for the job
// (its JSON untouched in `data`). When the worker goes away before anything
// was streamed the request is retried on another worker (see
// upstream_attempts); after that the client gets `worker_lost`. When the job
// ends early the worker actor, which monitors it, sends the worker `cancel`.
// Flow control: the worker may send `job_credit_window` frames ahead; the
// session's credit for them goes back to the worker as `credit` frames, so a
// client that reads slowly pauses the worker. A worker that ignores its window
// ends the request with upstream_protocol_error.
class worker_job_state {
 public:
  static inline const char* name = "sluice.worker_job";

  explicit worker_job_state(caf::event_based_actor* self) : self_(self) {}

  caf::behavior make_behavior(upstream_binding upstream, std::string route,
                              std::chrono::milliseconds timeout, job_request req);

 private:
  void request_worker();
  void watch(caf::actor holder);
  void unwatch();
  void on_holder_down(const caf::down_msg& msg);
  void on_update(const std::string& kind, const std::string& data, std::string message);
  void on_lost(std::string why);

  counted_job counted_;  // sluice_jobs_active
  job_deadline deadline_;
  caf::event_based_actor* self_;
  std::string route_;
  job_request req_;
  std::optional<upstream_attempts> attempts_;
  caf::actor pool_;
  std::string upstream_name_;
  caf::actor worker_;     // the worker actor holding the job, once assigned
  caf::actor holder_;     // watched: the worker, or a pool on another node queueing the request
  std::string job_id_;    // the job's id at the worker (JSON)
  credit_window window_;  // frames from the worker not yet acknowledged by the session
};

caf::behavior worker_job(caf::stateful_actor<worker_job_state>* self, upstream_binding upstream,
                         std::string route, std::chrono::milliseconds timeout, job_request req);

}  // namespace sluice::actors
