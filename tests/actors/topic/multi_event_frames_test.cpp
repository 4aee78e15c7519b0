#include "actors/topic/multi_event_frames.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace sluice::actors {
namespace {

class MultiEventFrames : public ::testing::Test {
 protected:
  // Events 1..9 of 10 bytes each ("event-0001" ...), one of 30 bytes at 10.
  MultiEventFrames() {
    for (int i = 1; i <= 9; ++i)
      events_.push_back(std::make_shared<const std::string>("event-000" + std::to_string(i)));
    events_.push_back(std::make_shared<const std::string>(std::string(30, 'x')));
  }
  multi_event_frames::frame_at_fn frame_at() {
    return [this](std::uint64_t o) -> const protocol::shared_frame& { return events_[o - 1]; };
  }
  std::vector<protocol::shared_frame> events_;
};

TEST_F(MultiEventFrames, JoinsEventsOnePerLineWhileUnderTheLimit) {
  multi_event_frames frames{32};  // three 10-byte events and two newlines fit; four do not
  auto first = frames.frame_from(1, 9, frame_at());
  EXPECT_EQ(*first.frame, "event-0001\nevent-0002\nevent-0003");
  EXPECT_EQ(first.next, 4u);
  auto tail = frames.frame_from(8, 9, frame_at());
  EXPECT_EQ(*tail.frame, "event-0008\nevent-0009");
  EXPECT_EQ(tail.next, 10u);
  auto large = frames.frame_from(10, 10, frame_at());  // over the limit alone: sent alone
  EXPECT_EQ(large.frame->size(), 30u);
  EXPECT_EQ(large.next, 11u);
}

TEST_F(MultiEventFrames, SubscribersStartingAtOneOffsetShareOneFrameUntilCleared) {
  multi_event_frames frames{64 * 1024};
  auto a = frames.frame_from(2, 9, frame_at());
  auto b = frames.frame_from(2, 9, frame_at());
  EXPECT_EQ(a.frame.get(), b.frame.get());  // built once
  EXPECT_EQ(a.next, 10u);
  // Less credit: a shorter frame of its own, and the shared one stays.
  auto shorter = frames.frame_from(2, 4, frame_at());
  EXPECT_EQ(*shorter.frame, "event-0002\nevent-0003\nevent-0004");
  EXPECT_EQ(shorter.next, 5u);
  EXPECT_EQ(frames.frame_from(2, 9, frame_at()).frame.get(), a.frame.get());
  // More credit than the shared frame holds: it still ends where it ends.
  EXPECT_EQ(frames.frame_from(2, 10, frame_at()).frame.get(), a.frame.get());
  frames.clear();
  EXPECT_NE(frames.frame_from(2, 9, frame_at()).frame.get(), a.frame.get());
}

}  // namespace
}  // namespace sluice::actors
