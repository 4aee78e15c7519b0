#include "actors/topic/consumer_records.hpp"

#include <gtest/gtest.h>

namespace sluice::actors {
namespace {

TEST(ConsumerRecords, RoundTripWithAnyPrincipal) {
  consumer_records r;
  r.put({"sub:alice", "billing", 60, 100});
  r.put({std::string{"key:odd \n\t\0 principal", 22}, "w.1-x_y", 0, 0});
  r.put({"sub:alice", "billing", 61, 101});  // the same consumer, moved on
  auto back = consumer_records::parse(r.serialize());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->size(), 2u);
  const auto* alice = back->find(consumer_records::key("sub:alice", "billing"));
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->acked, 61u);
  EXPECT_EQ(alice->sent, 101u);
  const auto* odd =
      back->find(consumer_records::key(std::string{"key:odd \n\t\0 principal", 22}, "w.1-x_y"));
  ASSERT_NE(odd, nullptr);
  EXPECT_EQ(odd->name, "w.1-x_y");
}

TEST(ConsumerRecords, KeysOfOnePrincipalNeverMeetAnothers) {
  EXPECT_NE(consumer_records::key("sub:a", "b"), consumer_records::key("sub:", "ab"));
  // (Names have no '\n': the protocol admits only [A-Za-z0-9_.-].)
  EXPECT_NE(consumer_records::key("sub:a\nb", "c"), consumer_records::key("sub:a", "bc"));
}

TEST(ConsumerRecords, MergingKeepsTheFurthestOfEach) {
  consumer_records mine;
  mine.put({"sub:a", "x", 10, 12});
  mine.put({"sub:a", "y", 5, 9});
  consumer_records theirs;
  theirs.put({"sub:a", "x", 8, 20});  // behind: acked less
  theirs.put({"sub:a", "y", 5, 11});  // as far, sent more
  theirs.put({"sub:b", "x", 1, 1});   // new here
  // They travel among log records, which keep everything else.
  std::vector<log_record> records{{7, 0, 0, "an event"}, consumers_record(theirs)};
  EXPECT_TRUE(take_consumers(records, mine));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].offset, 7u);
  EXPECT_FALSE(take_consumers(records, mine));
  EXPECT_EQ(mine.size(), 3u);
  EXPECT_EQ(mine.find(consumer_records::key("sub:a", "x"))->acked, 10u);
  EXPECT_EQ(mine.find(consumer_records::key("sub:a", "y"))->sent, 11u);
  EXPECT_NE(mine.find(consumer_records::key("sub:b", "x")), nullptr);
}

TEST(ConsumerRecords, DamagedFilesAndLines) {
  EXPECT_FALSE(consumer_records::parse("not a consumers file\n"));
  auto partly = consumer_records::parse(
      "sluice-consumers 1\n"
      "5 9 good 7375623a61\n"
      "x 9 bad 00\n"     // not a number
      "9 5 bad 00\n"     // acked past sent
      "1 2 bad 0g\n"     // not hex
      "1 2 bad\n"        // too few fields
      "3 4 torn 7375");  // the last line, cut short: still whole fields
  ASSERT_TRUE(partly);
  EXPECT_EQ(partly->size(), 2u);
  EXPECT_NE(partly->find(consumer_records::key("sub:a", "good")), nullptr);
}

}  // namespace
}  // namespace sluice::actors
