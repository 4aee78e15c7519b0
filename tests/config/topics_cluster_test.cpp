// The topics and cluster sections.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/config/load.hpp"

namespace sluice::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Loader, TopicPatternsInOrderWithTheirOptions) {
  auto cfg = loaded(R"(
routes: {up: {kind: uppercase}}
topics:
  patterns:
    "chat.*": {history: {size: 5, age: 1m}, publish: false, retain_last: true,
               slow_subscriber: disconnect, max_lag: 7}
    "*": {}
  inbox: {history: {size: 9}, expire_after: 0, max_inboxes: 4}
  max_topics: 3
  max_message_bytes: 1KiB
  storage: {path: /tmp/x, fsync: always}
)");
  const auto& t = cfg.topics;
  ASSERT_EQ(t.rules.size(), 2u);
  const auto* chat = t.find_rule("chat.room-1");
  ASSERT_NE(chat, nullptr);
  EXPECT_EQ(chat->history_size, 5u);
  EXPECT_EQ(chat->history_age, std::chrono::minutes(1));
  EXPECT_FALSE(chat->publish.everyone);
  EXPECT_TRUE(chat->retain_last);
  EXPECT_EQ(chat->slow_subscriber, slow_subscriber_policy::disconnect);
  EXPECT_EQ(chat->max_lag, 7u);
  EXPECT_EQ(t.find_rule("news")->match, "*");
  EXPECT_EQ(t.find_rule("inbox.alice")->history_size, 9u);
  EXPECT_FALSE(t.find_rule("inbox.alice")->publish.everyone);
  EXPECT_EQ(t.max_topics, 3u);
  EXPECT_EQ(t.max_inboxes, 4u);
  EXPECT_EQ(t.inbox.expire_after.count(), 0);
  EXPECT_EQ(loaded(minimal).topics.inbox.expire_after, std::chrono::minutes(10));
  EXPECT_EQ(t.max_message_bytes, 1024u);
  EXPECT_EQ(t.storage.path, "/tmp/x");
  EXPECT_EQ(t.storage.fsync, fsync_policy::always);
}

TEST(Loader, NoTopicsSectionAllowsOnlyInboxes) {
  auto cfg = loaded(minimal);
  EXPECT_EQ(cfg.topics.find_rule("chat.a"), nullptr);
  EXPECT_NE(cfg.topics.find_rule("inbox.a"), nullptr);
  auto dflt = std::get<config>(load_embedded_default());
  EXPECT_NE(dflt.topics.find_rule("anything.at:all"), nullptr);
}

TEST(LoaderErrors, TopicProblems) {
  EXPECT_THAT(errors_of("routes: {up: {kind: uppercase}}\n"
                        "topics:\n"
                        "  patterns:\n"
                        "    \"chat/*\": {}\n"
                        "    \"inbox.*\": {}\n"
                        "    \"a.*\": {slow_subscriber: sometimes, history: {size: -1}}\n"
                        "  storage: {fsync: often}\n"),
              ElementsAre(HasSubstr("4:5: topics.patterns.chat/*: a pattern is 1-128"),
                          HasSubstr("5:5: topics.patterns.inbox.*: inbox topics are "
                                    "configured under topics.inbox"),
                          HasSubstr("6:57: topics.patterns.a.*.history.size:"),
                          HasSubstr("6:30: topics.patterns.a.*.slow_subscriber:"),
                          HasSubstr("7:20: topics.storage.fsync:")));
}

TEST(Loader, AcknowledgedConsumersOfAPattern) {
  auto cfg = loaded(R"(
routes: {up: {kind: uppercase}}
topics:
  patterns:
    "jobs.*": {consumers: {ack_wait: 2s, max_deliver: 3, max_ack_pending: 10,
                           dead_letter: dead.jobs, max_consumers: 4}}
    "dead.*": {}
)");
  const auto& c = cfg.topics.find_rule("jobs.a")->consumers;
  EXPECT_EQ(c.ack_wait, std::chrono::seconds(2));
  EXPECT_EQ(c.max_deliver, 3u);
  EXPECT_EQ(c.max_ack_pending, 10u);
  EXPECT_EQ(c.dead_letter, "dead.jobs");
  EXPECT_EQ(c.max_consumers, 4u);
  const auto& defaults = cfg.topics.find_rule("dead.x")->consumers;
  EXPECT_EQ(defaults.ack_wait, std::chrono::seconds(30));
  EXPECT_EQ(defaults.max_deliver, 5u);
  EXPECT_EQ(defaults.dead_letter, "");
}

