// A topic's JetStream stream and subject: valid NATS names, one per topic.
#include <gtest/gtest.h>

#include <set>

#include "transport/nats/jetstream.hpp"

namespace sluice::transport {
namespace {

TEST(StreamNames, PrefixAndEscapedTopic) {
  auto n = names_for("SLUICE", "room.lobby");
  EXPECT_EQ(n.stream, "SLUICE_room_2Elobby");
  EXPECT_EQ(n.subject, "sluice.room_2Elobby");
}

TEST(StreamNames, OnlyCharactersNatsAllowsInNamesAndOneToken) {
  auto n = names_for("APP", "a b*c>d/e\\f_g.h~");
  for (char c : n.stream)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') << n.stream;
  EXPECT_EQ(n.subject.find('.', 4), std::string::npos) << n.subject;  // one token after the prefix
  EXPECT_EQ(n.subject.find_first_of(" *>"), std::string::npos) << n.subject;
}

TEST(StreamNames, DistinctTopicsGetDistinctStreams) {
  // '_' is escaped too, so "a_2Eb" and "a.b" cannot meet.
  std::set<std::string> streams;
  for (const char* topic : {"a.b", "a_2Eb", "a_b", "a-b", "A.b", "a.b."})
    EXPECT_TRUE(streams.insert(names_for("S", topic).stream).second) << topic;
}

}  // namespace
}  // namespace sluice::transport
