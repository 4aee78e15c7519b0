#include <gtest/gtest.h>

#include "transport/upstream/sse_upstream.hpp"

namespace sluice::transport {
namespace {

std::vector<std::string> events(sse_parser& p) {
  std::vector<std::string> out;
  std::string data;
  while (p.next(data)) out.push_back(data);
  return out;
}

TEST(SseParser, SplitsEventsFedInPieces) {
  sse_parser p{1024};
  EXPECT_TRUE(p.feed("data: {\"token\":"));
  EXPECT_TRUE(events(p).empty());
  EXPECT_TRUE(p.feed(" \"a\"}\n\ndata: {\"done\": true}\r\n\r\n"));
  EXPECT_EQ(events(p), (std::vector<std::string>{R"({"token": "a"})", R"({"done": true})"}));
}

TEST(SseParser, JoinsDataLinesAndSkipsOtherFields) {
  sse_parser p{1024};
  p.feed(": a comment\n\nevent: tick\nid: 7\ndata: one\ndata:two\nretry: 5\n\n");
  EXPECT_EQ(events(p), (std::vector<std::string>{"one\ntwo"}));
}

TEST(SseParser, RefusesAnEventOverTheLimit) {
  sse_parser p{16};
  EXPECT_TRUE(p.feed("data: 0123456789"));
  EXPECT_FALSE(p.feed("abcdefghij"));
}

}  // namespace
}  // namespace sluice::transport
