// Publishes that a connection hands over together (inbound_sink::on_messages)
// go through the real session and topic actors: randomized sequences of
// publishes to several topics, refused and oversized ones and pings, cut
// into random batches, with topic mailboxes small enough that publishes must
// wait. Whatever the cuts, every frame is answered once, each topic stores
// its accepted publishes in the order sent, and its subscriber receives
// every one of them once, in order.
#include <gtest/gtest.h>
#include <caf/all.hpp>

#include <map>
#include <random>
#include <set>

#include "actors/gateway/gateway.hpp"
#include "actors/messages.hpp"
#include "tests/actors/recording_link.hpp"

namespace sluice::actors {
namespace {

constexpr std::size_t max_data_bytes = 32;

config::config batches_config(std::size_t topic_mailbox) {
  config::config cfg;
  config::route_config route;
  route.name = "uppercase";
  cfg.routes.push_back(route);
  cfg.default_route = "uppercase";
  cfg.server.node_name = "test-node";
  config::topic_rule readonly;
  readonly.match = "ro.*";
  readonly.publish = config::access_list::no_one();
  config::topic_rule open;
  open.match = "t.*";
  cfg.topics.rules = {readonly, open};
  cfg.topics.max_message_bytes = max_data_bytes;
  cfg.limits.topic_mailbox = topic_mailbox;
  return cfg;
}

// What the test sent, and what each frame should come to.
struct sent_frame {
  std::string json;
  std::string id;
  std::string topic;   // empty: a ping
  std::string answer;  // "published", "message_too_large", "topic_forbidden" or "pong"
  int data = 0;
};

// `count` frames, numbered from `first`.
std::vector<sent_frame> random_frames(std::mt19937& rng, std::size_t count, std::size_t first) {
  const std::vector<std::string> topics{"t.a", "t.b", "t.c"};
  std::vector<sent_frame> out;
  for (auto i = first; i < first + count; ++i) {
    sent_frame f;
    f.id = std::string{"f"}.append(std::to_string(i));
    auto pick = rng() % 10;
    if (pick < 7) {
      f.topic = topics[rng() % topics.size()];
      f.data = static_cast<int>(i);
      f.answer = "published";
      f.json = R"({"type":"publish","topic":")" + f.topic + R"(","data":)" +
               std::to_string(f.data) + R"(,"id":")" + f.id + R"("})";
    } else if (pick == 7) {
      f.topic = topics[rng() % topics.size()];
      f.answer = "message_too_large";
      f.json = R"({"type":"publish","topic":")" + f.topic + R"(","data":")" +
               std::string(max_data_bytes + 1, 'x') + R"(","id":")" + f.id + R"("})";
    } else if (pick == 8) {
      f.topic = "ro.x";
      f.answer = "topic_forbidden";
      f.json = R"({"type":"publish","topic":"ro.x","data":1,"id":")" + f.id + R"("})";
    } else {
      f.answer = "pong";
      f.json = R"({"type":"ping","id":")" + f.id + R"("})";
    }
    out.push_back(std::move(f));
  }
  return out;
}

// The value of top-level field `name` in a flat JSON frame, without quotes.
std::string field(const std::string& frame, const std::string& name) {
  auto key = "\"" + name + "\":";
  auto at = frame.find(key);
  if (at == std::string::npos) return {};
  at += key.size();
  if (at < frame.size() && frame[at] == '"') ++at;
  return frame.substr(at, frame.find_first_of("\",}", at) - at);
}

class PublishBatches : public ::testing::Test {
 protected:
  void start(std::size_t topic_mailbox) {
    caf_cfg_.set("scheduler.max-threads", std::size_t{2});
    register_message_types(caf_cfg_);
    system_ = std::make_unique<caf::actor_system>(caf_cfg_);
    gateway_ = std::make_unique<gateway>(*system_, batches_config(topic_mailbox));
    subscriber_ = std::make_shared<recording_link>();
    subscriber_sink_ = gateway_->open(subscriber_);
    publisher_ = std::make_shared<recording_link>();
    publisher_sink_ = gateway_->open(publisher_);
  }
  void TearDown() override {
    for (auto* sink : {&publisher_sink_, &subscriber_sink_}) (*sink)->on_closed({1000, "over"});
    publisher_sink_.reset();
    subscriber_sink_.reset();
    gateway_->stop();
    system_->await_all_actors_done();
    gateway_.reset();
    system_.reset();
  }

  caf::actor_system_config caf_cfg_;
  std::unique_ptr<caf::actor_system> system_;
  std::unique_ptr<gateway> gateway_;
  std::shared_ptr<recording_link> subscriber_, publisher_;
  std::unique_ptr<transport::inbound_sink> subscriber_sink_, publisher_sink_;
};

class PublishBatchesRound : public PublishBatches,
                            public ::testing::WithParamInterface<unsigned> {};

