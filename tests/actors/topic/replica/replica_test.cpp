// The cluster replica's decisions without actors: which history wins a
// takeover, where two epochs part, and when a publish is acknowledged.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "actors/topic/replica/ack_quorum.hpp"
#include "actors/topic/replica/history_choice.hpp"
#include "protocol/topic_frames.hpp"

namespace sluice::actors {
namespace {

using namespace std::chrono_literals;

log_record event(std::uint64_t offset, std::string data) {
  return {offset, 1000, static_cast<std::uint8_t>(protocol::frames::record_kind::event),
          std::move(data)};
}

// What another node answers: its history (epoch, last) with one record.
history_copy copy(std::uint64_t epoch, std::uint64_t last, log_record record) {
  return {epoch, last, {std::move(record)}};
}

TEST(ReplicaHistory, ALaterEpochIsNewerAndAnEmptyHistoryNeverWins) {
  EXPECT_TRUE(newer(2, 1, 1, 100));
  EXPECT_TRUE(newer(1, 101, 1, 100));
  EXPECT_FALSE(newer(1, 100, 1, 100));
  EXPECT_FALSE(newer(5, 0, 1, 3));
  EXPECT_TRUE(newer(1, 1, 9, 0));
}

TEST(ReplicaHistory, EpochsPartAtTheFirstOffsetThatNamesAnotherMessage) {
  topic_history mine{"t", 100, 0ms};
  for (int i = 1; i <= 5; ++i) mine.append(event(0, std::to_string(i)));
  std::vector<log_record> theirs{event(1, "1"), event(2, "2"), event(3, "x"), event(4, "y")};
  EXPECT_EQ(diverges_at(mine, theirs, 4), 3u);
  theirs[2] = event(3, "3");
  theirs[3] = event(4, "4");
  EXPECT_EQ(diverges_at(mine, theirs, 4), 5u);  // the same up to their last: from 5 on
  EXPECT_EQ(diverges_at(mine, theirs, 9), 6u);  // they have more: mine is all common
}

TEST(ReplicaHistory, TheClaimTravelsApartFromHistory) {
  std::vector<log_record> records{
      event(1, "a"),
      {0, 0, static_cast<std::uint8_t>(protocol::frames::record_kind::claim), "d"},
      event(2, "b")};
  EXPECT_EQ(take_claim(records), "d");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(take_claim(records), "");
}

// A round begun by a node whose own history is (epoch, last).
takeover_round round_from(std::uint64_t epoch, std::uint64_t last) {
  takeover_round round;
  round.epoch = epoch;
  round.last = last;
  return round;
}

TEST(TakeoverRound, ThePreviousOwnersAnswerWinsOverANewerOne) {
  auto round = round_from(1, 3);
  round.consider(copy(2, 50, event(50, "new")), false);
  EXPECT_TRUE(round.found);
  EXPECT_EQ(round.last, 50u);
  round.consider(copy(1, 10, event(10, "owner's")), true);
  EXPECT_TRUE(round.from_owner);
  EXPECT_EQ(round.last, 10u);
  round.consider(copy(3, 90, event(90, "later")), false);  // the owner's answer stands
  EXPECT_EQ(round.last, 10u);
  EXPECT_EQ(round.records.front().data, "owner's");
}

TEST(TakeoverRound, AnOlderAnswerIsNoAnswerButItsClaimCounts) {
  auto round = round_from(5, 7);
  round.consider(copy(4, 100, event(100, "old epoch")), false);
  EXPECT_FALSE(round.found);
  round.consider(
      copy(4, 100, {0, 0, static_cast<std::uint8_t>(protocol::frames::record_kind::claim), "d"}),
      false);
  EXPECT_FALSE(round.found);
  EXPECT_EQ(round.claim, "d");
}

TEST(AckQuorum, AcknowledgedAtTheNeededConfirmationLostWhenTooFewAreLeft) {
  ack_quorum<int> q;
  EXPECT_FALSE(q.expect(1, 2, 3, 10));
  EXPECT_FALSE(q.answered(1, true));
  auto d = q.answered(1, true);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->what, ack_quorum<int>::outcome::acknowledged);
  EXPECT_EQ(d->waiter, 10);
  EXPECT_FALSE(q.answered(1, true));  // decided once

  EXPECT_FALSE(q.expect(2, 2, 3, 20));
  EXPECT_FALSE(q.answered(2, false));  // two may still confirm
  d = q.answered(2, false);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->what, ack_quorum<int>::outcome::lost);
  EXPECT_EQ(q.open(), 0u);
}

TEST(AckQuorum, DecidedAtOnceWhenNoneIsNeededOrTooFewWereAsked) {
  ack_quorum<int> q;
  EXPECT_EQ(q.expect(1, 0, 0, 1)->what, ack_quorum<int>::outcome::acknowledged);
  EXPECT_EQ(q.expect(2, 2, 1, 2)->what, ack_quorum<int>::outcome::lost);
}

// Property: in any order of answers, each publish is decided exactly once;
// acknowledged exactly when `needed` stored answers came, and then at the
// moment the last of them did; lost exactly when the stored answers plus
// the unanswered ones can no longer reach `needed`.
TEST(AckQuorumProperty, EachPublishIsDecidedOnceAndRightly) {
  std::mt19937 rng{7};
  for (int round = 0; round < 2000; ++round) {
    ack_quorum<int> q;
    struct truth {
      std::size_t needed, asked, stored = 0, answered = 0;
      bool decided = false;
    };
    std::vector<truth> pubs;
    std::vector<std::pair<int, bool>> answers;  // (publish, stored)
    for (int p = 0; p < 6; ++p) {
      auto asked = std::uniform_int_distribution<std::size_t>{1, 4}(rng);
      auto needed = std::uniform_int_distribution<std::size_t>{1, asked}(rng);
      pubs.push_back({needed, asked});
      ASSERT_FALSE(q.expect(static_cast<std::uint64_t>(p), needed, asked, p));
      for (std::size_t a = 0; a < asked; ++a) answers.emplace_back(p, rng() % 3 != 0);
    }
    std::shuffle(answers.begin(), answers.end(), rng);
    for (auto [p, stored] : answers) {
      auto& t = pubs[static_cast<std::size_t>(p)];
      ++t.answered;
      t.stored += stored ? 1 : 0;
      auto d = q.answered(static_cast<std::uint64_t>(p), stored);
      bool reached = t.stored >= t.needed;
      bool hopeless = t.stored + (t.asked - t.answered) < t.needed;
      if (t.decided) {
        ASSERT_FALSE(d) << "decided twice";
        continue;
      }
      if (reached || hopeless) {
        ASSERT_TRUE(d) << "not decided when it could be";
        EXPECT_EQ(d->waiter, p);
        EXPECT_EQ(d->what, reached ? ack_quorum<int>::outcome::acknowledged
                                   : ack_quorum<int>::outcome::lost);
        t.decided = true;
      } else {
        ASSERT_FALSE(d) << "decided too early";
      }
    }
    for (const auto& t : pubs) EXPECT_TRUE(t.decided);
    EXPECT_EQ(q.open(), 0u);
  }
}

}  // namespace
}  // namespace sluice::actors
