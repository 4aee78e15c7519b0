// The upstreams section: process, WebSocket and SSE upstreams, supervision, and their routes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/config/load.hpp"

namespace sluice::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

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
      ElementsAre(
          "2:6: upstreams.a.command: missing",
          "3:13: upstreams.b.kind: expected one of process, websocket, sse, workers, http, got "
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
                                      e.body.text(), e.token_field, e.final_field}),
            (std::vector<std::string>{"127.0.0.1", "8000", "/api/generate-stream", "POST",
                                      "{\"prompt\": {{text}}}", "token", "finished"}));
  ASSERT_EQ(e.headers.size(), 1u);
  EXPECT_EQ(e.headers[0].first, "X-Key");
  EXPECT_EQ(e.headers[0].second.text(), "abc");
}

TEST(LoaderErrors, SseUpstreamProblems) {
  EXPECT_THAT(errors_of("upstreams:\n  a: {kind: sse, url: 'ws://x/', method: PUT}\n"
                        "routes: {r: {upstream: a}}\n"),
              ElementsAre("2:42: upstreams.a.method: expected one of POST, GET, got \"PUT\"",
                          "2:23: upstreams.a.url: expected http://HOST:PORT/PATH or "
                          "https://HOST:PORT/PATH, got \"ws://x/\""));
}

TEST(Loader, FallbacksOfAnyJsonAndWhenTheyAnswer) {
  auto cfg = loaded(
      "upstreams:\n  py: {kind: websocket, url: 'ws://127.0.0.1:8000/ws'}\n"
      "routes:\n"
      "  r:\n    upstream: py\n    attempt_timeout: 2s\n"
      "    fallback_on: [retries_exhausted, timeout, upstream_error]\n"
      "    fallback: {text: 'busy', retry: 5, soon: true, tags: [a, '7'], none: null}\n"
      "  s: {upstream: py, fallback: 42}\n");
  EXPECT_EQ(cfg.routes[0].fallback,
            std::optional<std::string>{
                R"({"text":"busy","retry":5,"soon":true,"tags":["a","7"],"none":null})"});
  EXPECT_EQ(cfg.routes[0].fallback_on,
            fallback_on_retries_exhausted | fallback_on_timeout | fallback_on_upstream_error);
  EXPECT_EQ(cfg.routes[0].attempt_timeout, std::chrono::seconds(2));
  EXPECT_EQ(cfg.routes[1].fallback, std::optional<std::string>{R"("42")"});  // as before: text
  EXPECT_EQ(cfg.routes[1].attempt_timeout.count(), 0);
}

TEST(LoaderErrors, FallbackProblems) {
  EXPECT_THAT(errors_of("upstreams:\n  py: {kind: websocket, url: 'ws://127.0.0.1:8000/ws'}\n"
                        "  run: {kind: process, command: /bin/true}\n"
                        "routes:\n"
                        "  a: {upstream: py, fallback_on: [circuit_open]}\n"
                        "  b: {upstream: py, fallback: x, fallback_on: [sometimes]}\n"
                        "  c: {upstream: run, attempt_timeout: 1s}\n"),
              ElementsAre(HasSubstr("5:34: routes.a.fallback_on: there is no `fallback`"),
                          HasSubstr("6:48: routes.b.fallback_on[0]: expected one of circuit_open, "
                                    "retries_exhausted, timeout, upstream_error"),
                          HasSubstr("7:39: routes.c.attempt_timeout: attempts time out on "
                                    "network upstreams")));
}

TEST(Loader, HttpsUpstreams) {
  auto cfg = loaded(
      "upstreams:\n"
      "  a: {kind: http, url: 'https://api.internal/v1', tls: {ca_file: /etc/ca.pem}}\n"
      "  b: {kind: sse, url: 'https://llm:8443/s', tls: {cert_file: c.pem, key_file: k.pem}}\n"
      "routes: {r: {upstream: a}, s: {upstream: b}}\n");
  const auto& a = cfg.upstreams[0];
  EXPECT_TRUE(a.http.endpoint.tls);
  EXPECT_EQ(a.http.endpoint.port, "443");
  EXPECT_EQ(a.tls.ca_file, "/etc/ca.pem");
  const auto& b = cfg.upstreams[1];
  EXPECT_TRUE(b.sse.endpoint.tls);
  EXPECT_EQ(b.sse.endpoint.port, "8443");
  EXPECT_EQ((std::vector<std::string>{b.tls.ca_file, b.tls.cert_file, b.tls.key_file}),
            (std::vector<std::string>{"", "c.pem", "k.pem"}));
  EXPECT_THAT(
      errors_of("upstreams:\n"
                "  a: {kind: http, url: 'http://x/', tls: {ca_file: a.pem}}\n"
                "  b: {kind: http, url: 'https://x/', tls: {cert_file: c.pem}}\n"
                "routes: {r: {upstream: a}}\n"),
      ElementsAre(HasSubstr("upstreams.a.tls: only an https:// or wss:// url is reached over TLS"),
                  HasSubstr("upstreams.b.tls: needs both `cert_file` and `key_file`")));
}