// Sends `frames` cut into random batches of 1 to 24.
void send_in_batches(transport::inbound_sink& sink, const std::vector<sent_frame>& frames,
                     std::mt19937& rng) {
  for (std::size_t i = 0; i < frames.size();) {
    auto n = std::min<std::size_t>(1 + rng() % 24, frames.size() - i);
    std::vector<protocol::client_frame> batch;
    for (std::size_t k = 0; k < n; ++k)
      batch.push_back(protocol::decode_client_frame(frames[i + k].json));
    if (n == 1)
      sink.on_message(std::move(batch.front()));
    else
      sink.on_messages(std::move(batch));
    i += n;
  }
}

// Rounds of frames; after each, everything it published must have been
// answered and delivered, without waiting for later traffic to push it out.
TEST_P(PublishBatchesRound, EveryFrameIsAnsweredOnceAndEveryTopicDeliversInOrder) {
  std::mt19937 rng{GetParam()};
  const std::size_t mailboxes[] = {1, 2, 3, 64};
  start(mailboxes[rng() % 4]);
  for (const char* topic : {"t.a", "t.b", "t.c"})
    subscriber_sink_->on_message(protocol::decode_client_frame(
        std::string{R"({"type":"subscribe","topic":")"} + topic + R"("})"));
  ASSERT_EQ(subscriber_->frames(4).size(), 4u);  // welcome, three subscribed

  std::vector<sent_frame> frames;
  std::map<std::string, std::vector<int>> stored;  // per topic, the data in order sent
  std::size_t events = 0;
  for (int round = 0; round < 5; ++round) {
    auto more = random_frames(rng, 30, frames.size());
    for (const auto& f : more)
      if (f.answer == "published") stored[f.topic].push_back(f.data), ++events;
    send_in_batches(*publisher_sink_, more, rng);
    frames.insert(frames.end(), more.begin(), more.end());
    ASSERT_EQ(publisher_->frames(1 + frames.size()).size(), 1 + frames.size()) << round;
    ASSERT_EQ(subscriber_->frames(4 + events).size(), 4 + events) << round;
  }

  auto answers = publisher_->frames(1 + frames.size());
  std::map<std::string, std::string> answer_of;  // id → published / pong / error code
  std::map<std::string, std::string> offset_of;
  for (std::size_t i = 1; i < answers.size(); ++i) {
    auto id = field(answers[i], "id");
    auto type = field(answers[i], "type");
    EXPECT_TRUE(answer_of.emplace(id, type == "error" ? field(answers[i], "code") : type).second)
        << "answered twice: " << id;
    offset_of[id] = field(answers[i], "offset");
  }
  std::map<std::string, std::size_t> next_offset;
  for (const auto& f : frames) {
    EXPECT_EQ(answer_of[f.id], f.answer) << f.json;
    if (f.answer == "published") {
      EXPECT_EQ(offset_of[f.id], std::to_string(++next_offset[f.topic])) << f.json;
    }
  }

  auto delivered = subscriber_->frames(4 + events);
  std::map<std::string, std::vector<int>> received;
  for (std::size_t i = 4; i < delivered.size(); ++i) {
    ASSERT_EQ(field(delivered[i], "type"), "event") << delivered[i];
    auto topic = field(delivered[i], "topic");
    EXPECT_EQ(field(delivered[i], "offset"), std::to_string(received[topic].size() + 1));
    received[topic].push_back(std::stoi(field(delivered[i], "data")));
  }
  EXPECT_EQ(received, stored);
}

// The topic was told more would follow; the publish that was to follow was
// refused before it was sent.
TEST_F(PublishBatches, ABatchEndingInARefusedPublishStillDeliversWhatItStored) {
  start(64);
  subscriber_sink_->on_message(
      protocol::decode_client_frame(R"({"type":"subscribe","topic":"t.a"})"));
  ASSERT_EQ(subscriber_->frames(2).size(), 2u);
  std::vector<protocol::client_frame> batch;
  batch.push_back(protocol::decode_client_frame(R"({"type":"publish","topic":"t.a","data":1})"));
  batch.push_back(protocol::decode_client_frame(R"({"type":"publish","topic":"t.a","data":")" +
                                                std::string(max_data_bytes + 1, 'x') +
                                                R"(","id":"big"})"));
  publisher_sink_->on_messages(std::move(batch));
  auto delivered = subscriber_->frames(3);
  ASSERT_EQ(delivered.size(), 3u);
  EXPECT_EQ(field(delivered[2], "data"), "1");
  EXPECT_EQ(field(publisher_->frames(2).back(), "code"), "message_too_large");
}

INSTANTIATE_TEST_SUITE_P(Seeds, PublishBatchesRound, ::testing::Range(1u, 13u));

}  // namespace
}  // namespace sluice::actors
