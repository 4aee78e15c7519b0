#include <gtest/gtest.h>

#include "transport/http/api_request.hpp"
#include "transport/protocol.hpp"
#include "transport/websocket/connect_params.hpp"

namespace sluice::transport {
namespace {

TEST(DecodeTopics, SubscribeWithSinceAndEpoch) {
  auto m =
      decode_client_frame(R"({"type":"subscribe","id":"s","topic":"chat.a","since":7,"epoch":99})");
  EXPECT_EQ(m.type, client_message_type::subscribe);
  EXPECT_EQ(m.topic, "chat.a");
  EXPECT_EQ(m.since, 7);
  EXPECT_EQ(m.epoch, 99u);
  EXPECT_FALSE(m.batch);
  auto live = decode_client_frame(R"({"type":"subscribe","topic":"chat.a","batch":true})");
  EXPECT_EQ(live.since, -1);
  EXPECT_EQ(live.id, "");
  EXPECT_TRUE(live.batch);
}

TEST(DecodeTopics, PublishAndUnsubscribe) {
  auto p = decode_client_frame(R"({"type":"publish","topic":"t","data":{"a": [1, 2]}})");
  EXPECT_EQ(p.type, client_message_type::publish);
  EXPECT_EQ(p.payload, R"({"a":[1,2]})");
  auto u = decode_client_frame(R"({"type":"unsubscribe","topic":"t","id":3})");
  EXPECT_EQ(u.type, client_message_type::unsubscribe);
  EXPECT_EQ(u.id, "3");
}

TEST(DecodeTopics, BadTopicFrames) {
  auto code_of = [](std::string_view frame) {
    auto m = decode_client_frame(frame);
    EXPECT_EQ(m.type, client_message_type::invalid) << frame;
    return std::string{to_string(m.error)};
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

TEST(ConnectParams, ClientIdSinceEpoch) {
  std::string error;
  auto p = parse_connect_params("client_id=alice&since=41&epoch=5&other=x", error);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->client_id, "alice");
  EXPECT_EQ(p->since, 41);
  EXPECT_EQ(p->epoch, 5u);
  auto none = parse_connect_params("", error);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->client_id, "");
  EXPECT_EQ(none->since, -1);
  auto resumed = parse_connect_params("client_id=a&resume=" + std::string(32, 'f'), error);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->resume, std::string(32, 'f'));
}

TEST(ConnectParams, Refusals) {
  std::string error;
  EXPECT_FALSE(parse_connect_params("client_id=a/b", error));
  EXPECT_FALSE(parse_connect_params("client_id=", error));
  EXPECT_FALSE(parse_connect_params("client_id=" + std::string(65, 'a'), error));
  EXPECT_FALSE(parse_connect_params("client_id=a&since=-3", error));
  EXPECT_FALSE(parse_connect_params("client_id=a&epoch=0", error));
  EXPECT_FALSE(parse_connect_params("since=3", error));
  EXPECT_EQ(error, "since resumes an inbox: give the client_id too");
  // ':' separates a principal's tag from its client ids.
  EXPECT_FALSE(parse_connect_params("client_id=alice:laptop", error));
  EXPECT_FALSE(parse_connect_params("resume=" + std::string(32, 'f'), error));
  EXPECT_FALSE(parse_connect_params("client_id=a&resume=" + std::string(31, 'f'), error));
  EXPECT_FALSE(parse_connect_params("client_id=a&resume=" + std::string(32, 'F'), error));
}

TEST(ApiRequest, Calls) {
  auto publish = parse_api_request("POST", "/api/publish", R"({"topic":"t","data":[1, 2]})");
  ASSERT_TRUE(std::holds_alternative<api_call>(publish));
  EXPECT_EQ(std::get<api_call>(publish).kind, api_kind::publish);
  EXPECT_EQ(std::get<api_call>(publish).data, "[1,2]");
  auto history = parse_api_request("GET", "/api/topics/chat.a/history?since=4&limit=10", "");
  ASSERT_TRUE(std::holds_alternative<api_call>(history));
  const auto& h = std::get<api_call>(history);
  EXPECT_EQ(h.kind, api_kind::topic_history);
  EXPECT_EQ(h.topic, "chat.a");
  EXPECT_EQ(h.since, 4u);
  EXPECT_EQ(h.limit, 10u);
  auto info = parse_api_request("GET", "/api/topics/chat.a", "");
  EXPECT_EQ(std::get<api_call>(info).kind, api_kind::topic_info);
  auto list = std::get<api_call>(parse_api_request("GET", "/api/topics", ""));
  EXPECT_EQ(list.kind, api_kind::list_topics);
  EXPECT_FALSE(list.inboxes);
  EXPECT_TRUE(std::get<api_call>(parse_api_request("GET", "/api/topics?inboxes", "")).inboxes);
}

TEST(ApiRequest, Errors) {
  auto status_of = [](std::string_view method, std::string_view target, std::string_view body) {
    auto r = parse_api_request(method, target, body);
    return std::holds_alternative<http_reply>(r) ? std::get<http_reply>(r).status : 0u;
  };
  EXPECT_EQ(status_of("GET", "/api/publish", ""), 405u);
  EXPECT_EQ(status_of("POST", "/api/publish", "not json"), 400u);
  EXPECT_EQ(status_of("POST", "/api/publish", R"({"topic":"a b","data":1})"), 400u);
  EXPECT_EQ(status_of("POST", "/api/publish", R"({"topic":"t"})"), 400u);
  EXPECT_EQ(status_of("GET", "/api/topics/t/history?limit=0", ""), 400u);
  EXPECT_EQ(status_of("GET", "/api/topics/t/history?limit=1000000", ""), 400u);
  EXPECT_EQ(status_of("GET", "/api/topics/t/history?since=-1", ""), 400u);
  EXPECT_EQ(status_of("GET", "/api/topics/t/history?since=abc", ""), 400u);
  EXPECT_EQ(status_of("DELETE", "/api/topics/t", ""), 405u);
  EXPECT_EQ(status_of("GET", "/api/nothing", ""), 404u);
  auto r = std::get<http_reply>(parse_api_request("POST", "/api/publish", "{"));
  EXPECT_NE(r.body.find("\"error\":\"invalid_json\""), std::string::npos);
}

}  // namespace
}  // namespace sluice::transport
