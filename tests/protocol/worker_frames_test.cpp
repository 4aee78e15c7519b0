#include "protocol/worker_frames.hpp"

#include <gtest/gtest.h>

#include "tests/protocol/decoded_as.hpp"

namespace sluice::protocol {
namespace {

template <class Frame>
Frame worker_frame_as(std::string_view text) {
  return decoded_as<Frame>(decode_worker_frame(text), text);
}

TEST(DecodeWorker, Register) {
  auto m = worker_frame_as<worker_register>(
      R"({"type":"register","token":"t","routes":["ask","sum"],"capacity":4,"name":"gpu-1"})");
  EXPECT_EQ(m.routes, (std::vector<std::string>{"ask", "sum"}));
  EXPECT_EQ(m.capacity, 4u);
  EXPECT_EQ(m.token, "t");
  EXPECT_EQ(m.name, "gpu-1");
  EXPECT_EQ(worker_frame_as<worker_register>(R"({"type":"register","routes":["a"]})").capacity, 1u);
}

TEST(DecodeWorker, JobUpdatesAndHeartbeat) {
  auto m = worker_frame_as<job_update>(R"({"type":"final","job":"j-1","data":{"result": "X"}})");
  EXPECT_EQ(m.job, R"("j-1")");
  EXPECT_EQ(m.kind, "final");
  EXPECT_EQ(m.data, R"({"result":"X"})");
  auto e = worker_frame_as<job_update>(R"({"type":"error","job":"j-2","message":"oom"})");
  EXPECT_EQ((std::vector<std::string>{e.kind, e.data, e.message}),
            (std::vector<std::string>{"error", "null", "oom"}));
  auto k = worker_frame_as<job_update>(
      R"({"type":"progress","job":"j-3","kind":"tool_call","data":{}})");
  EXPECT_EQ((std::vector<std::string>{k.kind, k.event}),
            (std::vector<std::string>{"progress", "tool_call"}));
  EXPECT_EQ(worker_frame_as<job_update>(R"({"type":"token","job":"j-3"})").event, "");
  worker_frame_as<heartbeat>(R"({"type":"heartbeat"})");
}

TEST(DecodeWorker, Publish) {
  auto p = worker_frame_as<worker_publish>(
      R"({"type":"publish","job":"j-1","topic":"results.a","data":{"n": 1},"id":"p1"})");
  EXPECT_EQ((std::vector<std::string>{p.job, p.topic, p.data, p.id}),
            (std::vector<std::string>{R"("j-1")", "results.a", R"({"n":1})", R"("p1")"}));
  EXPECT_EQ(
      worker_frame_as<worker_publish>(R"({"type":"publish","job":2,"topic":"t","data":null})").id,
      "");
  for (auto [frame, code] : std::initializer_list<std::pair<const char*, ec>>{
           {R"({"type":"publish","topic":"t","data":1})", ec::invalid_frame},
           {R"({"type":"publish","job":"j","data":1})", ec::invalid_frame},
           {R"({"type":"publish","job":"j","topic":"a b","data":1})", ec::invalid_topic},
           {R"({"type":"publish","job":"j","topic":"t"})", ec::invalid_frame},
       })
    EXPECT_EQ(to_string(worker_frame_as<invalid>(frame).code), to_string(code)) << frame;
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
           {R"({"type":"progress","job":"j-1","kind":""})", ec::invalid_frame,
            "`kind` must be a non-empty string of at most 64 bytes"},
       }) {
    auto m = worker_frame_as<invalid>(b.frame);
    EXPECT_EQ(to_string(m.code), to_string(b.code)) << b.frame;
    EXPECT_EQ(m.message, b.message) << b.frame;
  }
}

TEST(WorkerFrames, BuildersHaveTheDocumentedShapes) {
  EXPECT_EQ(worker_frames::registered("w-1", {"ask"}, 2, std::chrono::milliseconds(5000)),
            R"({"type":"registered","worker":"w-1","routes":["ask"],"capacity":2,)"
            R"("heartbeat_interval_ms":5000})");
  EXPECT_EQ(worker_frames::job(R"("j-1")", "ask", R"({"text":"a"})", 32),
            R"({"type":"job","job":"j-1","route":"ask","payload":{"text":"a"},"window":32})");
  EXPECT_EQ(worker_frames::credit(R"("j-1")", 4), R"({"type":"credit","job":"j-1","n":4})");
  EXPECT_EQ(worker_frames::cancel(R"("j-1")"), R"({"type":"cancel","job":"j-1"})");
  EXPECT_EQ(worker_frames::error(ec::unknown_job, "no such job", R"("j-9")"),
            R"({"type":"error","code":"unknown_job","message":"no such job","job":"j-9"})");
}

}  // namespace
}  // namespace sluice::protocol
