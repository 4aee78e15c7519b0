#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sluice::actors
