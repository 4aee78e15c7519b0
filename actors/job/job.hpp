#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "actors/job/support.hpp"
#include "actors/messages.hpp"
#include "actors/upstream/attempts.hpp"
#include "core/error_code.hpp"

namespace sluice::transport {
class timer_service;
}

// One request, one job actor. The job owns what every request has in common:
// it is counted in sluice_jobs_active, ends at its route's deadline, passes
// the session's credit on, retries failed attempts when upstream_attempts
// allows, and sends the reply frames, ending after the last. What a request
// is served by (the built-in uppercase route, a process, a WebSocket or SSE
// upstream, a worker) is its driver, which turns its backend's events into
// frames of the reply.
namespace sluice::actors {

class job_shell;

// What serves one request; owned by its job and destroyed with it (then it
// releases what it holds: a connection, a process, a stream).
class job_driver {
 public:
  virtual ~job_driver() = default;
  // Starts an attempt: at first, and again for each retry the job's
  // upstream_attempts schedules.
  virtual void attempt() = 0;
  // The session took `n` more frames of this job (flow_control.hpp).
  virtual void on_credit(std::uint32_t n) = 0;
  // Handlers for the driver's own messages: its backend's events.
  virtual caf::message_handler handlers() = 0;
  // The attempt under way is given up (attempt_timeout): what it holds is
  // released and nothing more of it reaches the job.
  virtual void abandon_attempt() {}
  // Whether the request may wait for the upstream's capacity (a worker, a
  // process slot): then the driver calls job_shell::accepted once it knows
  // where it waits; otherwise the job is accepted as it starts.
  virtual bool waits_for_capacity() const { return false; }
};

using driver_factory = std::function<std::unique_ptr<job_driver>(job_shell&)>;

// How to serve the requests of one route.
struct job_spec {
  const char* name;  // the actor's name in logs and metrics, e.g. "sluice.process_job"
  driver_factory driver;
  std::optional<upstream_binding> upstream;     // none for the built-in routes
  const config::route_config* route = nullptr;  // its fallback and attempt_timeout
};

class job_shell {
 public:
  explicit job_shell(caf::event_based_actor* self) : self_(self) {}
  job_shell(const job_shell&) = delete;
  job_shell& operator=(const job_shell&) = delete;

  caf::behavior make_behavior(job_spec spec, std::chrono::milliseconds timeout, job_request req,
                              transport::timer_service* timers);

  caf::event_based_actor* self() const { return self_; }
  const job_request& request() const { return req_; }
  // The attempts at the upstream; null for a built-in route.
  upstream_attempts* attempts() { return attempts_ ? &*attempts_ : nullptr; }

  // Sends `accepted` (once, before any other frame): the request runs
  // (`queued` 0) or waits at that place in line for capacity.
  void accepted(std::uint32_t queued);
  // A frame of the reply that is not the last, of `kind` (kind_filter.hpp).
  // Once one went out, the request is no longer retried (nothing is ever sent
  // twice). A kind the request did not ask for goes to the session empty: it
  // sends nothing and returns the credit as for any frame.
  void emit(std::string frame, std::string_view kind = "progress");
  // An attempt at the upstream failed: retries it when upstream_attempts
  // allows, else ends the request with `code`. Frames that took the reply
  // shortcut count as sent (the upstream answered; nothing is sent twice).
  // `status`: the upstream's HTTP status, told in the error frame (0: none).
  void retry_or_fail(ec code, const std::string& why, unsigned status = 0);
  // The last frame of the reply: the job ends.
  void finish(std::string frame, request_outcome outcome);
  // `t` filled in for this request (caller.hpp), or nothing after the request
  // ended with `forbidden`: it names a claim the caller does not have.
  std::optional<std::string> fill(const config::request_template& t,
                                  config::request_template::escape how);
  // Ends the request with the route's fallback instead of a failure, when
  // `trigger` is among its fallback_on and nothing was streamed yet.
  bool fell_back(config::fallback_trigger trigger);
  // Ends the request with an error frame, counted in sluice_errors_total.
  void fail(ec code, std::string_view message, request_outcome outcome = request_outcome::error,
            unsigned status = 0);

 private:
  counted_job counted_;  // sluice_jobs_active
  job_deadline deadline_;
  caf::event_based_actor* self_;
  job_request req_;
  std::optional<upstream_attempts> attempts_;
  const config::route_config* route_ = nullptr;
  std::uint32_t attempt_ = 0;  // numbers the attempts, for their timeouts
  bool accepted_ = false;
  bool accepted_owes_credit_ = false;   // `accepted` went through the session: it returns credit
  bool done_ = false;                   // the last frame went out
  std::unique_ptr<job_driver> driver_;  // last: destroyed first, while the rest still exists

  void start_attempt();
  bool within_quota(const std::string& frame);
  void on_attempt_timeout(std::uint32_t attempt);
};

// Every header's value filled in (job_shell::fill), or nothing after the
// request ended.
std::optional<std::vector<std::pair<std::string, std::string>>> fill_headers(
    job_shell& job, const config::templated_headers& headers);

caf::behavior job_actor(caf::stateful_actor<job_shell>* self, job_spec spec,
                        std::chrono::milliseconds timeout, job_request req,
                        transport::timer_service* timers);

}  // namespace sluice::actors
