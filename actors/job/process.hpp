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
#include "transport/process_launcher.hpp"

namespace sluice::actors {

// Serves one request with one child process of a `process` upstream: the
// payload goes to its stdin; each stdout line becomes a `progress` frame
// (`json_lines`: its JSON object travels untouched in `data`, as `progress`,
// `token`, or kept for the `final`), stderr lines are `progress` frames marked
// level "error"; exit status 0 ends with `final`, anything else with
// `upstream_failed`. Lines are acknowledged to the launcher only as the
// session acknowledges their frames (flow_control.hpp), so when the client is
// behind the launcher stops reading and the process blocks on its own writes. When the job ends
// for any reason (cancel, disconnect, deadline) the process group gets
// SIGTERM, then SIGKILL after kill_grace. With `max_concurrent` the job
// first waits for a slot from the upstream's supervisor (the wait counts
// toward the deadline).
class process_job_state {
 public:
  static inline const char* name = "sluice.process_job";

  explicit process_job_state(caf::event_based_actor* self);
  ~process_job_state();
  process_job_state(const process_job_state&) = delete;
  process_job_state& operator=(const process_job_state&) = delete;

  caf::behavior make_behavior(upstream_binding upstream, std::chrono::milliseconds timeout,
                              job_request req, transport::process_launcher* launcher);

 private:
  void launch();
  void on_line(process_line& msg);
  void on_json_line(const std::string& line);
  void on_exit(const process_exit& msg);
  void on_credit(std::uint32_t n);
  void emit(std::string frame);
  void acknowledge_lines(std::uint32_t n);

  counted_job counted_;  // sluice_jobs_active
  job_deadline deadline_;
  caf::event_based_actor* self_;
  config::process_upstream_config spec_;
  job_request req_;
  std::optional<upstream_attempts> attempts_;
  transport::process_launcher* launcher_ = nullptr;
  slot_ptr slot_;  // max_concurrent; the process holds it too, until it is reaped
  std::shared_ptr<transport::process_handle> process_;
  std::string final_data_;  // json_lines: the process's own final object
};

caf::behavior process_job(caf::stateful_actor<process_job_state>* self, upstream_binding upstream,
                          std::chrono::milliseconds timeout, job_request req,
                          transport::process_launcher* launcher);

}  // namespace sluice::actors
