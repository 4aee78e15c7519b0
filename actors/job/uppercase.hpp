#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include "actors/job/flow_control.hpp"
#include "actors/job/router.hpp"
#include "actors/job/support.hpp"
#include "actors/messages.hpp"
#include "config/config.hpp"

namespace sluice::actors {

// The built-in compute route: `steps` progress frames `interval` apart (the
// first at once), then a final frame whose `result` is the text in upper case
// (ASCII letters; other bytes, including UTF-8 sequences, pass unchanged).
// The payload is {"text": "…"} or a plain string.
class uppercase_job_state {
 public:
  static inline const char* name = "sluice.uppercase_job";

  explicit uppercase_job_state(caf::event_based_actor* self);
  ~uppercase_job_state();
  uppercase_job_state(const uppercase_job_state&) = delete;
  uppercase_job_state& operator=(const uppercase_job_state&) = delete;

  caf::behavior make_behavior(config::uppercase_params params, std::chrono::milliseconds timeout,
                              job_request req);

 private:
  void on_tick();
  void on_credit(std::uint32_t n);
  void schedule_next_tick();
  void on_deadline();

  counted_job counted_;  // sluice_jobs_active
  caf::event_based_actor* self_;
  config::uppercase_params params_;
  job_request req_;
  std::string text_;
  std::uint32_t step_ = 0;
  credit_window window_;
  bool waiting_for_credit_ = false;
};

caf::behavior uppercase_job(caf::stateful_actor<uppercase_job_state>* self,
                            config::uppercase_params params, std::chrono::milliseconds timeout,
                            job_request req);

// ASCII upper case; every other byte is kept.
std::string to_upper_ascii(std::string_view text);

}  // namespace sluice::actors
