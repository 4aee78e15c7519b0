// The job shell with a scripted driver, on CAF's deterministic test
// coordinator: messages run when the test says so and time passes only when
// the test advances it, so nothing here sleeps or depends on timing.
#include <gtest/gtest.h>
#include <caf/all.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/job/job.hpp"
#include "actors/messages.hpp"
#include "tests/actors/deterministic_system.hpp"

namespace sluice::actors {
namespace {

using namespace std::chrono_literals;

// What the driver saw, and what it does on each attempt.
struct script {
  int attempts = 0;
  bool waits = false;  // for capacity: the driver tells the shell when it is accepted
  std::vector<std::uint32_t> credit;
  bool destroyed = false;
  std::function<void(job_shell&, int attempt)> on_attempt = [](job_shell&, int) {};
};

class scripted_driver final : public job_driver {
 public:
  scripted_driver(job_shell& job, std::shared_ptr<script> s) : job_(job), s_(std::move(s)) {}
  ~scripted_driver() override { s_->destroyed = true; }
  void attempt() override { s_->on_attempt(job_, ++s_->attempts); }
  void on_credit(std::uint32_t n) override { s_->credit.push_back(n); }
  caf::message_handler handlers() override {
    return {[this](tick_atom) { job_.emit("tick"); },
            [this](queued_atom, std::uint32_t place) { job_.accepted(place); }};
  }
  bool waits_for_capacity() const override { return s_->waits; }

