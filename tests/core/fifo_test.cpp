#include "core/fifo.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <random>

namespace sluice {
namespace {

TEST(Fifo, FirstInFirstOut) {
  fifo<int> q;
  EXPECT_TRUE(q.empty());
  for (int i = 1; i <= 3; ++i) q.push_back(i);
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.front(), 1);
  q.pop_front();
  EXPECT_EQ(q.front(), 2);
  int sum = 0;
  for (int v : q) sum += v;
  EXPECT_EQ(sum, 5);
  q.clear();
  EXPECT_TRUE(q.empty());
}

TEST(Fifo, AnElementIsReleasedWhenPopped) {
  fifo<std::shared_ptr<int>> q;
  auto p = std::make_shared<int>(7);
  q.push_back(p);
  q.push_back(std::make_shared<int>(8));
  q.pop_front();
  EXPECT_EQ(p.use_count(), 1);  // the queue no longer holds it
}

// Property: any sequence of pushes and pops behaves as std::deque does.
TEST(FifoProperty, BehavesAsADeque) {
  std::mt19937 rng{3};
  for (int round = 0; round < 200; ++round) {
    fifo<int> q;
    std::deque<int> model;
    int next = 0;
    for (int step = 0; step < 3000; ++step) {
      auto r = rng() % 10;
      if (r < 5 || model.empty()) {
        for (auto n = rng() % 40; n > 0; --n) {
          q.push_back(next);
          model.push_back(next++);
        }
      } else if (r < 9) {
        for (auto n = rng() % 50; n > 0 && !model.empty(); --n) {
          ASSERT_EQ(q.front(), model.front());
          q.pop_front();
          model.pop_front();
        }
      } else {
        q.clear();
        model.clear();
      }
      ASSERT_EQ(q.size(), model.size());
      ASSERT_EQ(q.empty(), model.empty());
      ASSERT_TRUE(std::equal(q.begin(), q.end(), model.begin(), model.end()));
    }
  }
}

}  // namespace
}  // namespace sluice
