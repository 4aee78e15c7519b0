#include <gtest/gtest.h>

#include "actors/job/drivers/payload.hpp"
#include "actors/job/drivers/sse.hpp"
#include "actors/job/drivers/uppercase.hpp"
#include "actors/upstream/relay.hpp"

namespace sluice::actors {
namespace {

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
