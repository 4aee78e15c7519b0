#include "core/topic_name.hpp"

#include <gtest/gtest.h>

namespace sluice::topic_name {
namespace {

TEST(TopicName, Charset) {
  EXPECT_TRUE(valid("chat.room-1"));
  EXPECT_TRUE(valid("user:42_events"));
  EXPECT_FALSE(valid(""));
  EXPECT_FALSE(valid(".hidden"));
  EXPECT_FALSE(valid("a/b"));
  EXPECT_FALSE(valid("a b"));
  EXPECT_FALSE(valid("chat.*"));
  EXPECT_FALSE(valid(std::string(129, 'a')));
  EXPECT_TRUE(valid(std::string(128, 'a')));
}

TEST(TopicName, PatternsMatchWithStars) {
  EXPECT_TRUE(matches("*", "anything"));
  EXPECT_TRUE(matches("chat.*", "chat.room"));
  EXPECT_TRUE(matches("chat.*", "chat.a.b"));
  EXPECT_FALSE(matches("chat.*", "chat"));
  EXPECT_FALSE(matches("chat.*", "chatter.x"));
  EXPECT_TRUE(matches("*.log", "app.log"));
  EXPECT_TRUE(matches("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(matches("a*b*c", "aXXbYY"));
  EXPECT_TRUE(matches("exact", "exact"));
  EXPECT_TRUE(valid_pattern("chat.*"));
}

TEST(TopicName, Inboxes) {
  EXPECT_EQ(inbox_of("alice"), "inbox.alice");
  EXPECT_TRUE(is_inbox("inbox.alice"));
  EXPECT_FALSE(is_inbox("inboxes"));
}

}  // namespace
}  // namespace sluice::topic_name
