#include "protocol/client_frames.hpp"

#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "tests/protocol/decoded_as.hpp"

namespace sluice::protocol {
namespace {

template <class Frame>
Frame as(std::string_view text) {
  return decoded_as<Frame>(decode_client_frame(text), text);
}

void expect_invalid(std::string_view frame, ec code, std::string_view message,
                    std::string_view id = {}) {
  auto m = as<invalid>(frame);
  EXPECT_EQ(to_string(m.code), to_string(code)) << frame;
  EXPECT_EQ(m.message, message) << frame;
  EXPECT_EQ(m.id, id) << frame;
}

TEST(Decode, Request) {
  auto m =
      as<request>(R"({"type":"request","id":"r1","route":"uppercase","payload":{"text": "hi"}})");
  EXPECT_EQ(m.id, R"("r1")");
  EXPECT_EQ(m.route, "uppercase");
  EXPECT_EQ(m.payload, R"({"text":"hi"})");
  EXPECT_FALSE(m.compat);
}

TEST(Decode, RequestWithIntegerIdNoRouteNoPayload) {
  auto m = as<request>(R"({"type":"request","id":42})");
  EXPECT_EQ(m.id, "42");
  EXPECT_EQ(m.route, "");
  EXPECT_EQ(m.payload, "null");
}

TEST(Decode, RequestPriority) {
  EXPECT_EQ(as<request>(R"({"type":"request","id":1})").priority, priority::normal);
  EXPECT_EQ(as<request>(R"({"type":"request","id":1,"priority":"critical"})").priority,
            priority::critical);
  EXPECT_EQ(as<request>(R"({"type":"request","id":1,"priority":"low"})").priority, priority::low);
  for (auto bad : {R"("urgent")", "3", R"("HIGH")", "null"})
    expect_invalid(std::string{R"({"type":"request","id":1,"priority":)"} + bad + "}",
                   ec::invalid_frame, R"(`priority` must be "low", "normal", "high" or "critical")",
                   "1");
}

TEST(Decode, RequestKinds) {
  EXPECT_TRUE(as<request>(R"({"type":"request","id":1})").kinds.empty());
  EXPECT_EQ(as<request>(R"({"type":"request","id":1,"kinds":["token","tool_call"]})").kinds,
            (std::vector<std::string>{"token", "tool_call"}));
  for (auto bad : {"[]", R"("token")", R"([""])", "[1]", "{}"})
    expect_invalid(std::string{R"({"type":"request","id":1,"kinds":)"} + bad + "}",
                   ec::invalid_frame,
                   "`kinds` must be a list of 1 to 32 event kinds (strings of 1 to 64 bytes)", "1");
}

TEST(Decode, CompatTextFrameIsDefaultRouteRequest) {
  auto m = as<request>(R"({"text": "hello world"})");
  EXPECT_TRUE(m.compat);
  EXPECT_EQ(m.id, "");
  EXPECT_EQ(m.route, "");
  EXPECT_EQ(m.payload, R"({"text":"hello world"})");
}

TEST(Decode, CancelAndPing) {
  EXPECT_EQ(as<cancel>(R"({"type":"cancel","id":"r1"})").id, R"("r1")");
  EXPECT_EQ(as<ping>(R"({"type":"ping"})").id, "");
  EXPECT_EQ(as<ping>(R"({"type":"ping","id":7})").id, "7");
  EXPECT_EQ(id_of(decode_client_frame(R"({"type":"ping","id":7})")), "7");
}

TEST(Decode, IgnoresUnknownFields) {
  as<ping>(R"({"type":"ping","extra":[1,2,3]})");
}

TEST(DecodeErrors, NotJson) {
  expect_invalid("hello", ec::invalid_json,
                 "frame is not valid JSON: The JSON document has an improper structure: missing "
                 "or superfluous commas, braces, missing keys, etc.");
  expect_invalid(R"({"type":"ping")", ec::invalid_json,
                 "frame is not valid JSON: The JSON document has an improper structure: missing "
                 "or superfluous commas, braces, missing keys, etc.");
  expect_invalid("", ec::invalid_json, "frame is not valid JSON: Empty: no JSON found");
}

TEST(DecodeErrors, TooDeep) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  expect_invalid(deep, ec::invalid_json, "JSON nested deeper than 64 levels");
}

TEST(Decode, Refresh) {
  auto msg = as<refresh>(R"({"type":"refresh","id":"f","token":"a.b.c"})");
  EXPECT_EQ(msg.token, "a.b.c");
  EXPECT_EQ(msg.id, R"("f")");
}

TEST(DecodeErrors, RefreshWithoutToken) {
  expect_invalid(R"({"type":"refresh"})", ec::invalid_frame,
                 "`refresh` needs a `token` (a non-empty string)");
  expect_invalid(R"({"type":"refresh","token":""})", ec::invalid_frame,
                 "`refresh` needs a `token` (a non-empty string)");
  expect_invalid(R"({"type":"refresh","token":7})", ec::invalid_frame,
                 "`refresh` needs a `token` (a non-empty string)");
}

TEST(Decode, ServiceCommands) {
  for (const char* action : {"start", "stop", "restart", "status"}) {
    auto msg = as<service_command>(std::string{R"({"type":"service_)"} + action +
                                   R"(","id":3,"name":"scraper"})");
    EXPECT_EQ((std::tuple{msg.id, msg.action, msg.name}), (std::tuple{"3", action, "scraper"}));
  }
  expect_invalid(R"({"type":"service_stop","id":1})", ec::invalid_frame,
                 "`service_stop` needs a `name` (a service)", "1");
  expect_invalid(R"({"type":"service_start","name":""})", ec::invalid_frame,
                 "`service_start` needs a `name` (a service)");
  auto list = as<service_command>(R"({"type":"service_list","id":"l"})");
  EXPECT_EQ((std::tuple{list.id, list.action, list.name}), (std::tuple{"\"l\"", "list", ""}));
  expect_invalid(R"({"type":"service_pause","name":"x"})", ec::unknown_type,
                 "unknown message type \"service_pause\"");
}

