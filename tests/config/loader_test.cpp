#include "config/loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

namespace sluice::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The errors of a configuration that must not load, as "line:col: key: message".
std::vector<std::string> errors_of(std::string_view yaml) {
  auto result = load_string(yaml, "test.yaml");
  auto* errors = std::get_if<std::vector<error>>(&result);
  if (errors == nullptr) return {"(loaded without errors)"};
  std::vector<std::string> out;
  for (const auto& e : *errors) {
    EXPECT_EQ(e.file, "test.yaml");
    out.push_back(e.to_string().substr(std::string{"test.yaml:"}.size()));
  }
  return out;
}

config loaded(std::string_view yaml) {
  auto result = load_string(yaml, "test.yaml");
  if (auto* errors = std::get_if<std::vector<error>>(&result)) {
    for (const auto& e : *errors) ADD_FAILURE() << e.to_string();
    return {};
  }
  return std::get<config>(result);
}

constexpr std::string_view minimal = "routes:\n  up:\n    kind: uppercase\n";

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
  EXPECT_THAT(errors_of("servr: {}\nroutes: {up: {kind: uppercase, stepz: 3}}\n"),
              ElementsAre("1:1: servr: unknown key (expected one of: server, upstreams, routes, "
                          "limits, topics, auth, rate_limits, log, cluster)",
                          "2:32: routes.up.stepz: unknown key (expected one of: kind, upstream, "
                          "default, timeout, steps, interval, fallback, allow)"));
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

TEST(Loader, ProcessUpstreamAndItsRoute) {
  auto cfg = loaded(R"(
upstreams:
  scraper:
    kind: process
    command: /usr/bin/python3
    args: ["-u", "scraper.py"]
    env: {PAGES: "3", MODE: fast}
    cwd: /tmp
    output: json_lines
    max_line_bytes: 64KiB
    kill_grace: 500ms
routes:
  scrape: {upstream: scraper, timeout: 1m}
)");
  ASSERT_EQ(cfg.upstreams.size(), 1u);
  const auto& p = cfg.upstreams[0].process;
  EXPECT_EQ(cfg.upstreams[0].name, "scraper");
  EXPECT_EQ(p.command, "/usr/bin/python3");
  EXPECT_THAT(p.args, ElementsAre("-u", "scraper.py"));
  EXPECT_THAT(p.env, ElementsAre(std::pair{std::string{"PAGES"}, std::string{"3"}},
                                 std::pair{std::string{"MODE"}, std::string{"fast"}}));
  EXPECT_EQ(p.cwd, "/tmp");
  EXPECT_EQ(p.output, process_output::json_lines);
  EXPECT_EQ(p.max_line_bytes, 65536u);
  EXPECT_EQ(p.kill_grace.count(), 500);
  ASSERT_EQ(cfg.routes.size(), 1u);
  EXPECT_EQ(cfg.routes[0].kind, route_kind::upstream);
  EXPECT_EQ(cfg.routes[0].upstream, "scraper");
  EXPECT_EQ(cfg.default_route, "scrape");
}

TEST(Loader, ExampleUpstreamConfigsLoad) {
  ::setenv("SLUICE_JWT_SECRET", "an example secret of at least 32 bytes", 1);
  for (const char* name :
       {"process.yaml", "websocket.yaml", "sse.yaml", "workers.yaml", "auth.yaml"}) {
    auto result = load_file(std::string{SLUICE_SOURCE_DIR "/config/examples/"} + name);
    EXPECT_TRUE(std::holds_alternative<config>(result)) << name;
  }
}

TEST(Loader, ExampleClusterNodesLoadAndListEachOther) {
  ::setenv("SLUICE_CLUSTER_SECRET", "an example cluster secret", 1);
  for (int i = 1; i <= 3; ++i) {
    auto name = "cluster/node" + std::to_string(i) + ".yaml";
    auto result = load_file(std::string{SLUICE_SOURCE_DIR "/config/examples/"} + name);
    ASSERT_TRUE(std::holds_alternative<config>(result)) << name;
    const auto& c = std::get<config>(result).cluster;
    EXPECT_EQ(c.name, "node" + std::to_string(i));
    EXPECT_EQ(c.port, 7400 + i);
    ASSERT_EQ(c.peers.size(), 2u);
    for (const auto& p : c.peers) EXPECT_NE(p.name, c.name);
  }
}

