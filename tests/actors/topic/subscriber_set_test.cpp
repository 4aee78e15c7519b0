#include "actors/topic/subscriber_set.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace sluice::actors {
namespace {

using kind = subscriber_set::instruction::kind;
using instructions = subscriber_set::instructions;
using window = subscriber_set::window;

std::string show(const instructions& out) {
  std::string s;
  for (const auto& i : out) {
    static const char* names[] = {"messages", "gap", "wait", "close"};
    s += std::string{names[static_cast<int>(i.what)]} + "(" + std::to_string(i.to) + ":" +
         std::to_string(i.from) + "-" + std::to_string(i.until) + " " + std::string{i.reason} +
         ") ";
  }
  return s;
}

TEST(SubscriberSet, ATailSubscriberGetsEachAppendAsOneRange) {
  subscriber_set set{{}};
  instructions out;
  set.subscribe(7, 1, 0, 100, {1, 0}, out);
  EXPECT_TRUE(out.empty());
  set.appended({1, 3}, out);
  EXPECT_EQ(show(out), "messages(7:1-3 ) ");
  out.clear();
  set.appended({1, 4}, out);
  EXPECT_EQ(show(out), "messages(7:4-4 ) ");
  EXPECT_EQ(set.next_of(7), 5u);
}

TEST(SubscriberSet, SinceOlderThanHistoryIsAHistoryGapFirst) {
  subscriber_set set{{}};
  instructions out;
  set.subscribe(1, 3, 20, 100, {10, 20}, out);
  EXPECT_EQ(show(out), "gap(1:3-9 history) messages(1:10-20 ) ");
}

TEST(SubscriberSet, CreditBoundsWhatIsSentAndAGrantResumes) {
  subscriber_set set{{}};
  instructions out;
  set.subscribe(1, 1, 10, 4, {1, 10}, out);
  EXPECT_EQ(show(out), "messages(1:1-4 ) wait(1:5-5 ) ");
  out.clear();
  set.appended({1, 11}, out);  // waiting: nothing until granted
  EXPECT_TRUE(out.empty());
  set.grant(1, 100, {1, 11}, out);
  EXPECT_EQ(show(out), "messages(1:5-11 ) ");
}

TEST(SubscriberSet, ABlockedSubscriberResumesWhereItsConnectionStopped) {
  subscriber_set set{{}};
  instructions out;
  set.subscribe(1, 1, 0, 100, {1, 0}, out);
  set.appended({1, 10}, out);
  set.block(1, 6);  // 1-5 were written, then the connection filled up
  out.clear();
  set.appended({1, 12}, out);
  EXPECT_TRUE(out.empty());
  set.grant(1, 100, {1, 12}, out);
  EXPECT_EQ(show(out), "messages(1:6-12 ) ");
}

TEST(SubscriberSet, DropOldestSkipsAheadAndSaysSo) {
  subscriber_set set{{5, false}};
  instructions out;
  set.subscribe(1, 1, 0, 0, {1, 0}, out);  // no credit: falls behind
  set.appended({1, 3}, out);
  EXPECT_EQ(show(out), "wait(1:1-1 ) ");
  out.clear();
  set.appended({1, 9}, out);  // 9 behind, 5 allowed
  EXPECT_TRUE(out.empty());
  set.grant(1, 100, {1, 9}, out);
  EXPECT_EQ(show(out), "gap(1:1-4 slow) messages(1:5-9 ) ");
}

TEST(SubscriberSet, DisconnectClosesTheSlowOneAndForgetsIt) {
  subscriber_set set{{2, true}};
  instructions out;
  set.subscribe(1, 1, 0, 0, {1, 0}, out);
  set.subscribe(2, 1, 0, 100, {1, 0}, out);
  out.clear();
  set.appended({1, 3}, out);
  EXPECT_NE(show(out).find("close(1:1-3 slow)"), std::string::npos) << show(out);
  EXPECT_NE(show(out).find("messages(2:1-3 )"), std::string::npos) << show(out);
  EXPECT_FALSE(set.contains(1));
  EXPECT_EQ(set.size(), 1u);
}

TEST(SubscriberSet, HistoryAskedForWithSinceIsNotLag) {
  subscriber_set set{{2, true}};
  instructions out;
  set.subscribe(1, 1, 10, 3, {1, 10}, out);  // asked for 1..10, can take 3 now
  set.appended({1, 11}, out);
  EXPECT_TRUE(set.contains(1));  // 1 behind past what it asked for
  set.appended({1, 13}, out);
  EXPECT_FALSE(set.contains(1));  // 3 behind
}

TEST(SubscriberSet, RewindTellsEveryoneAndMovesCursorsBack) {
  subscriber_set set{{}};
  instructions out;
  set.subscribe(1, 1, 0, 100, {1, 0}, out);
  set.appended({1, 10}, out);
  out.clear();
  set.rewind(8, 10, "failover", {1, 12}, out);  // the new epoch parts from the old at 8
  EXPECT_EQ(show(out), "gap(1:8-10 failover) messages(1:8-12 ) ");
}

TEST(SubscriberSet, ARewindKeepsTheGapOwedForASkipBelowWhereTheEpochsPart) {
  subscriber_set set{{3, false}};
  instructions out;
  set.subscribe(1, 1, 0, 0, {1, 0}, out);
  set.appended({1, 10}, out);  // skipped 1..7 for lag, owed 8..10
  out.clear();
  set.rewind(9, 10, "failover", {1, 12}, out);
  EXPECT_EQ(show(out), "gap(1:9-10 failover) ");
  out.clear();
  set.grant(1, 100, {1, 12}, out);
  EXPECT_EQ(show(out), "gap(1:1-7 slow) messages(1:8-12 ) ");
}

// The property: whatever the interleaving of appends, trims, credit, blocks,
// subscribes with `since`, unsubscribes and rewinds, every subscriber receives
// each offset once and in order, or inside a gap it was told about; never
// more than its credit; only messages history holds; and with credit enough
// at the end, everything up to the last offset.
class model {
 public:
  struct view {
    std::uint64_t expect = 0;  // the next offset it must be sent (or told about)
    std::uint64_t credit = 0;
    std::uint64_t asked_until = 0;  // history it asked for with `since`: not lag
    bool voided = false;            // blocked within this batch: later instructions for it are void
  };

