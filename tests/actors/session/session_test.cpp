// Drives real session and job actors through the transport interfaces, with
// an in-memory client_link in place of a socket.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <caf/all.hpp>
#include <caf/forwarding_actor_proxy.hpp>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "actors/base/actor_metrics.hpp"
#include "actors/gateway/gateway.hpp"
#include "actors/job/flow_control.hpp"
#include "actors/messages.hpp"
#include "tests/actors/recording_link.hpp"

namespace sluice::actors {
namespace {

using namespace std::chrono_literals;
constexpr auto patience = 10s;  // only to avoid hanging; nothing waits this long when it works

config::config test_config(std::chrono::milliseconds interval, std::size_t max_in_flight = 16,
                           std::uint32_t steps = 2) {
  config::config cfg;
  config::route_config route;
  route.name = "uppercase";
  route.uppercase.steps = steps;
  route.uppercase.interval = interval;
  cfg.routes.push_back(route);
  cfg.default_route = "uppercase";
  cfg.server.node_name = "test-node";
  cfg.limits.max_requests_in_flight = max_in_flight;
  return cfg;
}

bool wait_until_no_jobs() {
  auto until = std::chrono::steady_clock::now() + patience;
  while (actor_metrics::get().jobs_active.value() != 0) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

class SessionTest : public ::testing::Test {
 protected:
  void start(const config::config& cfg) {
    caf_cfg_.set("scheduler.max-threads", std::size_t{2});
    register_message_types(caf_cfg_);
    system_ = std::make_unique<caf::actor_system>(caf_cfg_);
    gateway_ = std::make_unique<gateway>(*system_, cfg);
    link_ = std::make_shared<recording_link>();
    sink_ = gateway_->open(link_);
  }
  void TearDown() override {
    if (sink_) sink_->on_closed({1000, "test over"});
    sink_.reset();
    gateway_->stop();  // topics (the session's inbox) live until the gateway stops
    system_->await_all_actors_done();
    gateway_.reset();
    system_.reset();
  }
  void client_sends(std::string_view frame) {
    sink_->on_message(protocol::decode_client_frame(frame));
  }

  caf::actor_system_config caf_cfg_;  // the system keeps a reference to it
  std::unique_ptr<caf::actor_system> system_;
  std::unique_ptr<gateway> gateway_;
  std::shared_ptr<recording_link> link_;
  std::unique_ptr<transport::inbound_sink> sink_;
};

TEST_F(SessionTest, WelcomeThenProgressThenFinal) {
  start(test_config(0ms));
  client_sends(R"({"text":"hello world"})");
  auto frames = link_->frames(5);
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_TRUE(frames[0].starts_with(R"({"type":"welcome","session":"s-)"));
  EXPECT_TRUE(frames[1].starts_with(R"({"type":"accepted","id":"auto-1","request":"r-)"));
  EXPECT_TRUE(frames[1].ends_with(R"(","queued":0})"));
  EXPECT_EQ(frames[2], R"({"type":"progress","id":"auto-1","step":1,"steps":2})");
  EXPECT_EQ(frames[3], R"({"type":"progress","id":"auto-1","step":2,"steps":2})");
  EXPECT_EQ(frames[4], R"({"type":"final","id":"auto-1","result":"HELLO WORLD"})");
  EXPECT_EQ(link_->consumed_.load(), 1);  // the frame's mailbox credit went back
}

TEST_F(SessionTest, CancelEndsTheRequestAndItsJob) {
  start(test_config(1h));
  client_sends(R"({"type":"request","id":"a","payload":"x"})");
  ASSERT_EQ(link_->frames(3).size(), 3u);  // welcome, accepted, progress 1
  client_sends(R"({"type":"cancel","id":"a"})");
  auto frames = link_->frames(4);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[3],
            R"({"type":"error","id":"a","code":"cancelled","message":"cancelled by the client"})");
  EXPECT_TRUE(wait_until_no_jobs());
  client_sends(R"({"type":"cancel","id":"a"})");
  EXPECT_EQ(
      link_->frames(5).back(),
      R"({"type":"error","id":"a","code":"unknown_request","message":"no request with this id is in flight"})");
}

TEST_F(SessionTest, LimitsRequestsInFlightAndRejectsDuplicates) {
  start(test_config(1h, 1));
  client_sends(R"({"type":"request","id":1,"payload":"x"})");
  client_sends(R"({"type":"request","id":1,"payload":"x"})");
  client_sends(R"({"type":"request","id":2,"payload":"x"})");
  // welcome, accepted and progress of 1, and two errors, in any interleaving
  auto frames = link_->frames(5);
  ASSERT_EQ(frames.size(), 5u);
  std::vector<std::string> errors;
  std::copy_if(frames.begin(), frames.end(), std::back_inserter(errors),
               [](const std::string& f) { return f.starts_with(R"({"type":"error")"); });
  EXPECT_THAT(
      errors,
      ::testing::ElementsAre(
          R"({"type":"error","id":1,"code":"duplicate_id","message":"a request with this id is already in flight"})",
          R"({"type":"error","id":2,"code":"too_many_requests","message":"at most 1 requests may be in flight on one connection"})"));
}

TEST_F(SessionTest, ClosedConnectionEndsItsJobs) {
  start(test_config(1h));
  client_sends(R"({"type":"request","id":1,"payload":"x"})");
  client_sends(R"({"type":"request","id":2,"payload":"y"})");
  ASSERT_EQ(link_->frames(5).size(), 5u);  // welcome, accepted and progress of each
  EXPECT_EQ(actor_metrics::get().jobs_active.value(), 2);
  sink_->on_closed({1001, "gone"});
  sink_.reset();
  EXPECT_TRUE(wait_until_no_jobs());
  EXPECT_EQ(link_->frame_count(), 5u);  // nothing was sent after the close
}

TEST_F(SessionTest, DrainCancelsAtTheDeadlineThenCloses1001) {
  start(test_config(1h));
  client_sends(R"({"type":"request","id":"slow","payload":"x"})");
  ASSERT_EQ(link_->frames(3).size(), 3u);
  gateway_->drain(50ms);
  EXPECT_EQ(link_->wait_for_close(), 1001);
  auto frames = link_->frames(4);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(
      frames[3],
      R"({"type":"error","id":"slow","code":"shutting_down","message":"the server is shutting down and the request did not finish in time"})");
  EXPECT_TRUE(wait_until_no_jobs());
}

TEST_F(SessionTest, DrainLetsRunningRequestsFinish) {
  start(test_config(20ms));
  client_sends(R"({"type":"request","id":"r","payload":"ok"})");
  ASSERT_EQ(link_->frames(3).size(), 3u);
  gateway_->drain(10s);
  client_sends(R"({"type":"request","id":"late","payload":"x"})");
  EXPECT_EQ(link_->wait_for_close(), 1001);
  auto frames = link_->frames(6);
  ASSERT_EQ(frames.size(), 6u);
  // The late request's error and the running request's frames may interleave.
  std::vector<std::string> rest{frames.begin() + 3, frames.end()};
  EXPECT_THAT(
      rest,
      ::testing::UnorderedElementsAre(
          R"({"type":"error","id":"late","code":"shutting_down","message":"the server is shutting down"})",
          R"({"type":"progress","id":"r","step":2,"steps":2})",
          R"({"type":"final","id":"r","result":"OK"})"));
  auto at = [&](std::string_view f) { return std::find(frames.begin(), frames.end(), f); };
  EXPECT_LT(at(R"({"type":"progress","id":"r","step":2,"steps":2})"),
            at(R"({"type":"final","id":"r","result":"OK"})"));
}

}  // namespace
}  // namespace sluice::actors

namespace sluice::actors {
namespace {

TEST_F(SessionTest, CongestedClientPausesTheJobUntilWritable) {
  constexpr std::uint32_t steps = 100;
  start(test_config(0ms, 16, steps));
  link_->congested_ = true;
  client_sends(R"({"type":"request","id":"big","payload":"x"})");
  // The job may run ahead of the congested client by its credit window, no
  // further (`accepted` is not in the window).
  ASSERT_EQ(link_->frames(2 + job_credit_window).size(), 2 + job_credit_window);
  std::this_thread::sleep_for(50ms);  // give a job that ignored the window time to overrun it
  EXPECT_EQ(link_->frame_count(), 2 + job_credit_window);
  EXPECT_TRUE(link_->notice_requested_.load());
  // The client catches up: the rest of the stream follows, complete and in order.
  link_->congested_ = false;
  sink_->on_writable();
  auto frames = link_->frames(3 + steps);
  ASSERT_EQ(frames.size(), 3 + steps);
  for (std::uint32_t i = 1; i <= steps; ++i)
    EXPECT_EQ(frames[i + 1],
              R"({"type":"progress","id":"big","step":)" + std::to_string(i) + R"(,"steps":100})");
  EXPECT_EQ(frames.back(), R"({"type":"final","id":"big","result":"X"})");
}

config::config topics_config(std::size_t topic_mailbox) {
  auto cfg = test_config(0ms);
  config::topic_rule rule;
  rule.match = "t.*";
  cfg.topics.rules.push_back(rule);
  cfg.limits.topic_mailbox = topic_mailbox;
  return cfg;
}

template <class Done>
bool eventually(Done done) {
  auto until = std::chrono::steady_clock::now() + patience;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST_F(SessionTest, PublishWaitsWhileItsTopicMailboxIsFullThenGoesThrough) {
  start(topics_config(1));
  auto topic = gateway_->topics().open("t.a");
  ASSERT_TRUE(topic.mailbox);
  topic.mailbox->accepted();  // as if another publisher's message were waiting
  client_sends(R"({"type":"publish","topic":"t.a","data":1,"id":"p1"})");
  client_sends(R"({"type":"ping","id":"after"})");
  auto frames = link_->frames(2);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1], R"({"type":"pong","id":"after"})");
  ASSERT_TRUE(eventually([&] { return link_->consumed_.load() == 1; }));
  // The publish is held, not refused: no answer yet, and its frame keeps its
  // mailbox credit, so a flooding client would stop being read.
  EXPECT_EQ(link_->frame_count(), 2u);
  EXPECT_EQ(link_->consumed_.load(), 1);