TEST(DecodeErrors, WrongShape) {
  expect_invalid("[1,2]", ec::invalid_frame, "a frame must be a JSON object");
  expect_invalid(R"("text")", ec::invalid_frame, "a frame must be a JSON object");
  expect_invalid("{}", ec::invalid_frame, "missing `type` (or `text` for the default route)");
  expect_invalid(R"({"text":5})", ec::invalid_frame, "`text` must be a string");
  expect_invalid(R"({"type":1})", ec::invalid_frame, "`type` must be a string");
  expect_invalid(R"({"type":"request"})", ec::invalid_frame, "`request` needs an `id`");
  expect_invalid(R"({"type":"cancel"})", ec::invalid_frame, "`cancel` needs an `id`");
  expect_invalid(R"({"type":"request","id":"a","route":7})", ec::invalid_frame,
                 "`route` must be a non-empty string of at most 64 bytes", R"("a")");
  expect_invalid(R"({"type":"request","id":"a","route":""})", ec::invalid_frame,
                 "`route` must be a non-empty string of at most 64 bytes", R"("a")");
}

TEST(DecodeErrors, BadIds) {
  const std::string msg = "`id` must be a non-empty string of at most 128 bytes or an integer";
  expect_invalid(R"({"type":"request","id":{}})", ec::invalid_frame, msg);
  expect_invalid(R"({"type":"request","id":1.5})", ec::invalid_frame, msg);
  expect_invalid(R"({"type":"request","id":""})", ec::invalid_frame, msg);
  expect_invalid(R"({"type":"request","id":")" + std::string(129, 'x') + "\"}", ec::invalid_frame,
                 msg);
}

TEST(DecodeErrors, UnknownTypeKeepsId) {
  expect_invalid(R"({"type":"subscribe!","id":"x"})", ec::unknown_type,
                 "unknown message type \"subscribe!\"", R"("x")");
}

TEST(DecodeErrors, BinaryFrame) {
  EXPECT_EQ(binary_frame().code, ec::binary_unsupported);
}

TEST(DecodeTopics, SubscribeWithSinceAndEpoch) {
  auto m = as<subscribe>(R"({"type":"subscribe","id":"s","topic":"chat.a","since":7,"epoch":99})");
  EXPECT_EQ(m.topic, "chat.a");
  EXPECT_EQ(m.since, 7);
  EXPECT_EQ(m.epoch, 99u);
  EXPECT_FALSE(m.batch);
  auto live = as<subscribe>(R"({"type":"subscribe","topic":"chat.a","batch":true})");
  EXPECT_EQ(live.since, -1);
  EXPECT_EQ(live.id, "");
  EXPECT_TRUE(live.batch);
}