  model(std::uint32_t seed, subscriber_set::lag_policy policy)
      : rng_(seed), policy_(policy), set_(policy) {}

  void run(int steps) {
    for (int i = 0; i < steps && !::testing::Test::HasFailure(); ++i) step();
    // Settle: unlimited credit for everyone; each must end caught up.
    for (auto& [who, v] : views_) {
      v.credit = 1u << 30;
      instructions out;
      set_.grant(who, v.credit, held_, out);
      carry_out(out, false);
    }
    for (auto& [who, v] : views_)
      EXPECT_EQ(v.expect, held_.last + 1) << "subscriber " << who << " never caught up";
  }

 private:
  std::uint64_t pick(std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>{lo, hi}(rng_);
  }

  void step() {
    instructions out;
    switch (pick(0, 9)) {
      case 0:
      case 1:
      case 2: {  // publishes, maybe trimming old messages (history bounds, budget)
        held_.last += pick(0, 4) == 0 ? pick(6, 30) : pick(1, 5);  // a burst: one batch, many
        if (pick(0, 3) == 0) held_.first = std::min(held_.last + 1, held_.first + pick(1, 6));
        set_.appended(held_, out);
        break;
      }
      case 3: {  // a new subscriber, live or with `since`
        auto who = next_key_++;
        auto since = pick(0, 2) == 0 ? held_.last + 1 : pick(1, held_.last + 1);
        auto credit = pick(0, 8);
        views_[who] = {since, credit, held_.last, false};
        set_.subscribe(who, since, held_.last, credit, held_, out);
        break;
      }
      case 4: {  // one leaves
        if (views_.empty()) return;
        auto who = any();
        EXPECT_TRUE(set_.unsubscribe(who));
        views_.erase(who);
        return;
      }
      case 5:
      case 6: {  // a connection can take more
        if (views_.empty()) return;
        auto who = any();
        views_[who].credit = pick(1, 10);
        set_.grant(who, views_[who].credit, held_, out);
        break;
      }
      case 7: {  // history trimmed without a publish (budget)
        held_.first = std::min(held_.last + 1, held_.first + pick(1, 4));
        set_.pump_all(held_, out);
        break;
      }
      case 8: {  // the epoch changes: the new history parts from the old at `diverged`
        if (pick(0, 3) != 0) return;
        auto diverged = pick(held_.first, held_.last + 1);
        auto old_last = held_.last;
        held_.last = diverged - 1 + pick(0, 6);
        held_.first = std::min(held_.first, held_.last + 1);
        for (auto& [who, v] : views_) {
          (void)who;
          v.expect = std::min(v.expect, diverged);
        }
        rewinding_ = {diverged, old_last};
        set_.rewind(diverged, old_last, "failover", held_, out);
        break;
      }
      default:
        set_.appended(held_, out);
        break;
    }
    carry_out(out, true);
  }