 private:
  job_shell& job_;
  std::shared_ptr<script> s_;
};

class JobShellTest : public ::testing::Test, public deterministic_system {
 protected:
  JobShellTest() {
    // (Function actors take an argument here: CAF 0.17 binds a null
    // reference for one spawned without arguments, which UBSan reports.)
    session_ = sys_->spawn(
        [](caf::event_based_actor*,
           std::shared_ptr<std::vector<job_event>> events) -> caf::behavior {
          return {[events](job_event& e) { events->push_back(std::move(e)); }};
        },
        events_);
    // Takes the attempts' reports (upstream_up/down) and ignores them.
    supervisor_ = sys_->spawn(
        [](caf::event_based_actor*, int) -> caf::behavior {
          return {[](upstream_up_atom) {}, [](upstream_down_atom, const std::string&) {}};
        },
        0);
  }
  ~JobShellTest() override {
    for (const auto& job : jobs_) caf::anon_send_exit(job, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(session_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(supervisor_, caf::exit_reason::user_shutdown);
    sched_->run();
  }

  upstream_binding upstream(std::uint32_t retries) {
    config::upstream_config up;
    up.name = "backend";
    up.supervision.retries = retries;
    up.supervision.backoff_base = 10ms;
    up.supervision.backoff_max = 10ms;
    return {std::make_shared<const config::upstream_config>(up), std::make_shared<upstream_gate>(),
            supervisor_, nullptr};
  }

  caf::actor start(std::optional<upstream_binding> binding, std::chrono::milliseconds timeout) {
    job_spec spec{
        "sluice.test_job",
        [s = script_](job_shell& job) { return std::make_unique<scripted_driver>(job, s); },
        std::move(binding)};
    auto job = sys_->spawn(job_actor, std::move(spec), timeout,
                           job_request{"\"r\"", "{}", session_, nullptr, "r-1"}, nullptr);
    jobs_.push_back(job);
    sched_->run();
    if (!script_->waits) {  // `accepted` comes first; the tests below look at what follows
      EXPECT_FALSE(events_->empty());
      if (events_->empty()) return job;
      EXPECT_EQ(events_->front().frame,
                R"({"type":"accepted","id":"r","request":"r-1","queued":0})");
      events_->erase(events_->begin());
    }
    return job;
  }

  std::shared_ptr<std::vector<job_event>> events_ = std::make_shared<std::vector<job_event>>();
  std::shared_ptr<script> script_ = std::make_shared<script>();
  caf::actor session_;
  caf::actor supervisor_;
  std::vector<caf::actor> jobs_;  // ended at teardown, so that a failing test cannot hang
};

TEST_F(JobShellTest, TheDeadlineEndsTheRequestWithItsErrorAndReleasesTheDriver) {
  start(std::nullopt, 5s);
  EXPECT_EQ(script_->attempts, 1);
  EXPECT_TRUE(events_->empty());
  advance(4s);
  EXPECT_TRUE(events_->empty());  // not yet
  advance(1s);
  ASSERT_EQ(events_->size(), 1u);
  EXPECT_TRUE(events_->front().terminal);
  EXPECT_EQ(events_->front().outcome, request_outcome::deadline_exceeded);
  EXPECT_NE(events_->front().frame.find(R"("code":"deadline_exceeded")"), std::string::npos);
  EXPECT_NE(events_->front().frame.find(R"("id":"r")"), std::string::npos);
  EXPECT_TRUE(script_->destroyed);
}

TEST_F(JobShellTest, CreditGoesToTheDriverAndItsOwnMessagesToItsHandlers) {
  auto job = start(std::nullopt, 60s);
  caf::anon_send(job, credit_atom::value, std::uint32_t{8});  // 1 of them for `accepted`
  caf::anon_send(job, tick_atom::value);
  caf::anon_send(job, credit_atom::value, std::uint32_t{1});
  sched_->run();
  EXPECT_EQ(script_->credit, (std::vector<std::uint32_t>{7, 1}));
  ASSERT_EQ(events_->size(), 1u);
  EXPECT_EQ(events_->front().frame, "tick");
  EXPECT_FALSE(events_->front().terminal);
  EXPECT_FALSE(script_->destroyed);
  caf::anon_send_exit(job, caf::exit_reason::user_shutdown);
  sched_->run();
  EXPECT_TRUE(script_->destroyed);
}

TEST_F(JobShellTest, AJobThatWaitsForCapacityIsAcceptedWithItsPlaceOnce) {
  script_->waits = true;
  auto job = start(std::nullopt, 60s);
  EXPECT_TRUE(events_->empty());  // not before the driver knows where it waits
  caf::anon_send(job, queued_atom::value, std::uint32_t{3});
  caf::anon_send(job, queued_atom::value, std::uint32_t{0});  // e.g., a retry runs at once
  caf::anon_send(job, tick_atom::value);
  sched_->run();
  ASSERT_EQ(events_->size(), 2u);
  EXPECT_EQ((*events_)[0].frame, R"({"type":"accepted","id":"r","request":"r-1","queued":3})");
  EXPECT_EQ((*events_)[1].frame, "tick");
}

TEST_F(JobShellTest, AFailedAttemptIsRetriedAfterABackoffUpToTheLimit) {
  script_->on_attempt = [](job_shell& job, int) {
    job.retry_or_fail(ec::upstream_unavailable, "refused");
  };
  start(upstream(2), 60s);
  EXPECT_EQ(script_->attempts, 1);
  for (int retry = 2; retry <= 3; ++retry) {
    EXPECT_TRUE(events_->empty());
    ASSERT_TRUE(sched_->trigger_timeout());  // the backoff wait
    sched_->run();
    EXPECT_EQ(script_->attempts, retry);
  }
  ASSERT_EQ(events_->size(), 1u);
  EXPECT_NE(events_->front().frame.find(R"("code":"upstream_unavailable")"), std::string::npos);
  EXPECT_EQ(events_->front().outcome, request_outcome::error);
}

TEST_F(JobShellTest, NothingIsRetriedOnceAFrameWentToTheClient) {
  script_->on_attempt = [](job_shell& job, int) {
    job.emit("progress");
    job.retry_or_fail(ec::upstream_failed, "dropped");
  };
  start(upstream(2), 60s);
  EXPECT_EQ(script_->attempts, 1);
  ASSERT_EQ(events_->size(), 2u);
  EXPECT_EQ((*events_)[0].frame, "progress");
  EXPECT_TRUE((*events_)[1].terminal);
  EXPECT_NE((*events_)[1].frame.find(R"("code":"upstream_failed")"), std::string::npos);
}

TEST_F(JobShellTest, FinishEndsTheJobWithTheDriversLastFrame) {
  script_->on_attempt = [](job_shell& job, int) { job.finish("done", request_outcome::ok); };
  start(std::nullopt, 60s);
  ASSERT_EQ(events_->size(), 1u);
  EXPECT_EQ(events_->front().frame, "done");
  EXPECT_TRUE(events_->front().terminal);
  EXPECT_EQ(events_->front().outcome, request_outcome::ok);
  EXPECT_TRUE(script_->destroyed);
  advance(120s);  // its deadline died with it
  EXPECT_EQ(events_->size(), 1u);
}

}  // namespace
}  // namespace sluice::actors
