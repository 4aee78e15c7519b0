// An acknowledged consumer's cursor alone: deliveries, cumulative acks,
// redelivery after ack_wait, the dead letter after max_deliver, the
// max_ack_pending bound and resuming; then a randomized comparison with a
// model that keeps one state per offset and recomputes everything.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "actors/topic/consumer_cursor.hpp"

namespace sluice::actors {
namespace {

using namespace std::chrono_literals;
using clock = consumer_cursor::clock;

std::vector<std::uint64_t> offsets(const std::vector<consumer_cursor::delivery>& d) {
  std::vector<std::uint64_t> out;
  for (const auto& x : d) out.push_back(x.offset);
  return out;
}

TEST(ConsumerCursor, SendsNewMessagesUpToMaxAckPendingAndAcksFreeRoom) {
  consumer_cursor c{{30s, 5, 3}};
  auto t = clock::time_point{} + 1h;
  EXPECT_EQ(offsets(c.due(10, t)), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_TRUE(c.due(10, t).empty());  // three out: no room
  EXPECT_EQ(c.ack(2), consumer_cursor::ack_result::ok);
  EXPECT_EQ(c.acked(), 2u);
  EXPECT_EQ(offsets(c.due(10, t)), (std::vector<std::uint64_t>{4, 5}));
  EXPECT_EQ(c.ack(9), consumer_cursor::ack_result::not_delivered);
  EXPECT_EQ(c.ack(1), consumer_cursor::ack_result::ok);  // old: nothing changes
  EXPECT_EQ(c.acked(), 2u);
}

TEST(ConsumerCursor, UnackedMessagesComeAgainAfterAckWaitThenDie) {
  consumer_cursor c{{10s, 2, 100}};
  auto t = clock::time_point{} + 1h;
  EXPECT_EQ(offsets(c.due(2, t)), (std::vector<std::uint64_t>{1, 2}));
  c.ack(1);
  EXPECT_TRUE(c.due(2, t + 9s).empty());
  auto again = c.due(2, t + 10s);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].offset, 2u);
  EXPECT_TRUE(again[0].redelivered());
  EXPECT_TRUE(c.dead(t + 19s).empty());
  EXPECT_TRUE(c.due(2, t + 25s).empty());  // delivered max_deliver times: no more
  EXPECT_EQ(c.dead(t + 20s), (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(c.acked(), 2u);  // dead counts as done
  EXPECT_EQ(c.pending(), 0u);
}

TEST(ConsumerCursor, AStoredCursorSendsWhatWasNotAcknowledgedAgainAtOnce) {
  consumer_cursor c{{30s, 5, 100}, 60, 64};
  EXPECT_EQ(c.pending(), 4u);
  auto again = c.due(66, clock::now());
  EXPECT_EQ(offsets(again), (std::vector<std::uint64_t>{61, 62, 63, 64, 65, 66}));
  EXPECT_TRUE(again[0].redelivered());
  EXPECT_FALSE(again[4].redelivered());
}

TEST(ConsumerCursor, AReconnectedConsumerGetsItsPendingMessagesAgainAtOnce) {
  consumer_cursor c{{30s, 5, 100}};
  auto t = clock::now();
  c.due(3, t);
  EXPECT_TRUE(c.due(3, t + 1s).empty());
  c.redeliver_now();
  EXPECT_EQ(c.next_timeout(), clock::time_point::min());
  auto again = c.due(3, t + 1s);
  EXPECT_EQ(offsets(again), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_TRUE(again[0].redelivered());
  EXPECT_EQ(c.next_timeout(), t + 31s);
}

TEST(ConsumerCursor, OffsetsHistoryLetGoAreSkipped) {
  consumer_cursor c{{30s, 5, 100}};
  c.due(3, clock::now());
  EXPECT_EQ(c.skip_below(3), 2u);
  EXPECT_EQ(c.acked(), 2u);
  EXPECT_EQ(c.skip_below(10), 1u);
  EXPECT_EQ(offsets(c.due(10, clock::now())), (std::vector<std::uint64_t>{10}));
}

TEST(ConsumerCursor, AConsumerResumesAfterItsLastAck) {
  consumer_cursor c{{30s, 5, 100}, 60};
  EXPECT_EQ(offsets(c.due(62, clock::now())), (std::vector<std::uint64_t>{61, 62}));
}

// The model: one state per offset.
struct model {
  enum class state { pending, acked, dead, lost };
  struct entry {
    state s;
    clock::time_point sent;
    std::uint32_t attempts;
  };
  std::map<std::uint64_t, entry> sent;  // every offset ever sent (or skipped)
  std::uint64_t start;
  std::uint64_t next_offset = start + 1;

  std::uint64_t next() const { return next_offset; }
  std::size_t pending() const {
    std::size_t n = 0;
    for (const auto& [o, e] : sent) n += e.s == state::pending;
    return n;
  }
  std::uint64_t floor() const {
    auto f = start;
    while (f + 1 < next_offset && (!sent.contains(f + 1) || sent.at(f + 1).s != state::pending))
      ++f;
    return f;
  }
};

TEST(ConsumerCursor, RandomizedAgainstAModel) {
  std::mt19937 rng{20261126};
  for (int round = 0; round < 300; ++round) {
    consumer_cursor::limits l{std::chrono::seconds(1 + rng() % 5),
                              static_cast<std::uint32_t>(1 + rng() % 3),
                              static_cast<std::uint32_t>(1 + rng() % 6)};
    std::uint64_t start = rng() % 3 == 0 ? rng() % 50 : 0;
    consumer_cursor c{l, start};
    model m{{}, start, start + 1};
    auto now = clock::time_point{} + 1h;
    std::uint64_t last = start;
    for (int op = 0; op < 80; ++op) {
      now += std::chrono::milliseconds(rng() % 3000);
      last += rng() % 3;
      switch (rng() % 5) {
        case 0: {  // due: redeliveries by offset, then new ones within the bounds
          std::size_t max_count = rng() % 2 ? 1 + rng() % 4 : 1000;
          std::vector<consumer_cursor::delivery> expected;
          for (auto& [o, e] : m.sent)
            if (expected.size() < max_count && e.s == model::state::pending &&
                e.attempts < l.max_deliver && now >= e.sent + l.ack_wait) {
              e.sent = now;
              expected.push_back({o, ++e.attempts});
            }
          while (expected.size() < max_count && m.next() <= last &&
                 m.pending() < l.max_ack_pending) {
            expected.push_back({m.next(), 1});
            m.sent.emplace(m.next(), model::entry{model::state::pending, now, 1});
            ++m.next_offset;
          }
          auto got = c.due(last, now, max_count);
          ASSERT_EQ(got.size(), expected.size()) << "round " << round << " op " << op;
          for (std::size_t i = 0; i < got.size(); ++i) {
            ASSERT_EQ(got[i].offset, expected[i].offset) << "round " << round;
            ASSERT_EQ(got[i].attempt, expected[i].attempt) << "round " << round;
          }
          break;
        }
        case 1: {  // a cumulative ack, sometimes of something never sent
          std::uint64_t offset = m.start + rng() % (m.next() - m.start + 2);
          bool sent = offset < m.next();
          ASSERT_EQ(c.ack(offset) == consumer_cursor::ack_result::ok, sent);
          if (sent)
            for (auto& [o, e] : m.sent)
              if (o <= offset && e.s == model::state::pending) e.s = model::state::acked;
          break;
        }
        case 2: {  // the consumer reconnected
          for (auto& [o, e] : m.sent)
            if (e.s == model::state::pending && e.attempts < l.max_deliver)
              e.sent = clock::time_point::min();
          c.redeliver_now();
          break;
        }
        case 3: {  // history let the oldest offsets go
          std::uint64_t first = m.floor() + rng() % 4;
          std::size_t lost = 0;
          if (first > m.floor() + 1) {
            for (auto& [o, e] : m.sent)
              if (o < first && e.s == model::state::pending) {
                e.s = model::state::lost;
                ++lost;
              }
            for (auto o = m.next(); o < first; ++o)
              m.sent.emplace(o, model::entry{model::state::lost, now, 0});
            m.next_offset = std::max(m.next_offset, first);
          }
          ASSERT_EQ(c.skip_below(first), lost) << "round " << round;
          break;
        }
        default: {  // the dead letter
          std::vector<std::uint64_t> expected;
          for (auto& [o, e] : m.sent)
            if (e.s == model::state::pending && e.attempts >= l.max_deliver &&
                now >= e.sent + l.ack_wait) {
              e.s = model::state::dead;
              expected.push_back(o);
            }
          ASSERT_EQ(c.dead(now), expected) << "round " << round;
        }
      }
      ASSERT_EQ(c.pending(), m.pending()) << "round " << round;
      ASSERT_LE(c.pending(), l.max_ack_pending);
      ASSERT_EQ(c.acked(), m.floor()) << "round " << round << " op " << op;
      ASSERT_EQ(c.sent_through(), m.next() - 1) << "round " << round;
    }
  }
}

}  // namespace
}  // namespace sluice::actors
