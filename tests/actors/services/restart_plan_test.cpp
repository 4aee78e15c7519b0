// What a service does after its process exits by itself: each policy, the
// doubling waits, a new row after a long run, giving up after restart_limit;
// then random runs of exits checked against the rules.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "actors/services/restart_plan.hpp"

namespace sluice::actors {
namespace {

using namespace std::chrono_literals;
using action = restart_plan::action;

config::service_config service(config::restart_policy policy, std::uint32_t limit = 3) {
  config::service_config s;
  s.restart = policy;
  s.restart_limit = limit;
  s.backoff_base = 100ms;
  s.backoff_max = 1s;
  return s;
}

TEST(RestartPlan, EachPolicy) {
  auto never = service(config::restart_policy::never);
  EXPECT_EQ(plan_restart(never, false, 10ms, 0).what, action::stay_exited);
  auto on_failure = service(config::restart_policy::on_failure);
  EXPECT_EQ(plan_restart(on_failure, true, 10ms, 0).what, action::stay_exited);
  EXPECT_EQ(plan_restart(on_failure, false, 10ms, 0).what, action::restart);
  auto always = service(config::restart_policy::always);
  EXPECT_EQ(plan_restart(always, true, 10ms, 0).what, action::restart);
}

TEST(RestartPlan, WaitsDoubleUpToTheMaxThenItGivesUp) {
  auto s = service(config::restart_policy::always, 6);
  std::vector<std::chrono::milliseconds> waits;
  std::uint32_t row = 0;
  for (int i = 0; i < 6; ++i) {
    auto p = plan_restart(s, false, 10ms, row);
    ASSERT_EQ(p.what, action::restart);
    EXPECT_EQ(p.attempt, row + 1);
    waits.push_back(p.wait);
    row = p.attempt;
  }
  EXPECT_EQ(waits, (std::vector<std::chrono::milliseconds>{100ms, 200ms, 400ms, 800ms, 1s, 1s}));
  EXPECT_EQ(plan_restart(s, false, 10ms, row).what, action::give_up);
  // A run as long as backoff.max starts a new row.
  auto fresh = plan_restart(s, false, 1s, row);
  EXPECT_EQ(fresh.what, action::restart);
  EXPECT_EQ(fresh.attempt, 1u);
  EXPECT_EQ(fresh.wait, 100ms);
}

TEST(RestartPlan, ALimitOfZeroNeverRestarts) {
  EXPECT_EQ(plan_restart(service(config::restart_policy::always, 0), false, 10ms, 0).what,
            action::give_up);
}

TEST(RestartPlanProperty, RandomRunsFollowTheRules) {
  std::mt19937_64 rng{20261127};
  for (int run = 0; run < 500; ++run) {
    auto s = service(static_cast<config::restart_policy>(rng() % 3),
                     static_cast<std::uint32_t>(rng() % 5));
    s.backoff_base = std::chrono::milliseconds{1 + rng() % 500};
    s.backoff_max = s.backoff_base + std::chrono::milliseconds{rng() % 5000};
    std::uint32_t row = 0;
    std::chrono::milliseconds last_wait{0};
    for (int exit = 0; exit < 30; ++exit) {
      bool success = rng() % 3 == 0;
      auto ran_for = std::chrono::milliseconds{rng() % 8000};
      auto p = plan_restart(s, success, ran_for, row);
      bool wanted = s.restart == config::restart_policy::always ||
                    (s.restart == config::restart_policy::on_failure && !success);
      if (!wanted) {
        ASSERT_EQ(p.what, action::stay_exited);
        continue;
      }
      auto in_row = ran_for >= s.backoff_max ? 0u : row;
      if (in_row >= s.restart_limit) {
        ASSERT_EQ(p.what, action::give_up);
        row = 0;  // a start asked for afterwards begins a new row
        continue;
      }
      ASSERT_EQ(p.what, action::restart);
      ASSERT_EQ(p.attempt, in_row + 1);
      ASSERT_GE(p.wait, s.backoff_base);
      ASSERT_LE(p.wait, s.backoff_max);
      if (in_row > 0) {
        ASSERT_GE(p.wait, last_wait);  // never shorter within a row
      }
      last_wait = p.wait;
      row = p.attempt;
    }
  }
}

}  // namespace
}  // namespace sluice::actors