TEST(LoaderErrors, UpstreamProblems) {
  EXPECT_THAT(
      errors_of("upstreams:\n  a: {kind: process}\n  b: {kind: teleport}\n"
                "  c: {kind: process, command: x, args: x, env: [1], output: xml, kill_grace: 5}\n"
                "routes:\n  r1: {upstream: nope}\n  r2: {upstream: a, kind: uppercase}\n"),
      ElementsAre("2:6: upstreams.a.command: missing",
                  "3:13: upstreams.b.kind: expected one of process, websocket, sse, workers, got "
                  "\"teleport\"",
                  "4:40: upstreams.c.args: expected a list of strings",
                  "4:48: upstreams.c.env: expected a mapping of names to values",
                  "4:61: upstreams.c.output: expected one of lines, json_lines, got \"xml\"",
                  "4:78: upstreams.c.kill_grace: expected a duration such as 250ms, 1s, 5m or 0, "
                  "got \"5\"",
                  "6:18: routes.r1.upstream: no upstream named \"nope\" under `upstreams`",
                  "7:27: routes.r2.kind: a route has either `kind` or `upstream`, not both"));
}

TEST(Loader, WebSocketUpstream) {
  auto cfg = loaded(
      "upstreams:\n  py: {kind: websocket, url: 'ws://127.0.0.1:8000/ws', connect_timeout: 2s}\n"
      "routes:\n  r: {upstream: py}\n");
  ASSERT_EQ(cfg.upstreams.size(), 1u);
  const auto& w = cfg.upstreams[0].websocket;
  EXPECT_EQ(cfg.upstreams[0].kind, upstream_kind::websocket);
  EXPECT_EQ((std::vector<std::string>{w.endpoint.host, w.endpoint.port, w.endpoint.path}),
            (std::vector<std::string>{"127.0.0.1", "8000", "/ws"}));
  EXPECT_EQ(w.connect_timeout.count(), 2000);
}

TEST(Loader, SseUpstream) {
  auto cfg = loaded(
      "upstreams:\n  llm:\n    kind: sse\n    url: http://127.0.0.1:8000/api/generate-stream\n"
      "    headers: {X-Key: abc}\n    body: '{\"prompt\": {{text}}}'\n    final_field: finished\n"
      "routes:\n  r: {upstream: llm}\n");
  ASSERT_EQ(cfg.upstreams.size(), 1u);
  const auto& e = cfg.upstreams[0].sse;
  EXPECT_EQ(cfg.upstreams[0].kind, upstream_kind::sse);
  EXPECT_EQ((std::vector<std::string>{e.endpoint.host, e.endpoint.port, e.endpoint.path, e.method,
                                      e.body, e.token_field, e.final_field}),
            (std::vector<std::string>{"127.0.0.1", "8000", "/api/generate-stream", "POST",
                                      "{\"prompt\": {{text}}}", "token", "finished"}));
  EXPECT_THAT(e.headers, ElementsAre(std::pair{std::string{"X-Key"}, std::string{"abc"}}));
}

TEST(LoaderErrors, SseUpstreamProblems) {
  EXPECT_THAT(errors_of("upstreams:\n  a: {kind: sse, url: 'ws://x/', method: PUT}\n"
                        "routes: {r: {upstream: a}}\n"),
              ElementsAre("2:42: upstreams.a.method: expected one of POST, GET, got \"PUT\"",
                          "2:23: upstreams.a.url: expected http://HOST:PORT/PATH, got \"ws://x/\" "
                          "(https:// is not supported yet)"));
}

