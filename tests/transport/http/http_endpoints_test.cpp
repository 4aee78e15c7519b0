#include "transport/http/http_endpoints.hpp"

#include "core/observe/readiness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sluice::transport {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(HttpEndpoints, Healthz) {
  server_status status;
  auto r = answer_http("GET", "/healthz", status);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "{\"status\":\"ok\"}\n");
}

TEST(HttpEndpoints, ReadyzFollowsListeningAndDraining) {
  server_status status;
  EXPECT_EQ(answer_http("GET", "/readyz", status).status, 503u);
  status.listening = true;
  auto ready = answer_http("GET", "/readyz", status);
  EXPECT_EQ(ready.status, 200u);
  EXPECT_EQ(ready.body,
            "{\"status\":\"ready\",\"listening\":true,\"draining\":false,\"upstreams\":{}}\n");
  status.draining = true;
  EXPECT_EQ(answer_http("GET", "/readyz?verbose=1", status).status, 503u);
}

TEST(HttpEndpoints, ReadyzListsUpstreamsAndIsDegradedWhenOneIsDown) {
  server_status status;
  status.listening = true;
  auto& board = readiness_board::global();
  board.publish("up_a", true, R"({"circuit":"closed"})");
  board.publish("up_b", false, R"({"circuit":"open"})");
  auto r = answer_http("GET", "/readyz", status);
  EXPECT_EQ(r.status, 200u);  // a shared upstream being down is no reason to leave rotation
  EXPECT_THAT(r.body, HasSubstr(R"("status":"degraded")"));
  EXPECT_THAT(r.body,
              HasSubstr(R"("upstreams":{"up_a":{"circuit":"closed"},"up_b":{"circuit":"open"}})"));
  EXPECT_EQ(answer_http("GET", "/readyz?strict", status).status, 503u);
  board.publish("up_b", true, R"({"circuit":"closed"})");
  EXPECT_EQ(answer_http("GET", "/readyz?strict", status).status, 200u);
  board.remove("up_a");
  board.remove("up_b");
}

TEST(HttpEndpoints, MetricsIsPrometheusText) {
  server_status status;
  auto r = answer_http("GET", "/metrics", status);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
}

TEST(HttpEndpoints, PlainGetOnWebSocketPathIs426) {
  server_status status;
  auto r = answer_http("GET", "/ws", status);
  EXPECT_EQ(r.status, 426u);
  EXPECT_THAT(r.body, HasSubstr("\"error\":\"upgrade_required\""));
  EXPECT_THAT(r.headers, Contains(Pair("Upgrade", "websocket")));
}

TEST(HttpEndpoints, UnknownPathIs404WithJson) {
  server_status status;
  auto r = answer_http("GET", "/nope?x=1", status);
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, "{\"error\":\"not_found\",\"message\":\"no such path: /nope\"}\n");
}

TEST(HttpEndpoints, WrongMethodIs405) {
  server_status status;
  auto r = answer_http("POST", "/healthz", status);
  EXPECT_EQ(r.status, 405u);
  EXPECT_THAT(r.headers, Contains(Pair("Allow", "GET, HEAD")));
}

}  // namespace
}  // namespace sluice::transport