  topic.mailbox->handled();  // the topic caught up
  frames = link_->frames(3);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_THAT(frames[2], ::testing::StartsWith(
                             R"({"type":"published","id":"p1","topic":"t.a","offset":1,"epoch":)"));
  EXPECT_TRUE(eventually([&] { return link_->consumed_.load() == 2; }));
}

// An actor on another node (here a proxy, as CAF makes for one) may have the
// same actor id as a local session: its down message (a follower the topic
// dropped, a lost owner) must not end that session's subscription.
TEST_F(SessionTest, ADownMessageFromAnotherNodeLeavesASubscriberWithTheSameActorId) {
  start(topics_config(16));
  client_sends(R"({"type":"subscribe","topic":"t.d","id":"s"})");
  ASSERT_EQ(link_->frames(2).size(), 2u);  // welcome, subscribed
  auto topic = gateway_->topics().find("t.d").topic;
  ASSERT_TRUE(topic);
  auto elsewhere = caf::make_node_id(4242, "0123456789abcdef0123456789abcdef01234567");
  ASSERT_TRUE(elsewhere);
  // The unused argument: CAF 0.17 binds a null reference for a function
  // actor spawned without arguments (UBSan reports it).
  auto broker =
      system_->spawn([](caf::event_based_actor*, int) -> caf::behavior { return {[](int) {}}; }, 0);
  caf::actor_config cfg;
  std::vector<caf::strong_actor_ptr> remote;  // ids 1..300: the session's is among them
  for (caf::actor_id id = 1; id <= 300; ++id) {
    remote.push_back(caf::make_actor<caf::forwarding_actor_proxy, caf::strong_actor_ptr>(
        id, *elsewhere, system_.get(), cfg, broker));
    caf::anon_send(
        topic, caf::down_msg{remote.back()->address(), caf::exit_reason::remote_link_unreachable});
  }
  client_sends(R"({"type":"publish","topic":"t.d","data":"still here","id":"p"})");
  auto frames = link_->frames(4);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_THAT(frames, ::testing::Contains(::testing::HasSubstr(R"("data":"still here")")));
  caf::anon_send_exit(broker, caf::exit_reason::user_shutdown);
}

TEST_F(SessionTest, HttpPublishToAFullTopicIsRefusedWith503) {
  start(topics_config(1));
  auto topic = gateway_->topics().open("t.h");
  topic.mailbox->accepted();
  transport::api_call call;
  call.kind = transport::api_kind::publish;
  call.topic = "t.h";
  call.data = "1";
  std::promise<transport::http_reply> answered;
  gateway_->api().handle(call, [&](transport::http_reply r) { answered.set_value(std::move(r)); });
  auto reply_future = answered.get_future();
  ASSERT_EQ(reply_future.wait_for(patience), std::future_status::ready);
  auto reply = reply_future.get();
  EXPECT_EQ(reply.status, 503u);
  EXPECT_THAT(reply.body, ::testing::HasSubstr(R"("error":"overloaded")"));
  EXPECT_THAT(reply.headers,
              ::testing::Contains(std::pair<std::string, std::string>{"Retry-After", "1"}));

  topic.mailbox->handled();
  std::promise<transport::http_reply> second;
  gateway_->api().handle(call, [&](transport::http_reply r) { second.set_value(std::move(r)); });
  auto ok_future = second.get_future();
  ASSERT_EQ(ok_future.wait_for(patience), std::future_status::ready);
  auto ok = ok_future.get();
  EXPECT_EQ(ok.status, 200u);
  EXPECT_THAT(ok.body, ::testing::HasSubstr(R"("offset":1)"));
}

}  // namespace
}  // namespace sluice::actors
