#include "transport/protocol.hpp"

#include <gtest/gtest.h>

namespace sluice::transport {
namespace {

void expect_invalid(std::string_view frame, ec code, std::string_view message,
                    std::string_view id = {}) {
  auto m = decode_client_frame(frame);
  EXPECT_EQ(m.type, client_message_type::invalid) << frame;
  EXPECT_EQ(to_string(m.error), to_string(code)) << frame;
  EXPECT_EQ(m.error_message, message) << frame;
  EXPECT_EQ(m.id, id) << frame;
}

TEST(Decode, Request) {
  auto m = decode_client_frame(
      R"({"type":"request","id":"r1","route":"uppercase","payload":{"text": "hi"}})");
  EXPECT_EQ(m.type, client_message_type::request);
  EXPECT_EQ(m.id, R"("r1")");
  EXPECT_EQ(m.route, "uppercase");
  EXPECT_EQ(m.payload, R"({"text":"hi"})");
  EXPECT_FALSE(m.compat);
}

TEST(Decode, RequestWithIntegerIdNoRouteNoPayload) {
  auto m = decode_client_frame(R"({"type":"request","id":42})");
  EXPECT_EQ(m.type, client_message_type::request);
  EXPECT_EQ(m.id, "42");
  EXPECT_EQ(m.route, "");
  EXPECT_EQ(m.payload, "null");
}

TEST(Decode, CompatTextFrameIsDefaultRouteRequest) {
  auto m = decode_client_frame(R"({"text": "hello world"})");
  EXPECT_EQ(m.type, client_message_type::request);
  EXPECT_TRUE(m.compat);
  EXPECT_EQ(m.id, "");
  EXPECT_EQ(m.route, "");
  EXPECT_EQ(m.payload, R"({"text":"hello world"})");
}

TEST(Decode, CancelAndPing) {
  auto c = decode_client_frame(R"({"type":"cancel","id":"r1"})");
  EXPECT_EQ(c.type, client_message_type::cancel);
  EXPECT_EQ(c.id, R"("r1")");
  auto p = decode_client_frame(R"({"type":"ping"})");
  EXPECT_EQ(p.type, client_message_type::ping);
  EXPECT_EQ(p.id, "");
  EXPECT_EQ(decode_client_frame(R"({"type":"ping","id":7})").id, "7");
}

TEST(Decode, IgnoresUnknownFields) {
  auto m = decode_client_frame(R"({"type":"ping","extra":[1,2,3]})");
  EXPECT_EQ(m.type, client_message_type::ping);
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
  auto msg = decode_client_frame(R"({"type":"refresh","id":"f","token":"a.b.c"})");
  EXPECT_EQ(msg.type, client_message_type::refresh);
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
  auto m = binary_frame_message();
  EXPECT_EQ(m.type, client_message_type::invalid);
  EXPECT_EQ(m.error, ec::binary_unsupported);
}

TEST(DecodeWorker, Register) {
  auto m = decode_worker_frame(
      R"({"type":"register","token":"t","routes":["ask","sum"],"capacity":4,"name":"gpu-1"})");
  EXPECT_EQ(m.type, client_message_type::worker_register);
  EXPECT_EQ(m.routes, (std::vector<std::string>{"ask", "sum"}));
  EXPECT_EQ(m.capacity, 4u);
  EXPECT_EQ(m.token, "t");
  EXPECT_EQ(m.name, "gpu-1");
  EXPECT_EQ(decode_worker_frame(R"({"type":"register","routes":["a"]})").capacity, 1u);
}

TEST(DecodeWorker, JobUpdatesAndHeartbeat) {
  auto m = decode_worker_frame(R"({"type":"final","job":"j-1","data":{"result": "X"}})");
  EXPECT_EQ(m.type, client_message_type::worker_update);
  EXPECT_EQ(m.id, R"("j-1")");
  EXPECT_EQ(m.route, "final");
  EXPECT_EQ(m.payload, R"({"result":"X"})");
  auto e = decode_worker_frame(R"({"type":"error","job":"j-2","message":"oom"})");
  EXPECT_EQ((std::vector<std::string>{e.route, e.payload, e.error_message}),
            (std::vector<std::string>{"error", "null", "oom"}));
  EXPECT_EQ(decode_worker_frame(R"({"type":"heartbeat"})").type, client_message_type::heartbeat);
}

TEST(DecodeWorker, BadFrames) {
  struct bad {
    const char* frame;
    ec code;
    const char* message;
  };
  for (const auto& b : std::initializer_list<bad>{
           {"nope", ec::invalid_json,
            "frame is not valid JSON: Problem while parsing an atom starting with the letter 'n'"},
           {"[]", ec::invalid_frame, "a frame must be a JSON object"},
           {R"({"job":"j-1"})", ec::invalid_frame, "a worker frame needs a string `type`"},
           {R"({"type":"dance"})", ec::unknown_type, "unknown worker message type \"dance\""},
           {R"({"type":"final","data":{}})", ec::invalid_frame,
            "final needs the `job` id it belongs to"},
           {R"({"type":"register","routes":[]})", ec::invalid_frame,
            "`register` needs `routes`, a non-empty list of route names"},
           {R"({"type":"register","routes":["a",7]})", ec::invalid_frame,
            "every entry of `routes` must be a route name"},
           {R"({"type":"register","routes":["a"],"capacity":0})", ec::invalid_frame,
            "`capacity` must be a whole number from 1 to 100000"},
       }) {
    auto m = decode_worker_frame(b.frame);
    EXPECT_EQ(m.type, client_message_type::invalid) << b.frame;
    EXPECT_EQ(to_string(m.error), to_string(b.code)) << b.frame;
    EXPECT_EQ(m.error_message, b.message) << b.frame;
  }
}

}  // namespace
}  // namespace sluice::transport
