#include "actors/topic/store/history_budget.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "actors/topic/store/history.hpp"
#include "protocol/topic_frames.hpp"

namespace sluice::actors {
namespace {

using namespace std::chrono_literals;

log_record event(std::size_t bytes) {
  std::string data(bytes + 2, 'x');  // a JSON string of `bytes` characters
  data.front() = data.back() = '"';
  return {0, 1000, static_cast<std::uint8_t>(protocol::frames::record_kind::event),
          std::move(data)};
}

TEST(HistoryBudget, CountsWhatAccountsHoldAndWhoHoldsAnything) {
  auto budget = std::make_shared<history_budget>(1000);
  auto a = budget->open([] {});
  auto b = budget->open([] {});
  a->grow(600);
  EXPECT_EQ(budget->fair_share(), 1000u);
  b->grow(500);
  EXPECT_TRUE(budget->over());
  EXPECT_FALSE(budget->overshot());
  EXPECT_EQ(budget->fair_share(), 500u);
  b->grow(100);
  EXPECT_TRUE(budget->overshot());  // more than an eighth over
  a->shrink(600);
  EXPECT_EQ(budget->used(), 600u);
  EXPECT_EQ(budget->fair_share(), 1000u);
  b.reset();  // a closed account gives everything back
  EXPECT_EQ(budget->used(), 0u);
}

TEST(HistoryBudget, AsksTheLeastRecentlyWrittenAboveTheirShareOnce) {
  auto budget = std::make_shared<history_budget>(1000);
  std::vector<int> asked;
  std::vector<std::shared_ptr<history_budget::account>> accounts;
  for (int i = 0; i < 6; ++i) accounts.push_back(budget->open([&asked, i] { asked.push_back(i); }));
  accounts[2]->grow(400);  // oldest
  accounts[0]->grow(400);
  accounts[1]->grow(100);  // under the share of 1000 / 4
  accounts[3]->grow(400);
  accounts[4]->grow(400);  // the writer
  EXPECT_EQ(budget->ask_others(*accounts[4]), 3u);
  EXPECT_EQ(asked, (std::vector<int>{2, 0, 3}));
  EXPECT_EQ(budget->ask_others(*accounts[4]), 0u);  // asks are still under way
  for (int i : {2, 0, 3}) accounts[i]->trimmed();
  accounts[2]->shrink(400);
  EXPECT_EQ(budget->ask_others(*accounts[4]), 2u);
  EXPECT_EQ(asked, (std::vector<int>{2, 0, 3, 0, 3}));
}

TEST(TopicHistory, KeepsItsBytesBoundButAlwaysTheNewest) {
  auto budget = std::make_shared<history_budget>(0);
  topic_history h{"t", 100, 0ms, 10'000, budget->open([] {})};
  for (int i = 0; i < 20; ++i) h.append(event(1000));
  EXPECT_LE(h.bytes(), 10'000u);
  EXPECT_EQ(h.last(), 20u);
  EXPECT_EQ(budget->used(), h.bytes());
  h.append(event(50'000));  // alone over the bound: it stays, by itself
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.first(), 21u);
  EXPECT_EQ(budget->used(), h.bytes());
}

TEST(TopicHistory, EvictionMayTakeEverythingButOffsetsContinue) {
  topic_history h{"t", 100, 0ms};
  for (int i = 0; i < 5; ++i) h.append(event(10));
  EXPECT_EQ(h.evict_while([] { return true; }), 5u);
  EXPECT_EQ(h.bytes(), 0u);
  EXPECT_EQ(h.newest(), nullptr);
  auto durable = h.durable_records();
  ASSERT_EQ(durable.size(), 1u);  // a marker of the last offset
  EXPECT_EQ(durable[0]->offset, 5u);
  EXPECT_EQ(static_cast<protocol::frames::record_kind>(durable[0]->kind),
            protocol::frames::record_kind::marker);
  topic_history restored{"t", 100, 0ms};
  std::vector<log_record> log;
  for (const auto* r : durable) log.push_back(*r);
  restored.restore(std::move(log));
  EXPECT_EQ(restored.last(), 5u);
  EXPECT_EQ(restored.size(), 0u);
  EXPECT_EQ(restored.append(event(1)).record.offset, 6u);
}

// Randomized: topics appending messages of random sizes in random order, and
// doing what a topic actor does when its budget is over (relieve_memory and
// on_trim, with the asks delivered later, in random order). Invariants: the
// budget's count is the sum of what histories hold; it exceeds the bound by
// at most an eighth, one message, and what topics that were asked to trim
// still hold; once every ask is handled it is within the bound; every history
// keeps consecutive offsets ending at its last.
TEST(HistoryBudget, PropertyTopicsSharingABudgetStayWithinIt) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    constexpr std::size_t bound = 200'000;
    auto budget = std::make_shared<history_budget>(bound);
    std::vector<int> pending;  // topics asked to trim, not yet handled
    std::vector<std::unique_ptr<topic_history>> topics;
    for (int i = 0; i < 8; ++i)
      topics.push_back(std::make_unique<topic_history>(
          "t", 1000, 0ms, 0, budget->open([&pending, i] { pending.push_back(i); })));
    auto give_back = [&](topic_history& h) {
      auto share = budget->fair_share();
      h.evict_while([&] { return budget->over() && h.bytes() > share; });
    };
    std::size_t largest = 0;
    for (int step = 0; step < 3000; ++step) {
      auto on_trim = [&](int i) {  // what topic_state::on_trim does
        std::erase(pending, i);
        give_back(*topics[i]);
        topics[i]->account()->trimmed();
        if (budget->over()) budget->ask_others(*topics[i]->account());
      };
      if (!pending.empty() && rng() % 3 == 0) {  // an ask arrives
        on_trim(pending[rng() % pending.size()]);
        continue;
      }
      auto i = rng() % topics.size();
      auto& h = *topics[i];
      auto bytes = std::size_t{1} + rng() % 20'000;
      const auto& m = h.append(event(bytes));
      largest = std::max(largest, message_cost(m));
      if (budget->over() && (budget->ask_others(*h.account()) == 0 || budget->overshot()))
        give_back(h);
      std::size_t sum = 0;
      for (const auto& t : topics) sum += t->bytes();
      ASSERT_EQ(sum, budget->used()) << "seed " << seed << " step " << step;
      std::size_t asked_hold = 0;
      for (auto k : pending) asked_hold += topics[k]->bytes();
      ASSERT_LE(budget->used(), bound + bound / 8 + largest + asked_hold) << "seed " << seed;
      for (const auto& t : topics)
        for (auto o = t->first(); o <= t->last(); ++o) ASSERT_NE(t->find(o), nullptr);
    }
    while (!pending.empty()) {
      auto i = pending.back();
      pending.pop_back();
      give_back(*topics[i]);
      topics[i]->account()->trimmed();
      if (budget->over()) budget->ask_others(*topics[i]->account());
    }
    EXPECT_LE(budget->used(), bound) << "seed " << seed;
  }
}

}  // namespace
}  // namespace sluice::actors
