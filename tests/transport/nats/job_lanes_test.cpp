// Jobs by key on a few threads: in order per key, side by side across lanes,
// every job posted runs once, and a stop from inside a job ends cleanly.
#include "transport/nats/job_lanes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace sluice::transport {
namespace {

using namespace std::chrono_literals;

constexpr auto patience = 30s;  // only so a broken lane cannot hang the test

// Two keys that land on different lanes.
std::pair<std::string, std::string> keys_on_two_lanes(const job_lanes& lanes) {
  std::string first = "topic.0";
  for (int i = 1;; ++i) {
    auto other = "topic." + std::to_string(i);
    if (lanes.lane_of(other) != lanes.lane_of(first)) return {first, other};
  }
}

TEST(JobLanes, AJobWaitingOnOneLaneDoesNotHoldUpAnother) {
  job_lanes lanes{4};
  auto [slow, quick] = keys_on_two_lanes(lanes);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> quick_ran;
  lanes.post(slow, [released] { released.wait(); });
  lanes.post(quick, [&] { quick_ran.set_value(); });
  EXPECT_EQ(quick_ran.get_future().wait_for(patience), std::future_status::ready);
  release.set_value();
}

TEST(JobLanes, JobsOfOneKeyRunOneAfterAnother) {
  job_lanes lanes{4};
  std::promise<void> release;
  auto released = release.get_future().share();
  std::vector<int> order;  // written by the key's lane only
  lanes.post("k", [released, &order] {
    released.wait();
    order.push_back(1);
  });
  lanes.post("k", [&order] { order.push_back(2); });
  release.set_value();
  lanes.stop();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(JobLanes, StopRunsWhatWasPostedAndLaterPostsRunOnTheCaller) {
  job_lanes lanes{2};
  int ran = 0;
  std::mutex m;
  for (int i = 0; i < 50; ++i)
    lanes.post("key" + std::to_string(i), [&] {
      std::lock_guard lock{m};
      ++ran;
    });
  lanes.stop();
  EXPECT_EQ(ran, 50);
  EXPECT_TRUE(lanes.stopping());
  auto caller = std::this_thread::get_id();
  std::thread::id ran_on;
  lanes.post("late", [&] { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, caller);
}

// The owner let go from one of its own jobs: that lane runs nothing more,
// the other lanes finish what they were given, and nothing waits for itself.
TEST(JobLanes, StoppedFromItsOwnJob) {
  auto lanes = std::make_unique<job_lanes>(3);
  auto [mine, other] = keys_on_two_lanes(*lanes);
  std::promise<void> other_ran;
  std::promise<void> stopped;
  auto dropped_ran = std::make_shared<std::atomic<bool>>(false);
  lanes->post(mine, [&, mine = mine, other = other, dropped_ran] {
    lanes->post(mine, [dropped_ran] { *dropped_ran = true; });  // queued behind this job
    lanes->post(other, [&] { other_ran.set_value(); });
    lanes.reset();  // stop() and destruction, here on the lane's own thread
    stopped.set_value();
  });
  ASSERT_EQ(stopped.get_future().wait_for(patience), std::future_status::ready);
  EXPECT_EQ(other_ran.get_future().wait_for(patience), std::future_status::ready);
  EXPECT_FALSE(*dropped_ran);
}

// Randomized: keys and jobs posted from several threads, some jobs slow;
// every job runs exactly once, and each key's jobs in the order one poster
// posted them.
TEST(JobLanesProperty, EveryJobRunsOnceInOrderPerKeyAndPoster) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng{seed};
    job_lanes lanes{1 + rng() % 6};
    std::mutex m;
    std::map<std::pair<int, int>, std::vector<int>> seen;  // (poster, key) -> sequence
    constexpr int posters = 3, per_poster = 300, keys = 12;
    std::vector<std::string> names;
    for (int k = 0; k < keys; ++k) names.push_back(std::to_string(k));
    std::vector<std::thread> threads;
    for (int p = 0; p < posters; ++p) {
      threads.emplace_back([&, p, seed] {
        std::mt19937 local{seed * 31 + static_cast<unsigned>(p)};
        for (int n = 0; n < per_poster; ++n) {
          int key = static_cast<int>(local() % keys);
          bool slow = local() % 50 == 0;
          lanes.post(names[static_cast<std::size_t>(key)], [&, p, key, n, slow] {
            if (slow) std::this_thread::sleep_for(1ms);
            std::lock_guard lock{m};
            seen[{p, key}].push_back(n);
          });
        }
      });
    }
    for (auto& t : threads) t.join();
    lanes.stop();
    std::size_t total = 0;
    for (auto& [who, sequence] : seen) {
      EXPECT_TRUE(std::is_sorted(sequence.begin(), sequence.end())) << "seed " << seed;
      EXPECT_EQ(std::adjacent_find(sequence.begin(), sequence.end()), sequence.end())
          << "seed " << seed;
      total += sequence.size();
    }
    EXPECT_EQ(total, static_cast<std::size_t>(posters * per_poster)) << "seed " << seed;
  }
}

}  // namespace
}  // namespace sluice::transport