TEST(LoaderErrors, ConsumerProblems) {
  EXPECT_THAT(errors_of("routes: {up: {kind: uppercase}}\n"
                        "topics:\n"
                        "  patterns:\n"
                        "    \"a.*\": {consumers: {max_deliver: 0, dead_letter: nowhere}}\n"
                        "    \"b.*\": {consumers: {dead_letter: b.dead}}\n"
                        "    \"c.*\": {consumers: {dead_letter: inbox.x, acks: 1}}\n"),
              ElementsAre(HasSubstr("4:38: topics.patterns.a.*.consumers.max_deliver:"),
                          HasSubstr("6:47: topics.patterns.c.*.consumers.acks: unknown key"),
                          HasSubstr("6:38: topics.patterns.c.*.consumers.dead_letter: a "
                                    "dead-letter topic is a topic name (not an inbox)"),
                          HasSubstr("4:54: topics.patterns.a.*.consumers.dead_letter: no "
                                    "pattern allows the dead-letter topic \"nowhere\""),
                          HasSubstr("5:38: topics.patterns.b.*.consumers.dead_letter: a topic's "
                                    "dead letters cannot go to a topic of the same pattern")));
}

TEST(Loader, ClusterNodeWithPeers) {
  setenv("SLUICE_TEST_CLUSTER_SECRET", "0123456789abcdef-secret", 1);
  auto cfg = loaded(
      "routes: {up: {kind: uppercase}}\n"
      "cluster:\n"
      "  name: n1\n"
      "  port: 7401\n"
      "  secret: ${SLUICE_TEST_CLUSTER_SECRET}\n"
      "  heartbeat_interval: 200ms\n"
      "  peers:\n"
      "    - {name: n2, host: 127.0.0.1, port: 7402}\n"
      "    - {name: n3, host: localhost, port: 7403}\n");
  EXPECT_TRUE(cfg.cluster.enabled());
  EXPECT_EQ(cfg.server.node_name, "n1");  // the cluster name names the node
  EXPECT_EQ(cfg.cluster.port, 7401);
  EXPECT_EQ(cfg.cluster.secret, "0123456789abcdef-secret");
  EXPECT_EQ(cfg.cluster.heartbeat_interval, std::chrono::milliseconds(200));
  ASSERT_EQ(cfg.cluster.peers.size(), 2u);
  EXPECT_EQ(cfg.cluster.peers[1].name, "n3");
  EXPECT_EQ(cfg.cluster.peers[1].host, "localhost");
  EXPECT_EQ(cfg.cluster.peers[1].port, 7403);
  EXPECT_FALSE(loaded(minimal).cluster.enabled());
}

TEST(LoaderErrors, ClusterProblems) {
  EXPECT_THAT(errors_of("routes: {up: {kind: uppercase}}\n"
                        "cluster:\n"
                        "  name: n1\n"
                        "  port: 7401\n"
                        "  secret: short\n"
                        "  peers:\n"
                        "    - {name: n1, host: 127.0.0.1, port: 7402}\n"
                        "    - {name: n2, host: 127.0.0.1, port: 7403}\n"
                        "    - {name: n2, host: 127.0.0.1, port: 7404}\n"
                        "    - {name: n4, host: 127.0.0.1}\n"
                        "  tls: {cert_file: a.pem}\n"),
              ElementsAre(HasSubstr("7:14: cluster.peers[0].name: node \"n1\" is this node"),
                          HasSubstr("9:14: cluster.peers[2].name: duplicate node name \"n2\""),
                          HasSubstr("10:7: cluster.peers[3]: a peer needs"),
                          HasSubstr("5:11: cluster.secret: needs a shared `secret`"),
                          HasSubstr("11:8: cluster.tls: needs `cert_file`, `key_file`")));
  EXPECT_THAT(errors_of("routes: {up: {kind: uppercase}}\ncluster: {port: 1}\n"),
              ElementsAre(HasSubstr("2:10: cluster: needs this node's `name`")));
}

}  // namespace
}  // namespace sluice::config
