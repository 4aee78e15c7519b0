#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "actors/job/flow_control.hpp"
#include "actors/job/router.hpp"
#include "actors/job/support.hpp"
#include "actors/messages.hpp"
#include "actors/upstream/attempts.hpp"
#include "config/config.hpp"
#include "transport/sse_upstream.hpp"

namespace sluice::actors {

// Serves one request with one HTTP request to an `sse` upstream: the body is
// the configured template filled from the payload; each event's JSON object
// travels untouched in `data`, as `token` when it has the token field, as the
// `final` frame when its final field is true, as `progress` otherwise. Events
// are acknowledged to the client as the session acknowledges their frames.
// When the job ends for any reason the HTTP request is aborted. A request
// refused, answered 5xx or ended before its first event is retried (see
// upstream_attempts); a 4xx answer is not.
class sse_job_state {
 public:
  static inline const char* name = "sluice.sse_job";

  explicit sse_job_state(caf::event_based_actor* self);
  ~sse_job_state();
  sse_job_state(const sse_job_state&) = delete;
  sse_job_state& operator=(const sse_job_state&) = delete;

  caf::behavior make_behavior(upstream_binding upstream, std::chrono::milliseconds timeout,
                              job_request req, transport::sse_client* client);

 private:
  void attempt();
  void on_failed(unsigned status, std::string why);
  void on_end(std::string why, bool protocol_error);
  void on_event(const std::string& data);

  counted_job counted_;  // sluice_jobs_active
  job_deadline deadline_;
  caf::event_based_actor* self_;
  config::sse_upstream_config config_;
  job_request req_;
  std::optional<upstream_attempts> attempts_;
  transport::sse_client* client_ = nullptr;
  std::shared_ptr<transport::sse_request_handle> request_;
};

caf::behavior sse_job(caf::stateful_actor<sse_job_state>* self, upstream_binding upstream,
                      std::chrono::milliseconds timeout, job_request req,
                      transport::sse_client* client);

}  // namespace sluice::actors
