#include "actors/topic/store/history.hpp"

#include <gtest/gtest.h>

#include "protocol/topic_frames.hpp"

namespace sluice::actors {
namespace {

using namespace std::chrono_literals;

log_record event(std::string data, std::int64_t ts = 1000) {
  return {0, ts, static_cast<std::uint8_t>(protocol::frames::record_kind::event), std::move(data)};
}

TEST(TopicHistory, OffsetsAreConsecutiveFromOne) {
  topic_history h{"t", 10, 0ms};
  EXPECT_EQ(h.last(), 0u);
  EXPECT_EQ(h.first(), 1u);
  EXPECT_EQ(h.find(1), nullptr);
  EXPECT_EQ(h.append(event("1")).record.offset, 1u);
  EXPECT_EQ(h.append(event("2")).record.offset, 2u);
  EXPECT_EQ(h.first(), 1u);
  EXPECT_EQ(h.last(), 2u);
  ASSERT_NE(h.find(2), nullptr);
  EXPECT_EQ(*h.find(2)->frame, R"({"type":"event","topic":"t","offset":2,"ts":1000,"data":2})");
  EXPECT_EQ(h.find(3), nullptr);
}

TEST(TopicHistory, KeepsTheNewestMaxSize) {
  topic_history h{"t", 3, 0ms};
  for (int i = 1; i <= 5; ++i) h.append(event(std::to_string(i)));
  EXPECT_EQ(h.first(), 3u);
  EXPECT_EQ(h.last(), 5u);
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.find(2), nullptr);
  EXPECT_EQ(h.find(3)->record.data, "3");
}

TEST(TopicHistory, ZeroSizeStillKnowsTheNewest) {
  topic_history h{"t", 0, 0ms};
  h.append(event("1"));
  h.append(event("2"));
  EXPECT_EQ(h.size(), 0u);
  EXPECT_EQ(h.first(), 3u);
  EXPECT_EQ(h.last(), 2u);
  ASSERT_NE(h.newest(), nullptr);
  EXPECT_EQ(h.newest()->record.data, "2");
  ASSERT_EQ(h.durable_records().size(), 1u);  // so offsets continue after a restart
  EXPECT_EQ(h.durable_records()[0]->offset, 2u);
}

TEST(TopicHistory, ExpiresByAge) {
  topic_history h{"t", 10, 100ms};
  h.append(event("old", 1000));
  h.append(event("new", 1150));
  h.expire(1120);
  EXPECT_EQ(h.first(), 2u);
  EXPECT_EQ(h.last(), 2u);
}

TEST(TopicHistory, RestoredRecordsKeepTheirOffsets) {
  topic_history h{"t", 10, 0ms};
  auto r7 = event("7");
  r7.offset = 7;
  auto r8 = event("8");
  r8.offset = 8;
  h.restore({r7, r8});
  EXPECT_EQ(h.first(), 7u);
  EXPECT_EQ(h.last(), 8u);
  EXPECT_EQ(h.append(event("9")).record.offset, 9u);
}

TEST(TopicFrames, StreamFramesGainTopicAndOffset) {
  log_record r{5, 0, static_cast<std::uint8_t>(protocol::frames::record_kind::frame),
               R"({"type":"final","id":"r1","result":"X"})"};
  EXPECT_EQ(protocol::frames::topic_message("inbox.a", r),
            R"({"type":"final","id":"r1","result":"X","topic":"inbox.a","offset":5})");
  EXPECT_EQ(protocol::frames::gap("t", 9, 3, 5, "slow"),
            R"({"type":"gap","topic":"t","epoch":9,"from":3,"to":5,"reason":"slow"})");
  EXPECT_EQ(protocol::frames::subscribed(R"("s1")", "t", 9, 1, 0),
            R"({"type":"subscribed","id":"s1","topic":"t","epoch":9,"first":1,"last":0})");
  EXPECT_EQ(protocol::frames::published("4", "t", 12, 9),
            R"({"type":"published","id":4,"topic":"t","offset":12,"epoch":9})");
}

TEST(TopicHistory, ResetTakesAnotherNodesHistory) {
  topic_history h{"t", 10, 0ms};
  for (int i = 0; i < 5; ++i) h.append(event(std::to_string(i)));
  std::vector<log_record> theirs{{7, 1000, 0, "\"a\""}, {8, 1000, 0, "\"b\""}};
  h.reset(theirs, 8);
  EXPECT_EQ(h.first(), 7u);
  EXPECT_EQ(h.last(), 8u);
  EXPECT_EQ(h.find(8)->record.data, "\"b\"");
  EXPECT_EQ(h.append(event("c")).record.offset, 9u);
  h.reset({}, 20);  // nothing kept there, but offsets go on after 20
  EXPECT_EQ(h.size(), 0u);
  EXPECT_EQ(h.append(event("d")).record.offset, 21u);
}

}  // namespace
}  // namespace sluice::actors
