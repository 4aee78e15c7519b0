#include "protocol/server_frames.hpp"

#include <gtest/gtest.h>

namespace sluice::protocol {
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
  EXPECT_EQ(frames::accepted(R"("r1")", "r-1", 2),
            R"({"type":"accepted","id":"r1","request":"r-1","queued":2})");
  EXPECT_EQ(frames::with_data("progress", "1", R"({"type":"tool_call"})", "tool_call"),
            R"({"type":"progress","id":1,"kind":"tool_call","data":{"type":"tool_call"}})");
  EXPECT_EQ(frames::with_data("token", "1", "{}", "token"), R"({"type":"token","id":1,"data":{}})");
  EXPECT_EQ(frames::with_timestamp(R"({"type":"final","id":1})", 1764000000123),
            R"({"type":"final","id":1,"ts":1764000000123})");
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

}  // namespace
}  // namespace sluice::protocol
