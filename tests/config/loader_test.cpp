// The loader: the embedded default, every key, and errors with file:line:col.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/config/load.hpp"

namespace sluice::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Loader, EmbeddedDefaultServesUppercaseOnPort3000) {
  auto result = load_embedded_default();
  ASSERT_TRUE(std::holds_alternative<config>(result));
  const auto& cfg = std::get<config>(result);
  EXPECT_EQ(cfg.server.port, 3000);
  ASSERT_EQ(cfg.routes.size(), 1u);
  EXPECT_EQ(cfg.routes[0].name, "uppercase");
  EXPECT_EQ(cfg.routes[0].uppercase.steps, 3u);
  EXPECT_EQ(cfg.routes[0].uppercase.interval, std::chrono::seconds(1));
  EXPECT_EQ(cfg.default_route, "uppercase");
}

TEST(Loader, ExampleConfigDocumentsEveryKeyAndLoads) {
  auto result = load_file(SLUICE_SOURCE_DIR "/config/sluice.yaml");
  ASSERT_TRUE(std::holds_alternative<config>(result));
  const auto& cfg = std::get<config>(result);
  EXPECT_EQ(cfg.limits.outbound_bytes, 8u * 1024 * 1024);
  EXPECT_EQ(cfg.server.drain_timeout, std::chrono::seconds(10));
}

TEST(Loader, DefaultsApplyToMissingSections) {
  auto cfg = loaded(minimal);
  EXPECT_EQ(cfg.server.host, "0.0.0.0");
  EXPECT_EQ(cfg.server.max_frame_bytes, 1024u * 1024);
  EXPECT_EQ(cfg.limits.max_requests_in_flight, 16u);
  EXPECT_EQ(cfg.default_route, "up");  // the only route is the default
  EXPECT_EQ(cfg.log.level, log::level::info);
}

TEST(Loader, ReadsEveryKey) {
  auto cfg = loaded(R"(
server: {host: 127.0.0.1, port: 0, node_name: n-1, max_frame_bytes: 64KiB, max_connections: 5,
         idle_timeout: 0, drain_timeout: 250ms, io_threads: 2, actor_threads: 3}
routes:
  a: {kind: uppercase, steps: 0, interval: 0, timeout: 2s}
  b: {kind: uppercase, default: true}
limits: {mailbox: 8, outbound_messages: 9, outbound_bytes: 2KiB, max_requests_in_flight: 1,
         topic_mailbox: 3, upstream_queue: 4}
log: {level: debug, format: json}
)");
  EXPECT_EQ(cfg.server.host, "127.0.0.1");
  EXPECT_EQ(cfg.server.port, 0);
  EXPECT_EQ(cfg.server.node_name, "n-1");
  EXPECT_EQ(cfg.server.max_frame_bytes, 65536u);
  EXPECT_EQ(cfg.server.max_connections, 5u);
  EXPECT_EQ(cfg.server.idle_timeout.count(), 0);
  EXPECT_EQ(cfg.server.drain_timeout.count(), 250);
  EXPECT_EQ(cfg.server.io_threads, 2u);
  EXPECT_EQ(cfg.server.actor_threads, 3u);
  ASSERT_EQ(cfg.routes.size(), 2u);
  EXPECT_EQ(cfg.routes[0].uppercase.steps, 0u);
  EXPECT_EQ(cfg.routes[0].timeout.count(), 2000);
  EXPECT_EQ(cfg.default_route, "b");
  EXPECT_EQ(cfg.limits.mailbox, 8u);
  EXPECT_EQ(cfg.limits.outbound_messages, 9u);
  EXPECT_EQ(cfg.limits.outbound_bytes, 2048u);
  EXPECT_EQ(cfg.limits.max_requests_in_flight, 1u);
  EXPECT_EQ(cfg.limits.topic_mailbox, 3u);
  EXPECT_EQ(cfg.limits.upstream_queue, 4u);
  EXPECT_EQ(cfg.log.level, log::level::debug);
  EXPECT_EQ(cfg.log.format, log::format::json);
}

TEST(Loader, ExpandsEnvironmentVariables) {
  ::setenv("SLUICE_TEST_PORT", "4567", 1);
  ::unsetenv("SLUICE_TEST_UNSET");
  auto cfg = loaded(
      "server: {port: '${SLUICE_TEST_PORT}', node_name: '${SLUICE_TEST_UNSET:-fallback}'}\n"
      "routes: {up: {kind: uppercase}}\n");
  EXPECT_EQ(cfg.server.port, 4567);
  EXPECT_EQ(cfg.server.node_name, "fallback");
}