TEST(LoaderErrors, WebSocketUpstreamProblems) {
  EXPECT_THAT(errors_of("upstreams:\n  a: {kind: websocket}\n  b: {kind: websocket, url: "
                        "'http://x/ws'}\n  c: {kind: websocket, url: 'ws://h:99999/', command: x}\n"
                        "routes: {r: {upstream: a}}\n"),
              ElementsAre("2:6: upstreams.a.url: missing",
                          "3:29: upstreams.b.url: expected ws://HOST:PORT/PATH, got "
                          "\"http://x/ws\" (wss:// is not supported yet)",
                          "4:46: upstreams.c.command: unknown key (expected one of: kind, "
                          "failure_threshold, backoff, retries, health, url, connect_timeout, "
                          "max_message_bytes, message, type_field, connections, pool_size)",
                          "4:29: upstreams.c.url: expected ws://HOST:PORT/PATH, got "
                          "\"ws://h:99999/\" (wss:// is not supported yet)"));
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

namespace sluice::config {
namespace {

TEST(Loader, SupervisionKeys) {
  auto cfg = loaded(
      "upstreams:\n  py:\n    kind: websocket\n    url: ws://127.0.0.1:8000/ws\n"
      "    connections: pooled\n    pool_size: 8\n    retries: 1\n    failure_threshold: 5\n"
      "    message: '{\"prompt\": {{text}}}'\n    type_field: kind\n"
      "    backoff: {base: 50ms, max: 2s, multiplier: 1.5}\n"
      "    health: {url: 'http://127.0.0.1:8000/health', interval: 1s, timeout: 300ms}\n"
      "  run: {kind: process, command: /bin/true, max_concurrent: 2}\n"
      "routes:\n  r: {upstream: py, fallback: busy, default: true}\n  p: {upstream: run}\n");
  ASSERT_EQ(cfg.upstreams.size(), 2u);
  const auto& up = cfg.upstreams[0];
  EXPECT_EQ(up.websocket.connections, connection_mode::pooled);
  EXPECT_EQ(up.websocket.pool_size, 8u);
  EXPECT_EQ(up.websocket.message, R"({"prompt": {{text}}})");
  EXPECT_EQ(up.websocket.type_field, "kind");
  const auto& s = up.supervision;
  EXPECT_EQ(s.retries, 1u);
  EXPECT_EQ(s.failure_threshold, 5u);
  EXPECT_EQ(s.backoff_base.count(), 50);
  EXPECT_EQ(s.backoff_max.count(), 2000);
  EXPECT_DOUBLE_EQ(s.backoff_multiplier, 1.5);
  EXPECT_EQ((std::vector<std::string>{s.health_endpoint.host, s.health_endpoint.port,
                                      s.health_endpoint.path}),
            (std::vector<std::string>{"127.0.0.1", "8000", "/health"}));
  EXPECT_EQ(s.health_interval.count(), 1000);
  EXPECT_EQ(s.probe_timeout.count(), 300);
  EXPECT_EQ(cfg.upstreams[1].process.max_concurrent, 2u);
  EXPECT_EQ(cfg.routes[0].fallback, std::optional<std::string>{"busy"});
  EXPECT_EQ(cfg.routes[1].fallback, std::nullopt);
}

TEST(LoaderErrors, SupervisionProblems) {
  EXPECT_THAT(
      errors_of("upstreams:\n  a:\n    kind: sse\n    url: http://h/x\n    retries: -1\n"
                "    backoff: {base: 2s, max: 1s, multiplier: fast}\n"
                "    health: {url: 'ws://h/health'}\n"
                "  p: {kind: process, command: x, retries: 1}\n"
                "routes:\n  r: {upstream: a}\n  u: {kind: uppercase, fallback: x}\n"),
      ElementsAre("5:14: upstreams.a.retries: expected a whole number, got \"-1\"",
                  "6:46: upstreams.a.backoff.multiplier: expected a number such as 2 or 1.5, got "
                  "\"fast\"",
                  "6:14: upstreams.a.backoff.max: must not be shorter than backoff.base",
                  "7:19: upstreams.a.health.url: expected http://HOST:PORT/PATH, got "
                  "\"ws://h/health\" (https:// is not supported yet)",
                  "8:34: upstreams.p.retries: unknown key (expected one of: kind, "
                  "failure_threshold, backoff, command, args, env, cwd, output, max_line_bytes, "
                  "kill_grace, max_concurrent)",
                  "11:34: routes.u.fallback: only a route with an `upstream` has a fallback"));
}

}  // namespace
}  // namespace sluice::config

namespace sluice::config {
namespace {

TEST(LoaderErrors, WebSocketMappingProblems) {
  EXPECT_THAT(errors_of("upstreams:\n  a: {kind: websocket, url: 'ws://h/', type_field: '',"
                        " connections: shared, pool_size: 0}\nroutes: {r: {upstream: a}}\n"),
              ElementsAre("2:52: upstreams.a.type_field: must not be empty",
                          "2:69: upstreams.a.connections: expected one of per_request, pooled, "
                          "got \"shared\"",
                          "2:88: upstreams.a.pool_size: must be between 1 and 10000, got 0"));
}

TEST(Loader, UpstreamKindNames) {
  EXPECT_EQ(to_string(upstream_kind::process), "process");
  EXPECT_EQ(to_string(upstream_kind::workers), "workers");
}

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
