#include "transport/upstream/timer_service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace sluice::transport {
namespace {

using namespace std::chrono_literals;

// Polls until `done` (bounded, only to avoid hanging).
template <class F>
bool eventually(F done) {
  for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(5ms);
  return done();
}

TEST(TimerService, FiresOnceDue) {
  timer_service timers;
  std::promise<void> fired;
  auto handle = timers.start(10ms, [&] { fired.set_value(); });
  EXPECT_EQ(fired.get_future().wait_for(30s), std::future_status::ready);
  EXPECT_TRUE(eventually([&] { return timers.pending() == 0; }));
}

TEST(TimerService, CancelledTimerNeverFiresAndIsGoneAtOnce) {
  timer_service timers;
  std::atomic<bool> fired{false};
  auto handle = timers.start(1h, [&] { fired = true; });
  EXPECT_EQ(timers.pending(), 1u);
  handle->cancel();
  // Gone without waiting for the hour: what cancel promises.
  EXPECT_TRUE(eventually([&] { return timers.pending() == 0; }));
  EXPECT_FALSE(fired);
}

TEST(TimerService, CancelRightAfterStartWins) {
  timer_service timers;
  std::atomic<int> fired{0};
  // Not 0 ms: a timer that is due before cancel() is even called may fire.
  for (int i = 0; i < 100; ++i) timers.start(100ms, [&] { ++fired; })->cancel();
  EXPECT_TRUE(eventually([&] { return timers.pending() == 0; }));
  EXPECT_EQ(fired, 0);
}

}  // namespace
}  // namespace sluice::transport