TEST(LoaderErrors, UnsetVariableNamesFileLineAndKey) {
  ::unsetenv("SLUICE_TEST_UNSET");
  EXPECT_THAT(errors_of("routes: {up: {kind: uppercase}}\nserver:\n  port: ${SLUICE_TEST_UNSET}\n"),
              ElementsAre("3:9: server.port: environment variable SLUICE_TEST_UNSET is not set "
                          "and has no default (${SLUICE_TEST_UNSET:-default})"));
}

TEST(LoaderErrors, UnknownKeys) {
  EXPECT_THAT(
      errors_of("servr: {}\nroutes: {up: {kind: uppercase, stepz: 3}}\n"),
      ElementsAre(
          "1:1: servr: unknown key (expected one of: server, upstreams, routes, "
          "limits, topics, auth, rate_limits, log, cluster, engine, services, watch)",
          "2:32: routes.up.stepz: unknown key (expected one of: kind, upstream, "
          "default, timeout, steps, interval, fallback, fallback_on, attempt_timeout, allow, "
          "priorities, publish_to, quota)"));
}

TEST(LoaderErrors, WrongTypes) {
  EXPECT_THAT(
      errors_of("server:\n  port: [1, 2]\n  host: {a: 1}\nroutes:\n  up:\n    kind: uppercase\n"
                "    default: yes\n"),
      ElementsAre("3:9: server.host: expected a single value, not a list or mapping",
                  "2:9: server.port: expected a single value, not a list or mapping",
                  "7:14: routes.up.default: expected true or false, got \"yes\""));
}

TEST(LoaderErrors, OutOfRangeValues) {
  EXPECT_THAT(errors_of("server:\n  port: 70000\n  max_frame_bytes: 1GiB\n  io_threads: 0\n"
                        "routes: {up: {kind: uppercase, steps: 2000000}}\n"
                        "limits: {max_requests_in_flight: 0, topic_mailbox: 0}\n"),
              ElementsAre("2:9: server.port: must be between 0 and 65535, got 70000",
                          "3:20: server.max_frame_bytes: must be between 64 and 67108864, got "
                          "1073741824",
                          "4:15: server.io_threads: must be between 1 and 64, got 0",
                          "5:39: routes.up.steps: must be between 0 and 1000000, got 2000000",
                          "6:34: limits.max_requests_in_flight: must be between 1 and 100000, "
                          "got 0",
                          "6:52: limits.topic_mailbox: must be between 1 and 10000000, got 0"));
}

TEST(LoaderErrors, BadScalarForms) {
  EXPECT_THAT(errors_of("server: {port: abc, idle_timeout: 10, max_frame_bytes: 1XB}\n"
                        "routes: {up: {kind: uppercase, interval: soon}}\n"
                        "log: {level: loud, format: xml}\n"),
              ElementsAre("1:16: server.port: expected a whole number, got \"abc\"",
                          "1:56: server.max_frame_bytes: expected a size such as 65536, 64KiB or "
                          "1MiB, got \"1XB\"",
                          "1:35: server.idle_timeout: expected a duration such as 250ms, 1s, 5m "
                          "or 0, got \"10\"",
                          "2:42: routes.up.interval: expected a duration such as 250ms, 1s, 5m "
                          "or 0, got \"soon\"",
                          "3:14: log.level: expected one of debug, info, warn, error, got \"loud\"",
                          "3:28: log.format: expected one of text, json, got \"xml\""));
}

TEST(LoaderErrors, RouteProblems) {
  EXPECT_THAT(
      errors_of("routes:\n  a: {kind: magic}\n  b: {default: true}\n  c: {kind: uppercase, "
                "default: true}\n  'bad name': {kind: uppercase}\n  d: plain\n"),
      ElementsAre("2:13: routes.a.kind: expected one of uppercase, got \"magic\"",
                  "3:6: routes.b.kind: missing (known kinds: uppercase; or name an `upstream`)",
                  "5:3: routes.bad name: route names are 1-64 characters of letters, "
                  "digits, '_', '-', '.'",
                  "6:6: routes.d: expected a mapping of keys to values",
                  "3:16: routes.b.default: more than one route is marked default",
                  "4:33: routes.c.default: more than one route is marked default"));
}

