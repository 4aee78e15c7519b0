#include "bench/client/protocol.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::bench {
namespace {

struct fed {
  std::vector<std::string> messages, replies;
  bool ok = true;
};

fed feed(protocol_stream& p, std::string_view frame) {
  fed f;
  f.ok = p.feed(
      frame, [&](std::string_view m) { f.messages.emplace_back(m); },
      [&](std::string r) { f.replies.push_back(std::move(r)); });
  return f;
}

TEST(BenchProtocol, NatsMessagesMaySpanFramesAndPingsAreAnswered) {
  protocol_stream nats{wire::nats};
  auto first = feed(nats, "INFO {}\r\nMSG t 1 5\r\nhello\r\nMSG t 1 6\r\nwor");
  EXPECT_EQ(first.messages, std::vector<std::string>{"hello"});
  auto second = feed(nats, "ld!\r\nPING\r\nPONG\r\n");
  EXPECT_EQ(second.messages, std::vector<std::string>{"world!"});
  EXPECT_EQ(second.replies, std::vector<std::string>{"PONG\r\n"});
  EXPECT_TRUE(nats.confirmed());
  EXPECT_FALSE(feed(nats, "-ERR 'Authorization Violation'\r\n").ok);
}

TEST(BenchProtocol, MqttPublishesAreReadAcrossFramesAfterTheSubscriptionIsAcknowledged) {
  protocol_stream mqtt{wire::mqtt};
  auto publish = mqtt.publish("t", "payload");
  EXPECT_EQ(publish, std::string("\x30\x0a\x00\x01tpayload", 12));
  EXPECT_TRUE(feed(mqtt, std::string("\x20\x02\x00\x00\x90\x03\x00\x01\x00", 9)).ok);
  EXPECT_TRUE(mqtt.confirmed());
  auto part = feed(mqtt, publish.substr(0, 5));
  EXPECT_TRUE(part.messages.empty());
  auto rest = feed(mqtt, publish.substr(5) + publish);
  EXPECT_EQ(rest.messages, (std::vector<std::string>{"payload", "payload"}));
  protocol_stream refused{wire::mqtt};
  EXPECT_FALSE(feed(refused, std::string("\x20\x02\x00\x05", 4)).ok);  // not authorized
}

TEST(BenchProtocol, JsonFramesCarryTheirDataString) {
  protocol_stream sluice{wire::sluice};
  EXPECT_EQ(sluice.publish("bench", "42|x"), R"({"type":"publish","topic":"bench","data":"42|x"})");
  EXPECT_TRUE(feed(sluice, R"({"type":"subscribed","topic":"bench"})").ok);
  EXPECT_TRUE(sluice.confirmed());
  auto event = feed(sluice, R"({"type":"event","topic":"bench","offset":3,"data":"42|x"})");
  EXPECT_EQ(event.messages, std::vector<std::string>{"42|x"});
  EXPECT_FALSE(feed(sluice, R"({"type":"error","code":"topic_forbidden"})").ok);
}

TEST(BenchProtocol, SluiceBatchSubscribesForSeveralEventsPerFrameAndReadsEachLine) {
  protocol_stream batch{wire::sluice_batch};
  EXPECT_EQ(batch.hello("bench", true),
            std::vector<std::string>{R"({"type":"subscribe","topic":"bench","batch":true})"});
  auto events = feed(batch, R"({"type":"event","topic":"bench","offset":1,"data":"1|a"})"
                            "\n"
                            R"({"type":"event","topic":"bench","offset":2,"data":"2|b"})");
  EXPECT_EQ(events.messages, (std::vector<std::string>{"1|a", "2|b"}));
}

}  // namespace
}  // namespace sluice::bench
