#include "actors/frames.hpp"

#include <gtest/gtest.h>

#include "actors/job/payload.hpp"
#include "actors/job/sse.hpp"
#include "actors/job/uppercase.hpp"
#include "actors/upstream/relay.hpp"

namespace sluice::actors {
namespace {

TEST(Frames, ServerFramesHaveTheDocumentedShapes) {
  EXPECT_EQ(frames::welcome({.session = "s-1",
                             .node = "node-a",
                             .routes = {"uppercase", "x"},
                             .default_route = "uppercase"}),
            R"({"type":"welcome","session":"s-1","node":"node-a","protocol":1,)"
            R"("routes":["uppercase","x"],"default_route":"uppercase"})");
  EXPECT_EQ(frames::welcome({.session = "s-1", .node = "n"}),
            R"({"type":"welcome","session":"s-1","node":"n","protocol":1,"routes":[],)"
            R"("default_route":null})");
  EXPECT_EQ(frames::welcome({.session = "s-1", .node = "n", .inbox = "inbox.c1", .resume = "00ff"}),
            R"({"type":"welcome","session":"s-1","node":"n","protocol":1,"routes":[],)"
            R"("default_route":null,"inbox":"inbox.c1","resume":"00ff"})");
  EXPECT_EQ(frames::with_session(R"({"type":"final","id":1})", "s-2"),
            R"({"type":"final","id":1,"session":"s-2"})");
  EXPECT_EQ(frames::progress(R"("r1")", 2, 3),
            R"({"type":"progress","id":"r1","step":2,"steps":3})");
  EXPECT_EQ(frames::final_result("7", "HI \"X\""),
            R"({"type":"final","id":7,"result":"HI \"X\""})");
  EXPECT_EQ(frames::error(ec::unknown_route, "no route", R"("a")"),
            R"({"type":"error","id":"a","code":"unknown_route","message":"no route"})");
  EXPECT_EQ(frames::error(ec::invalid_json, "bad"),
            R"({"type":"error","code":"invalid_json","message":"bad"})");
  EXPECT_EQ(frames::pong(""), R"({"type":"pong"})");
  EXPECT_EQ(frames::pong("3"), R"({"type":"pong","id":3})");
}

TEST(Uppercase, AsciiLettersOnly) {
  EXPECT_EQ(to_upper_ascii("hello world"), "HELLO WORLD");
  EXPECT_EQ(to_upper_ascii("caf\xc3\xa9 42!"), "CAF\xc3\xa9 42!");
}

TEST(UpstreamRelay, TypeFieldDecidesTheKind) {
  using kind = relayed_message::kind;
  EXPECT_EQ(classify_upstream_json(R"({"type":"token","t":"a"})").type, kind::token);
  EXPECT_EQ(classify_upstream_json(R"({"type":"final"})").type, kind::final);
  EXPECT_EQ(classify_upstream_json(R"({"type":"error"})").type, kind::error);
  EXPECT_EQ(classify_upstream_json(R"({"type":"anything"})").type, kind::progress);
  EXPECT_EQ(classify_upstream_json(R"({"kind":"final","type":"token"})", "kind").type, kind::final);
  EXPECT_EQ(classify_upstream_json(R"({"type":"final"})", "kind").type, kind::progress);
  EXPECT_EQ(classify_upstream_json("[1]").type, kind::invalid);
  EXPECT_EQ(classify_upstream_json(R"({ "a" : 1 })").data, R"({"a":1})");
}

TEST(SseBody, TemplateTakesPayloadAndText) {
  EXPECT_EQ(render_body(R"({"prompt": {{text}}, "raw": {{payload}}})", R"({"text":"a \"q\""})"),
            R"({"prompt": "a \"q\"", "raw": {"text":"a \"q\""}})");
  EXPECT_EQ(render_body("{{text}}", "42"), "null");
}

TEST(Payload, TextFromStringOrObject) {
  EXPECT_EQ(payload_text(R"("hi")"), "hi");
  EXPECT_EQ(payload_text(R"({"text":"hi","more":1})"), "hi");
  EXPECT_FALSE(payload_text("null"));
  EXPECT_FALSE(payload_text(R"({"text":1})"));
  EXPECT_FALSE(payload_text("[]"));
}

}  // namespace
}  // namespace sluice::actors
