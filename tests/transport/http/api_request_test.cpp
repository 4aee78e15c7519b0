#include "transport/http/api_request.hpp"

#include <gtest/gtest.h>

#include <variant>

namespace sluice::transport {
namespace {

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
