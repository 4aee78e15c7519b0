// engine: memory (default) or nats, read and refused with file:line.
#include "tests/config/load.hpp"

namespace sluice::config {
namespace {

using ::testing::ElementsAre;

constexpr const char* route = "routes: {up: {kind: uppercase}}\n";

std::string with_engine(const std::string& engine) {
  return std::string{route} + "engine:\n" + engine;
}

TEST(EngineConfig, MemoryUnlessConfigured) {
  auto cfg = loaded(minimal);
  EXPECT_FALSE(cfg.engine.nats());
  EXPECT_FALSE(cfg.engine.holds("room.a"));
}

TEST(EngineConfig, ReadsEveryKey) {
  auto cfg =
      loaded(with_engine("  kind: nats\n"
                         "  servers: [\"nats://10.0.0.1:4222\", \"tls://nats.example:4222\"]\n"
                         "  user: sluice\n  password: pw\n"
                         "  tls: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem}\n"
                         "  replicas: 3\n  storage: memory\n  topics: [\"room.*\", \"user.*\"]\n"
                         "  stream_prefix: APP\n  max_in_flight: 100\n  publish_timeout: 2s\n"
                         "  connect_timeout: 500ms\n  subscription_heartbeat: 250ms\n"));
  const auto& e = cfg.engine;
  EXPECT_TRUE(e.nats());
  EXPECT_THAT(e.servers, ElementsAre("nats://10.0.0.1:4222", "tls://nats.example:4222"));
  EXPECT_EQ(e.user, "sluice");
  EXPECT_EQ(e.password, "pw");
  EXPECT_EQ(e.tls.ca_file, "ca.pem");
  EXPECT_EQ(e.tls.cert_file, "c.pem");
  EXPECT_EQ(e.tls.key_file, "k.pem");
  EXPECT_EQ(e.replicas, 3u);
  EXPECT_EQ(e.storage, engine_storage::memory);
  EXPECT_EQ(e.stream_prefix, "APP");
  EXPECT_EQ(e.max_in_flight, 100u);
  EXPECT_EQ(e.publish_timeout, std::chrono::seconds(2));
  EXPECT_EQ(e.connect_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(e.subscription_heartbeat, std::chrono::milliseconds(250));
  EXPECT_TRUE(e.holds("room.lobby"));
  EXPECT_TRUE(e.holds("user.ann"));
  EXPECT_FALSE(e.holds("chat.lobby"));
}

TEST(EngineConfig, DefaultsHoldEveryTopic) {
  auto e = loaded(with_engine("  kind: nats\n  servers: [\"nats://127.0.0.1:4222\"]\n")).engine;
  EXPECT_EQ(e.replicas, 1u);
  EXPECT_EQ(e.storage, engine_storage::file);
  EXPECT_EQ(e.stream_prefix, "SLUICE");
  EXPECT_EQ(e.subscription_heartbeat, std::chrono::seconds(1));
  EXPECT_TRUE(e.holds("anything.at.all"));
  EXPECT_TRUE(e.holds("user.ann"));
}

TEST(EngineConfig, ServersAsOneCommaSeparatedString) {
  ::setenv("SLUICE_TEST_NATS_URL", "nats://a:4222, nats://b:4222,tls://c:4222", 1);
  auto e = loaded(with_engine("  kind: nats\n  servers: ${SLUICE_TEST_NATS_URL}\n")).engine;
  EXPECT_THAT(e.servers, ElementsAre("nats://a:4222", "nats://b:4222", "tls://c:4222"));
  EXPECT_THAT(errors_of(with_engine("  kind: nats\n  servers: \"nats://a:1,http://b\"\n")),
              ElementsAre("4:12: engine.servers[1]: expected a nats://HOST:PORT or "
                          "tls://HOST:PORT URL, got \"http://b\""));
}

TEST(EngineConfig, TokenOrCredsFile) {
  EXPECT_EQ(
      loaded(with_engine("  kind: nats\n  servers: [\"nats://h:1\"]\n  token: t0k\n")).engine.token,
      "t0k");
  EXPECT_EQ(
      loaded(with_engine("  kind: nats\n  servers: [\"nats://h:1\"]\n  creds_file: a.creds\n"))
          .engine.creds_file,
      "a.creds");
}

TEST(EngineConfigErrors, BadEntries) {
  EXPECT_THAT(errors_of(with_engine("  kind: redis\n")),
              ElementsAre("3:9: engine.kind: expected one of memory, nats, got \"redis\""));
  EXPECT_THAT(errors_of(with_engine("  kind: nats\n")),
              ElementsAre("3:3: engine.servers: `kind: nats` needs `servers` (e.g. "
                          "[\"nats://127.0.0.1:4222\"])"));
  EXPECT_THAT(errors_of(with_engine("  kind: nats\n  servers: [\"http://h:1\", \"nats://\"]\n")),
              ElementsAre("4:13: engine.servers[0]: expected a nats://HOST:PORT or "
                          "tls://HOST:PORT URL, got \"http://h:1\"",
                          "4:27: engine.servers[1]: expected a nats://HOST:PORT or "
                          "tls://HOST:PORT URL, got \"nats://\""));
  EXPECT_THAT(errors_of(with_engine("  kind: nats\n  servers: [\"nats://h:1\"]\n  replicas: 7\n")),
              ElementsAre("5:13: engine.replicas: must be between 1 and 5, got 7"));
  EXPECT_THAT(
      errors_of(with_engine("  kind: nats\n  servers: [\"nats://h:1\"]\n  storage: disk\n")),
      ElementsAre("5:12: engine.storage: expected one of file, memory, got \"disk\""));
  EXPECT_THAT(
      errors_of(with_engine("  kind: nats\n  servers: [\"nats://h:1\"]\n  topics: [\"a b\"]\n")),
      ElementsAre("5:12: engine.topics[0]: not a topic pattern: \"a b\""));
  EXPECT_THAT(
      errors_of(with_engine("  kind: nats\n  servers: [\"nats://h:1\"]\n  stream_prefix: a.b\n")),
      ElementsAre("5:18: engine.stream_prefix: 1-32 letters, digits, '-' or '_' (a JetStream "
                  "stream name starts with it)"));
  EXPECT_THAT(errors_of(with_engine(
                  "  kind: nats\n  servers: [\"nats://h:1\"]\n  subscription_heartbeat: 10ms\n")),
              ElementsAre(::testing::StartsWith("5:27: engine.subscription_heartbeat: ")));
  EXPECT_THAT(errors_of(with_engine("  kind: nats\n  servers: [\"nats://h:1\"]\n  colour: red\n")),
              ElementsAre(::testing::StartsWith("5:3: engine.colour: unknown key")));
  EXPECT_THAT(errors_of(std::string{route} + "engine: nats\n"),
              ElementsAre("2:9: engine: expected a mapping of keys to values"));
}

TEST(EngineConfigErrors, OneWayToLogIn) {
  EXPECT_THAT(errors_of(with_engine("  kind: nats\n  servers: [\"nats://h:1\"]\n  user: u\n")),
              ElementsAre("3:3: engine.user: `user` and `password` go together"));
  EXPECT_THAT(errors_of(with_engine(
                  "  kind: nats\n  servers: [\"nats://h:1\"]\n  token: t\n  creds_file: c\n")),
              ElementsAre("3:3: engine: choose one way to log in: user/password, token or "
                          "creds_file"));
  EXPECT_THAT(
      errors_of(with_engine("  kind: nats\n  servers: [\"nats://h:1\"]\n  tls: {cert_file: c}\n")),
      ElementsAre(::testing::HasSubstr("engine.tls")));
}

}  // namespace
}  // namespace sluice::config
