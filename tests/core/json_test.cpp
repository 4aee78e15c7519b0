#include "core/json.hpp"

#include <gtest/gtest.h>

namespace sluice::json {
namespace {

std::string quoted(std::string_view s) {
  std::string out;
  append_string(out, s);
  return out;
}

TEST(JsonString, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(quoted("line\nnext\ttab"), R"("line\nnext\ttab")");
  EXPECT_EQ(quoted(std::string_view{"\x01", 1}), R"("\u0001")");
}

TEST(JsonString, KeepsValidUtf8AndReplacesStrayBytes) {
  EXPECT_EQ(quoted("h\xc3\xa9llo \xe2\x82\xac"), "\"h\xc3\xa9llo \xe2\x82\xac\"");
  EXPECT_EQ(quoted("bad\xff"), R"("bad\ufffd")");
  EXPECT_EQ(quoted("\xc3"), R"("\ufffd")");  // truncated sequence
}

TEST(JsonObject, WritesFieldsInOrder) {
  object o;
  o.str("type", "final").raw("id", "42").num("n", std::int64_t{-3}).boolean("ok", true);
  EXPECT_EQ(o.finish(), R"({"type":"final","id":42,"n":-3,"ok":true})");
}

TEST(JsonObject, UnsignedNumbersKeepEveryBit) {
  // Offsets and epochs are unsigned 64-bit: written as they are, not through int64.
  EXPECT_EQ(object{}.num("offset", std::uint64_t{18446744073709551615u}).finish(),
            R"({"offset":18446744073709551615})");
}

TEST(JsonObject, EmptyObjectAndDoubles) {
  EXPECT_EQ(object{}.finish(), "{}");
  EXPECT_EQ(object{}.num("x", 0.5).finish(), R"({"x":0.5})");
}

}  // namespace
}  // namespace sluice::json
