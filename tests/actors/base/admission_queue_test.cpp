// The admission queue alone: priority order, arrival order within a priority,
// aging, places in line, skipping and stopping; then a randomized comparison
// with a plain model that sorts every waiting item by (effective priority,
// arrival) each time.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "actors/base/admission_queue.hpp"

namespace sluice::actors {
namespace {

using clock = admission_queue<int>::clock;
using namespace std::chrono_literals;

// Admits everything; returns the items in the order they were offered.
std::vector<int> drain(admission_queue<int>& q, clock::time_point now) {
  std::vector<int> out;
  q.admit(now, [&](int& item, priority, auto) {
    out.push_back(item);
    return admission::taken;
  });
  return out;
}

TEST(AdmissionQueue, HigherPriorityFirstAndArrivalOrderWithinOne) {
  admission_queue<int> q;
  auto t = clock::now();
  q.push(1, priority::low, t);
  q.push(2, priority::normal, t);
  q.push(3, priority::critical, t);
  q.push(4, priority::normal, t);
  q.push(5, priority::high, t);
  EXPECT_EQ(drain(q, t), (std::vector<int>{3, 5, 2, 4, 1}));
  EXPECT_TRUE(q.empty());
}

TEST(AdmissionQueue, PlaceInLineCountsWhatGoesFirst) {
  admission_queue<int> q;
  auto t = clock::now();
  EXPECT_EQ(q.push(1, priority::normal, t), 1u);
  EXPECT_EQ(q.push(2, priority::normal, t), 2u);
  EXPECT_EQ(q.push(3, priority::low, t), 3u);
  EXPECT_EQ(q.push(4, priority::critical, t), 1u);
  EXPECT_EQ(q.push(5, priority::high, t), 2u);
  EXPECT_EQ(q.size(), 5u);
}

TEST(AdmissionQueue, AnOldRequestRisesAboveNewerUrgentOnes) {
  admission_queue<int> q{10s};
  auto t = clock::now();
  q.push(1, priority::low, t);
  // 30 s later the low request counts as critical: it goes before critical ones that came later.
  EXPECT_EQ(q.push(2, priority::critical, t + 30s), 2u);
  EXPECT_EQ(q.push(3, priority::high, t + 30s), 3u);
  EXPECT_EQ(drain(q, t + 30s), (std::vector<int>{1, 2, 3}));
}

TEST(AdmissionQueue, WithoutAgingALowRequestWaitsForEveryUrgentOne) {
  admission_queue<int> q;
  auto t = clock::now();
  q.push(1, priority::low, t);
  q.push(2, priority::high, t + 1h);
  EXPECT_EQ(drain(q, t + 1h), (std::vector<int>{2, 1}));
}

TEST(AdmissionQueue, SkippedItemsStayAndStopEndsTheRound) {
  admission_queue<int> q;
  auto t = clock::now();
  for (int i = 1; i <= 5; ++i) q.push(i, priority::normal, t);
  std::vector<int> offered;
  q.admit(t, [&](int& item, priority, auto) {
    offered.push_back(item);
    if (item == 2) return admission::skipped;
    return item == 3 ? admission::stop : admission::taken;
  });
  EXPECT_EQ(offered, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(drain(q, t), (std::vector<int>{2, 3, 4, 5}));
}

TEST(AdmissionQueue, EachItemComesWithItsPriorityAndItsWait) {
  admission_queue<int> q{10s};
  auto t = clock::now();
  q.push(1, priority::low, t);
  q.push(2, priority::high, t + 4s);
  std::vector<std::pair<priority, clock::duration>> seen;
  q.admit(t + 5s, [&](int&, priority level, clock::duration waited) {
    seen.emplace_back(level, waited);
    return admission::taken;
  });
  // Higher priority first; each with the priority it was queued with and how long it waited.
  EXPECT_EQ(seen, (std::vector<std::pair<priority, clock::duration>>{{priority::high, 1s},
                                                                     {priority::low, 5s}}));
}

TEST(AdmissionQueue, RemoveIfTakesOutWhatItSays) {
  admission_queue<int> q;
  auto t = clock::now();
  for (int i = 1; i <= 6; ++i) q.push(i, i % 2 ? priority::low : priority::high, t);
  q.remove_if([](int& item) { return item % 3 == 0; });
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(drain(q, t), (std::vector<int>{2, 4, 1, 5}));
}

// The model: every waiting item with its priority and arrival; the admission
// order is a sort by effective priority (rising with age), then arrival.
struct model_item {
  int id;
  int level;
  clock::time_point since;
};

std::vector<model_item> model_order(std::vector<model_item> items, clock::time_point now,
                                    clock::duration step) {
  auto effective = [&](const model_item& m) {
    return std::min<int>(3, m.level + static_cast<int>((now - m.since) / step));
  };
  std::stable_sort(items.begin(), items.end(), [&](const model_item& a, const model_item& b) {
    return effective(a) > effective(b);
  });  // stable: arrival order within one effective priority
  return items;
}

TEST(AdmissionQueue, RandomizedAgainstASortingModel) {
  std::mt19937 rng{20261126};
  const auto step = 10s;
  for (int round = 0; round < 200; ++round) {
    admission_queue<int> q{step};
    std::vector<model_item> model;  // in arrival order
    auto now = clock::time_point{} + 1h;
    int next_id = 0;
    for (int op = 0; op < 60; ++op) {
      now += std::chrono::seconds(rng() % 8);
      auto choice = rng() % 10;
      if (choice < 6) {
        auto level = static_cast<int>(rng() % 4);
        auto place = q.push(next_id, static_cast<priority>(level), now);
        model.push_back({next_id++, level, now});
        auto order = model_order(model, now, step);
        auto it = std::find_if(order.begin(), order.end(),
                               [&](const model_item& m) { return m.id == next_id - 1; });
        ASSERT_EQ(place, static_cast<std::size_t>(it - order.begin()) + 1) << "round " << round;
      } else {
        // Admit a random number, skipping odd ids when `choosy`.
        auto order = model_order(model, now, step);
        bool choosy = rng() % 2;
        std::size_t budget = rng() % 4;
        std::vector<int> expected_offered, expected_taken;
        for (const auto& m : order) {
          expected_offered.push_back(m.id);
          if (choosy && m.id % 2) continue;
          expected_taken.push_back(m.id);
          if (expected_taken.size() == budget) break;
        }
        if (budget == 0) expected_offered.clear(), expected_taken.clear();
        std::vector<int> offered, taken;
        if (budget > 0)
          q.admit(now, [&](int& item, priority, auto) {
            offered.push_back(item);
            if (choosy && item % 2) return admission::skipped;
            taken.push_back(item);
            return taken.size() == budget ? admission::stop : admission::taken;
          });
        // The last one taken was answered `stop`: it stays in the queue.
        if (!taken.empty() && taken.size() == budget) expected_taken.pop_back(), taken.pop_back();
        ASSERT_EQ(offered, expected_offered) << "round " << round;
        ASSERT_EQ(taken, expected_taken) << "round " << round;
        std::erase_if(model, [&](const model_item& m) {
          return std::find(taken.begin(), taken.end(), m.id) != taken.end();
        });
      }
      ASSERT_EQ(q.size(), model.size());
    }
  }
}

}  // namespace
}  // namespace sluice::actors
