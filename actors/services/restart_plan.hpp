#pragma once

#include <chrono>
#include <cstdint>

#include "config/services.hpp"

namespace sluice::actors {

// What a service does after its process exited by itself (not stopped): by
// its restart policy, exit code and how many restarts came in a row.
struct restart_plan {
  enum class action { stay_exited, restart, give_up };
  action what = action::stay_exited;
  std::uint32_t attempt = 0;  // restart: its number in the row (1, 2, …)
  std::chrono::milliseconds wait{0};
};

// `in_a_row`: restarts so far in this row; a run that lasted at least
// backoff_max starts a new row. The waits double from backoff_base, at most
// backoff_max; after restart_limit restarts in a row the service gives up.
restart_plan plan_restart(const config::service_config& cfg, bool success,
                          std::chrono::milliseconds ran_for, std::uint32_t in_a_row);

}  // namespace sluice::actors
