// The router on CAF's deterministic test coordinator: which route a name (or
// none) resolves to, and what starting a job does for each kind of route
// while its upstream is unavailable (workers: no worker connected yet).
#include "actors/job/router.hpp"

#include <gtest/gtest.h>

#include <caf/all.hpp>
#include "tests/actors/deterministic_system.hpp"

#include <memory>
#include <optional>
#include <string>

#include "config/loader.hpp"

namespace sluice::actors {
namespace {

constexpr const char* yaml = R"(
upstreams:
  pool:
    kind: workers
    token: t
  helpers:
    kind: workers
    token: t
routes:
  shout:
    kind: uppercase
    default: true
  ask:
    upstream: pool
  help:
    upstream: helpers
    fallback: "nobody is here, try again"
)";

class RouterTest : public ::testing::Test, public deterministic_system {
 protected:
  RouterTest() {
    auto loaded = config::load_string(yaml, "router-test.yaml");
    config_ = std::get<config::config>(std::move(loaded));
    router_.emplace(*sys_, config_, upstream_runtime{});
    sched_->run();
  }
  ~RouterTest() override {
    router_->stop();
    for (const auto& a : actors_) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched_->run();
  }

  // Starts a job for request "r1" on the route called `name`, from a stand-in session.
  job_start start(std::string_view name) {
    ec why{};
    const auto* route = router_->resolve(name, why);
    EXPECT_NE(route, nullptr) << name;
    job_start out;
    // (A function actor with an argument: CAF 0.17 hands none to one without.)
    actors_.push_back(sys_->spawn(
        [&, route](caf::event_based_actor* self, int) {
          out = router_->start_job(self, *route, {"\"r1\"", "{\"text\":\"hi\"}", {}, nullptr});
          return caf::behavior{[](int) {}};
        },
        0));
    sched_->run();
    if (out.job) actors_.push_back(out.job);
    return out;
  }

  config::config config_;
  std::optional<router> router_;
  std::vector<caf::actor> actors_;
};

TEST_F(RouterTest, NamesResolveAndNoNameMeansTheDefaultRoute) {
  EXPECT_EQ(router_->names(), (std::vector<std::string>{"shout", "ask", "help"}));
  EXPECT_EQ(router_->default_route(), "shout");
  ec why{};
  ASSERT_NE(router_->resolve("", why), nullptr);
  EXPECT_EQ(router_->resolve("", why)->name, "shout");
  EXPECT_EQ(router_->resolve("ask", why)->name, "ask");
  EXPECT_EQ(router_->resolve("nope", why), nullptr);
  EXPECT_EQ(why, ec::unknown_route);
}

TEST_F(RouterTest, WorkersRoutesAreKnownByTheirUpstream) {
  ASSERT_NE(router_->workers_upstream("ask"), nullptr);
  EXPECT_EQ(router_->workers_upstream("ask")->config->name, "pool");
  EXPECT_EQ(router_->workers_upstream("help")->config->name, "helpers");
  EXPECT_EQ(router_->workers_upstream("shout"), nullptr);  // built in
  EXPECT_TRUE(router_->has_workers());
}

TEST_F(RouterTest, AnUnavailableUpstreamAnswersAtOnceWithoutAJob) {
  auto refused = start("ask");
  EXPECT_FALSE(refused.job);
  EXPECT_EQ(refused.outcome, request_outcome::error);
  EXPECT_EQ(refused.reply, R"({"type":"error","id":"r1","code":"upstream_unavailable",)"
                           R"("message":"no worker is connected to the upstream \"pool\""})");
  auto fallback = start("help");
  EXPECT_FALSE(fallback.job);
  EXPECT_EQ(fallback.outcome, request_outcome::ok);
  EXPECT_EQ(fallback.reply,
            R"({"type":"final","id":"r1","fallback":true,"result":"nobody is here, try again"})");
}

TEST_F(RouterTest, ABuiltInRouteStartsAJob) {
  auto started = start("shout");
  EXPECT_TRUE(started.job);
  EXPECT_TRUE(started.reply.empty());
}

TEST_F(RouterTest, NoDefaultRouteIsReportedAsSuch) {
  // Two routes, neither marked default (a single route is the default by itself).
  auto loaded = config::load_string(
      "routes:\n  a:\n    kind: uppercase\n  b:\n    kind: uppercase\n", "no-default.yaml");
  auto cfg = std::get<config::config>(std::move(loaded));
  router other{*sys_, cfg, upstream_runtime{}};
  ec why{};
  EXPECT_EQ(other.resolve("", why), nullptr);
  EXPECT_EQ(why, ec::no_default_route);
  other.stop();
}

}  // namespace
}  // namespace sluice::actors