TEST(DecodeTopics, PublishAndUnsubscribe) {
  auto p = as<publish>(R"({"type":"publish","topic":"t","data":{"a": [1, 2]}})");
  EXPECT_EQ(p.data, R"({"a":[1,2]})");
  EXPECT_EQ(p.topic, "t");
  auto u = as<unsubscribe>(R"({"type":"unsubscribe","topic":"t","id":3})");
  EXPECT_EQ(u.id, "3");
  EXPECT_EQ(u.topic, "t");
}

TEST(DecodeTopics, AcknowledgedConsumersAndTheirAcks) {
  auto c = as<subscribe>(
      R"({"type":"subscribe","topic":"jobs.a","consumer":"billing-1.x_y","ack":true})");
  EXPECT_EQ(c.consumer, "billing-1.x_y");
  EXPECT_EQ(as<subscribe>(R"({"type":"subscribe","topic":"t","ack":false})").consumer, "");
  auto a = as<ack>(R"({"type":"ack","id":4,"topic":"jobs.a","offset":60})");
  EXPECT_EQ(a.id, "4");
  EXPECT_EQ(a.topic, "jobs.a");
  EXPECT_EQ(a.offset, 60u);
  auto code_of = [](std::string_view frame) {
    return std::string{to_string(as<invalid>(frame).code)};
  };
  EXPECT_EQ(code_of(R"({"type":"subscribe","topic":"t","consumer":"c"})"), "invalid_frame");
  EXPECT_EQ(code_of(R"({"type":"subscribe","topic":"t","ack":true})"), "invalid_frame");
  EXPECT_EQ(code_of(R"({"type":"subscribe","topic":"t","consumer":"a b","ack":true})"),
            "invalid_frame");
  EXPECT_EQ(code_of(R"({"type":"subscribe","topic":"t","consumer":"","ack":true})"),
            "invalid_frame");
  EXPECT_EQ(code_of(R"({"type":"subscribe","topic":"t","consumer":7,"ack":true})"),
            "invalid_frame");
  EXPECT_EQ(code_of(R"({"type":"subscribe","topic":"t","consumer":"c","ack":1})"), "invalid_frame");
  EXPECT_EQ(code_of(R"({"type":"subscribe","topic":"t","consumer":"c","ack":true,"batch":true})"),
            "invalid_frame");
  EXPECT_EQ(code_of(R"({"type":"ack","topic":"t"})"), "invalid_offset");
  EXPECT_EQ(code_of(R"({"type":"ack","topic":"t","offset":0})"), "invalid_offset");
  EXPECT_EQ(code_of(R"({"type":"ack","topic":"t","offset":-3})"), "invalid_offset");
  EXPECT_EQ(code_of(R"({"type":"ack","topic":"t","offset":"5"})"), "invalid_offset");
  EXPECT_EQ(code_of(R"({"type":"ack","offset":5})"), "invalid_frame");
}

TEST(DecodeTopics, BadTopicFrames) {
  auto code_of = [](std::string_view frame) {
    return std::string{to_string(as<invalid>(frame).code)};
  };
  EXPECT_EQ(code_of(R"({"type":"subscribe"})"), "invalid_frame");
  EXPECT_EQ(code_of(R"({"type":"subscribe","topic":"a b"})"), "invalid_topic");
  EXPECT_EQ(code_of(R"({"type":"subscribe","topic":".x"})"), "invalid_topic");
  EXPECT_EQ(code_of(R"({"type":"subscribe","topic":"t","since":"5"})"), "invalid_offset");
  EXPECT_EQ(code_of(R"({"type":"subscribe","topic":"t","since":-1})"), "invalid_offset");
  EXPECT_EQ(code_of(R"({"type":"subscribe","topic":"t","since":1.5})"), "invalid_offset");
  EXPECT_EQ(code_of(R"({"type":"subscribe","topic":"t","epoch":0})"), "invalid_frame");
  EXPECT_EQ(code_of(R"({"type":"subscribe","topic":"t","batch":1})"), "invalid_frame");
  EXPECT_EQ(code_of(R"({"type":"publish","topic":"t"})"), "invalid_frame");
  EXPECT_EQ(code_of(R"({"type":"unsubscribe","topic":7})"), "invalid_frame");
}

}  // namespace
}  // namespace sluice::protocol
