#include "actors/services/restart_plan.hpp"

#include <algorithm>

namespace sluice::actors {

restart_plan plan_restart(const config::service_config& cfg, bool success,
                          std::chrono::milliseconds ran_for, std::uint32_t in_a_row) {
  bool again = cfg.restart == config::restart_policy::always ||
               (cfg.restart == config::restart_policy::on_failure && !success);
  if (!again) return {};
  if (ran_for >= cfg.backoff_max) in_a_row = 0;  // it ran well: a new row
  if (in_a_row >= cfg.restart_limit) return {restart_plan::action::give_up, in_a_row, {}};
  auto attempt = in_a_row + 1;
  auto wait = cfg.backoff_base;
  for (std::uint32_t i = 1; i < attempt && wait < cfg.backoff_max; ++i) wait *= 2;
  return {restart_plan::action::restart, attempt, std::min(wait, cfg.backoff_max)};
}

}  // namespace sluice::actors