  subscriber_set::key any() {
    auto it = views_.begin();
    std::advance(it, pick(0, views_.size() - 1));
    return it->first;
  }

  void carry_out(const instructions& out, bool may_block) {
    for (auto& [who, v] : views_) {
      (void)who;
      v.voided = false;
    }
    for (const auto& i : out) {
      auto it = views_.find(i.to);
      ASSERT_NE(it, views_.end()) << "an instruction for someone not subscribed: " << show({i});
      auto& v = it->second;
      if (v.voided && i.what != kind::close) continue;  // a close stands: it is gone here
      switch (i.what) {
        case kind::messages:
          ASSERT_EQ(i.from, v.expect) << "subscriber " << i.to << " skipped or repeated";
          ASSERT_LE(i.from, i.until);
          ASSERT_GE(i.from, held_.first) << "sent a message history no longer holds";
          ASSERT_LE(i.until, held_.last) << "sent a message not yet appended";
          ASSERT_LE(i.until - i.from + 1, v.credit) << "over its credit";
          if (may_block && pick(0, 4) == 0) {  // its connection fills up partway
            auto resume = pick(i.from, i.until + 1);
            v.credit -= resume - i.from;
            v.expect = resume;
            v.credit = 0;
            v.voided = true;
            set_.block(i.to, resume);
            break;
          }
          v.credit -= i.until - i.from + 1;
          v.expect = i.until + 1;
          break;
        case kind::gap:
          if (i.reason == "failover") {
            ASSERT_EQ(i.from, rewinding_.first);
            ASSERT_EQ(i.until, rewinding_.second);
            break;
          }
          ASSERT_EQ(i.from, v.expect) << "a gap that does not start where it stands";
          ASSERT_GE(v.credit, 1u) << "a gap over its credit";
          --v.credit;
          if (i.reason == "history") {
            ASSERT_LT(i.until, held_.first) << "history still holds it";
          } else {
            ASSERT_EQ(i.reason, "slow");
            ASSERT_NE(policy_.max_lag, 0u);
          }
          v.expect = i.until + 1;
          break;
        case kind::wait:
          EXPECT_EQ(v.credit, 0u) << "told to wait with credit left";
          break;
        case kind::close:
          ASSERT_TRUE(policy_.disconnect);
          ASSERT_GT(held_.last + 1 - std::max(v.expect, v.asked_until + 1), policy_.max_lag)
              << "closed within its allowed lag";
          views_.erase(it);
          break;
      }
    }
  }

  std::mt19937 rng_;
  subscriber_set::lag_policy policy_;
  subscriber_set set_;
  window held_{1, 0};
  std::map<subscriber_set::key, view> views_;
  subscriber_set::key next_key_ = 1;
  std::pair<std::uint64_t, std::uint64_t> rewinding_;
};

TEST(SubscriberSetProperty, EveryOffsetOnceInOrderOrInsideAGap) {
  for (std::uint32_t seed = 1; seed <= 1000 && !HasFailure(); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    model{seed, {}}.run(400);
  }
}

TEST(SubscriberSetProperty, HoldsUnderDropOldest) {
  for (std::uint32_t seed = 1; seed <= 1000 && !HasFailure(); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    model{seed, {6, false}}.run(400);
  }
}

TEST(SubscriberSetProperty, HoldsUnderDisconnect) {
  for (std::uint32_t seed = 1; seed <= 1000 && !HasFailure(); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    model{seed, {6, true}}.run(400);
  }
}

}  // namespace
}  // namespace sluice::actors