TEST(LoaderErrors, TemplateProblems) {
  EXPECT_THAT(
      errors_of("upstreams:\n"
                "  a: {kind: sse, url: 'http://x/v1/{{user}}', body: '{{payload', "
                "headers: {'X A': v, X-Tenant: \"{{claims.t}}\\r\\nX: 1\"}}\n"
                "  b: {kind: websocket, url: 'ws://x/', connections: pooled, "
                "headers: {X-User: '{{sub}}'}, message: '{{nope}}'}\n"
                "routes: {r: {upstream: a}}\n"),
      ElementsAre(HasSubstr("2:83: upstreams.a.headers.X A: not a valid HTTP header name"),
                  HasSubstr("2:96: upstreams.a.headers.X-Tenant: a header value may not hold a "
                            "line break"),
                  HasSubstr("2:53: upstreams.a.body: a field opened with {{ is not closed"),
                  HasSubstr("2:23: upstreams.a.url: unknown field {{user}}"),
                  HasSubstr("3:100: upstreams.b.message: unknown field {{nope}}"),
                  HasSubstr("3:79: upstreams.b.headers.X-User: a pooled connection serves every "
                            "caller")));
}

TEST(LoaderErrors, WebSocketUpstreamProblems) {
  EXPECT_THAT(
      errors_of("upstreams:\n  a: {kind: websocket}\n  b: {kind: websocket, url: "
                "'http://x/ws'}\n  c: {kind: websocket, url: 'ws://h:99999/', command: x}\n"
                "routes: {r: {upstream: a}}\n"),
      ElementsAre("2:6: upstreams.a.url: missing",
                  "3:29: upstreams.b.url: expected ws://HOST:PORT/PATH or wss://HOST:PORT/PATH, "
                  "got \"http://x/ws\"",
                  "4:46: upstreams.c.command: unknown key (expected one of: kind, "
                  "failure_threshold, backoff, retries, health, url, connect_timeout, "
                  "max_message_bytes, message, headers, tls, type_field, connections, pool_size)",
                  "4:29: upstreams.c.url: expected ws://HOST:PORT/PATH or wss://HOST:PORT/PATH, "
                  "got \"ws://h:99999/\""));
}

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
  EXPECT_EQ(up.websocket.message.text(), R"({"prompt": {{text}}})");
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
  EXPECT_EQ(cfg.routes[0].fallback, std::optional<std::string>{R"("busy")"});
  EXPECT_EQ(cfg.routes[0].fallback_on, fallback_on_circuit_open);
  EXPECT_EQ(cfg.routes[1].fallback, std::nullopt);
}

TEST(LoaderErrors, SupervisionProblems) {
  EXPECT_THAT(
      errors_of("upstreams:\n  a:\n    kind: sse\n    url: http://h/x\n    retries: -1\n"
                "    backoff: {base: 2s, max: 1s, multiplier: fast}\n"
                "    health: {url: 'ws://h/health'}\n"
                "  p: {kind: process, command: x, retries: 1}\n"
                "routes:\n  r: {upstream: a}\n  u: {kind: uppercase, fallback: x}\n"),
      ElementsAre(
          "5:14: upstreams.a.retries: expected a whole number, got \"-1\"",
          "6:46: upstreams.a.backoff.multiplier: expected a number such as 2 or 1.5, got "
          "\"fast\"",
          "6:14: upstreams.a.backoff.max: must not be shorter than backoff.base",
          "7:19: upstreams.a.health.url: expected http://HOST:PORT/PATH or "
          "https://HOST:PORT/PATH, got \"ws://h/health\"",
          "8:34: upstreams.p.retries: unknown key (expected one of: kind, "
          "failure_threshold, backoff, command, args, env, cwd, output, max_line_bytes, "
          "kill_grace, max_concurrent, publish)",
          "11:34: routes.u.fallback: only a route with an `upstream` has a fallback or attempts"));
}

TEST(LoaderErrors, WebSocketMappingProblems) {
  EXPECT_THAT(errors_of("upstreams:\n  a: {kind: websocket, url: 'ws://h/', type_field: '',"
                        " connections: shared, pool_size: 0}\nroutes: {r: {upstream: a}}\n"),
              ElementsAre("2:52: upstreams.a.type_field: must not be empty",
                          "2:69: upstreams.a.connections: expected one of per_request, pooled, "
                          "got \"shared\"",
                          "2:88: upstreams.a.pool_size: must be between 1 and 10000, got 0"));
}

TEST(Loader, WorkersPublishPatterns) {
  auto cfg = loaded(
      "upstreams:\n  w: {kind: workers, publish: [\"results.*\", \"log\"]}\n"
      "routes: {r: {upstream: w}}\n");
  EXPECT_THAT(cfg.upstreams.front().publish, ElementsAre("results.*", "log"));
  EXPECT_THAT(errors_of("upstreams:\n  w: {kind: workers, publish: [\"a.*.*\"]}\n"
                        "routes: {r: {upstream: w}}\n"),
              ElementsAre("2:32: upstreams.w.publish[0]: expected a topic name pattern (at most "
                          "one `*`), got \"a.*.*\""));
}

TEST(Loader, UpstreamKindNames) {
  EXPECT_EQ(to_string(upstream_kind::process), "process");
  EXPECT_EQ(to_string(upstream_kind::workers), "workers");
}

}  // namespace
}  // namespace sluice::config
