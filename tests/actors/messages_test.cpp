#include "actors/errors.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "actors/messages.hpp"

namespace sluice::actors {
namespace {

TEST(Errors, EveryCodeComesBackIncludingTheFirst) {
  for (int i = 0; i <= static_cast<int>(last_ec); ++i) {
    auto code = static_cast<ec>(i);
    caf::error e = make_error(code);
    EXPECT_TRUE(e) << to_string(code);  // code 0 too: CAF reads a zero code as "no error"
    EXPECT_EQ(ec_of(e), code);
  }
}

TEST(Errors, OthersAreNotOurs) {
  EXPECT_EQ(ec_of(caf::error{}), std::nullopt);
  EXPECT_EQ(ec_of(caf::make_error(caf::sec::request_timeout)), std::nullopt);
  EXPECT_EQ(message_of(caf::make_error(caf::sec::request_timeout)), "");
  EXPECT_EQ(publish_failure_of(caf::make_error(caf::sec::request_timeout)).code,
            ec::storage_failed);
}

TEST(Errors, AMessageTravelsWithTheCode) {
  auto e = make_error(ec::invalid_offset, "`since` 9 is past the last offset (3)");
  EXPECT_EQ(ec_of(e), ec::invalid_offset);
  EXPECT_EQ(message_of(e), "`since` 9 is past the last offset (3)");
  EXPECT_EQ(message_of(make_error(ec::invalid_offset)), "");
}

TEST(Errors, PublishFailuresSayWhatHappened) {
  auto lost = publish_failure_of(make_error(ec::owner_unavailable));
  EXPECT_EQ(lost.code, ec::owner_unavailable);
  EXPECT_NE(lost.message.find("may not have been published"), std::string::npos);
  EXPECT_EQ(publish_failure_of(make_error(ec::storage_failed)).code, ec::storage_failed);
}

// Errors cross nodes: what a node serializes, another reads back as the same code.
// An actor system with Sluice's message types, and a value written as one node
// writes it and read back as another node reads it.
class Wire : public ::testing::Test {
 protected:
  Wire() {
    register_message_types(cfg_);
    system_ = std::make_unique<caf::actor_system>(cfg_);
  }
  template <class T>
  T round_trip(T sent) {
    std::vector<char> buf;
    caf::binary_serializer sink{*system_, buf};
    EXPECT_FALSE(sink(sent));
    T back;
    caf::binary_deserializer source{*system_, buf};
    EXPECT_FALSE(source(back));
    return back;
  }
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> system_;
};

TEST_F(Wire, ErrorsSurviveAndRenderByName) {
  auto received = round_trip(make_error(ec::owner_unavailable, "lost"));
  EXPECT_EQ(ec_of(received), ec::owner_unavailable);
  EXPECT_EQ(message_of(received), "lost");
  EXPECT_NE(system_->render(received).find("owner_unavailable"), std::string::npos);
  // A code from a newer node that this one does not know is an internal error here.
  EXPECT_EQ(ec_of(caf::error{static_cast<std::uint8_t>(250), ec_category}), ec::internal);
}

// A topic's history crosses nodes as typed records, binary data intact.
TEST_F(Wire, HistoryCopies) {
  history_copy sent{
      7, 43, {{42, 1700000000123, 2, "{\"x\":1}"}, {43, -5, 0, std::string("bin\0ary", 7)}}};
  auto back = round_trip(sent);
  EXPECT_EQ(back.epoch, 7u);
  EXPECT_EQ(back.last, 43u);
  ASSERT_EQ(back.records.size(), 2u);
  EXPECT_EQ(back.records[0].offset, 42u);
  EXPECT_EQ(back.records[0].ts_ms, 1700000000123);
  EXPECT_EQ(back.records[0].kind, 2);
  EXPECT_EQ(back.records[0].data, sent.records[0].data);
  EXPECT_EQ(back.records[1].ts_ms, -5);
  EXPECT_EQ(back.records[1].data, sent.records[1].data);
}

// A worker's frame reaches a job on another node as it was decoded.
TEST_F(Wire, JobUpdates) {
  protocol::job_update sent{R"("j-1")", "progress", R"({"x":1})", "", "tool_call"};
  auto back = round_trip(sent);
  EXPECT_EQ((std::vector<std::string>{back.job, back.kind, back.data, back.message, back.event}),
            (std::vector<std::string>{sent.job, sent.kind, sent.data, sent.message, sent.event}));
}

// A job handed to a pool on another node keeps its priority and who asked.
TEST_F(Wire, JobAssignmentsKeepTheirPriority) {
  job_assignment sent{{},
                      "ask",
                      R"({"k":1})",
                      static_cast<std::uint8_t>(priority::critical),
                      R"({"sub":"alice","roles":[],"client_id":null})"};
  auto back = round_trip(sent);
  EXPECT_EQ((std::vector<std::string>{back.route, back.payload, back.client}),
            (std::vector<std::string>{sent.route, sent.payload, sent.client}));
  EXPECT_EQ(back.priority, sent.priority);
}

// What the cluster actors tell each other: pool capacity and lease answers.
TEST_F(Wire, PoolReportsAndLeaseAnswers) {
  auto pool = round_trip(pool_report{"gpu", {}, 3, 8, {"ask", "sum"}});
  EXPECT_EQ(pool.upstream, "gpu");
  EXPECT_EQ(pool.free, 3u);
  EXPECT_EQ(pool.capacity, 8u);
  EXPECT_EQ(pool.routes, (std::vector<std::string>{"ask", "sum"}));
  auto answer = round_trip(lease_answer{"node2", -42, {{"node1", "node2"}, {"node2"}}});
  EXPECT_EQ(answer.from, "node2");
  EXPECT_EQ(answer.sent, -42);
  EXPECT_EQ(answer.reported,
            (std::vector<std::vector<std::string>>{{"node1", "node2"}, {"node2"}}));
}

// Asked of a topic by the HTTP API; a topic's answer may come from its own
// node only, but the types are registered like every other message.
TEST_F(Wire, HistoryQueriesAndParts) {
  auto q = round_trip(history_query{7, 100, 65536, true});
  EXPECT_EQ(q.from, 7u);
  EXPECT_EQ(q.max_messages, 100u);
  EXPECT_EQ(q.max_bytes, 65536u);
  EXPECT_TRUE(q.clamp);
  auto part = round_trip(history_part{3, 5, 9, 7, R"({"offset":7},{"offset":8})", 2});
  EXPECT_EQ(part.epoch, 3u);
  EXPECT_EQ(part.first, 5u);
  EXPECT_EQ(part.last, 9u);
  EXPECT_EQ(part.from, 7u);
  EXPECT_EQ(part.messages, R"({"offset":7},{"offset":8})");
  EXPECT_EQ(part.count, 2u);
}

// The three requests that cross nodes with an actor in them.
TEST_F(Wire, JoinFollowAndAssignRequests) {
  auto join = round_trip(join_request{"node2", "proof", {}});
  EXPECT_EQ(join.node, "node2");
  EXPECT_EQ(join.proof, "proof");
  auto follow = round_trip(follow_request{{}, 4, 17});
  EXPECT_EQ(follow.epoch, 4u);
  EXPECT_EQ(follow.last, 17u);
  auto assignment = round_trip(job_assignment{{}, "ask", R"({"text":"hi"})", 1, {}});
  EXPECT_EQ(assignment.route, "ask");
  EXPECT_EQ(assignment.payload, R"({"text":"hi"})");
}

}  // namespace
}  // namespace sluice::actors
