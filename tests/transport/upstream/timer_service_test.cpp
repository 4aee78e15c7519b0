#include "transport/upstream/timer_service.hpp"

#include "transport/upstream/io_runtime.hpp"

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
  io_runtime io;
  timer_service timers{io};
  std::promise<void> fired;
  auto handle = timers.start(10ms, [&] { fired.set_value(); });
  EXPECT_EQ(fired.get_future().wait_for(30s), std::future_status::ready);
  EXPECT_TRUE(eventually([&] { return timers.pending() == 0; }));
}

TEST(TimerService, CancelledTimerNeverFiresAndIsGoneAtOnce) {
  io_runtime io;
  timer_service timers{io};
  std::atomic<bool> fired{false};
  auto handle = timers.start(1h, [&] { fired = true; });
  EXPECT_EQ(timers.pending(), 1u);
  handle->cancel();
  // Gone without waiting for the hour: what cancel promises.
  EXPECT_TRUE(eventually([&] { return timers.pending() == 0; }));
  EXPECT_FALSE(fired);
}

TEST(TimerService, CancelRightAfterStartWins) {
  io_runtime io;
  timer_service timers{io};
  std::atomic<int> fired{0};
  // Not 0 ms: a timer that is due before cancel() is even called may fire.
  for (int i = 0; i < 100; ++i) timers.start(100ms, [&] { ++fired; })->cancel();
  EXPECT_TRUE(eventually([&] { return timers.pending() == 0; }));
  EXPECT_EQ(fired, 0);
}

// Timers share the runtime's thread with other clients and may outlive their
// service (the runtime stops later): none fires once the service is gone.
TEST(TimerService, NothingFiresOnceTheServiceIsGone) {
  io_runtime io;
  std::atomic<int> fired{0};
  {
    timer_service timers{io};
    for (int i = 0; i < 20; ++i) timers.start(50ms, [&] { ++fired; });
  }
  timer_service other{io};  // the runtime goes on for the others
  std::promise<void> later;
  auto handle = other.start(200ms, [&] { later.set_value(); });
  EXPECT_EQ(later.get_future().wait_for(30s), std::future_status::ready);
  EXPECT_EQ(fired, 0);
}

}  // namespace
}  // namespace sluice::transport