TEST(Loader, RoutePrioritiesAndAging) {
  auto cfg = loaded(
      "routes:\n  r:\n    kind: uppercase\n    priorities:\n      critical: [\"role:admin\"]\n"
      "      low: false\nlimits:\n  priority_aging: 2s\n");
  const auto& p = cfg.routes.front().priorities;
  EXPECT_FALSE(p[0].everyone);  // low: nobody
  EXPECT_TRUE(p[1].everyone);   // normal: the default, everyone
  EXPECT_FALSE(p[2].everyone);  // high: the default, nobody
  EXPECT_TRUE(p[2].principals.empty());
  EXPECT_THAT(p[3].principals, ElementsAre("role:admin"));
  EXPECT_EQ(cfg.limits.priority_aging, std::chrono::seconds(2));
  EXPECT_FALSE(cfg.server.frame_timestamps);
  EXPECT_TRUE(loaded("server: {frame_timestamps: true}\nroutes: {r: {kind: uppercase}}\n")
                  .server.frame_timestamps);
  EXPECT_EQ(loaded("routes: {r: {kind: uppercase}}\n").limits.priority_aging,
            std::chrono::seconds(10));
}

TEST(Loader, PublishToTemplates) {
  auto cfg = loaded("routes:\n  r: {kind: uppercase, publish_to: \"runs.{sub}.{request_id}\"}\n");
  const auto& t = cfg.routes.front().publish_to;
  std::string missing;
  EXPECT_EQ(t.render({"r-1", "", "ann", "r"}, missing), "runs.ann.r-1");
  EXPECT_EQ(t.render({"r-1", "", "", "r"}, missing), std::nullopt);
  EXPECT_EQ(missing, "sub");
  missing.clear();
  EXPECT_EQ(t.render({"r-1", "", "a b", "r"}, missing), std::nullopt);  // not a topic name
  EXPECT_TRUE(loaded(minimal).routes.front().publish_to.text.empty());
}

TEST(LoaderErrors, BadPublishTo) {
  EXPECT_THAT(errors_of("routes:\n  r: {kind: uppercase, publish_to: \"runs.{user}\"}\n"),
              ElementsAre("2:36: routes.r.publish_to: unknown field {user} (fields: "
                          "{request_id}, {client_id}, {sub}, {route})"));
  EXPECT_THAT(errors_of("routes:\n  r: {kind: uppercase, publish_to: \"runs.{sub\"}\n"),
              ElementsAre(testing::HasSubstr("unknown field {sub (fields:")));
  EXPECT_THAT(errors_of("routes:\n  r: {kind: uppercase, publish_to: \"runs/{sub}\"}\n"),
              ElementsAre(testing::HasSubstr("is not a topic name once filled in")));
  EXPECT_THAT(errors_of("routes:\n  r: {kind: uppercase, publish_to: \"inbox.{sub}\"}\n"),
              ElementsAre(testing::HasSubstr("may not publish its streams to an inbox")));
}

TEST(LoaderErrors, BadPriorities) {
  EXPECT_THAT(errors_of("routes:\n  r:\n    kind: uppercase\n    priorities: {urgent: true}\n"),
              ElementsAre("4:18: routes.r.priorities.urgent: unknown key (expected one of: low, "
                          "normal, high, critical)"));
  EXPECT_THAT(errors_of("routes:\n  r:\n    kind: uppercase\n    priorities: {high: [\"boss\"]}\n"),
              ElementsAre(testing::StartsWith("4:25: routes.r.priorities.high[0]: expected")));
}

TEST(LoaderErrors, MissingOrEmptyRoutes) {
  EXPECT_THAT(errors_of("server: {port: 1}\n"),
              ElementsAre(" routes: at least one route is required"));
  EXPECT_THAT(errors_of("routes: []\n"),
              ElementsAre("1:9: routes: expected a mapping of route names to routes"));
}

TEST(LoaderErrors, DuplicateKeys) {
  EXPECT_THAT(errors_of("routes: {up: {kind: uppercase}}\nserver:\n  port: 1\n  port: 2\n"),
              ElementsAre("4:3: server.port: duplicate key"));
}

TEST(LoaderErrors, SyntaxErrorNamesLine) {
  EXPECT_THAT(errors_of("routes:\n  up: {kind: uppercase\nserver: {}\n"),
              ElementsAre("3:7: end of map flow not found"));
}

TEST(LoaderErrors, NotAMapping) {
  EXPECT_THAT(errors_of("- just\n- a list\n"),
              ElementsAre("1:1: the configuration must be a mapping with `server`, `routes`, ..."));
}

TEST(LoaderErrors, UnreadableFile) {
  auto result = load_file("/nonexistent/sluice.yaml");
  auto& errors = std::get<std::vector<error>>(result);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(), "/nonexistent/sluice.yaml: cannot read the file");
}

}  // namespace
}  // namespace sluice::config
