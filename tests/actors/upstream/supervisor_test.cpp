// The upstream supervisor on CAF's deterministic test coordinator (time moves
// only when the test says so): the circuit that opens after
// failure_threshold consecutive failures and is probed after a backoff, and
// the max_concurrent slots of a process upstream handed out in order. Process
// upstreams are probed by checking that their command is executable, so no
// socket is involved.
#include "actors/upstream/supervisor.hpp"

#include <gtest/gtest.h>
#include <caf/all.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actors/job/support.hpp"
#include "actors/messages.hpp"
#include "tests/actors/deterministic_system.hpp"

namespace sluice::actors {
namespace {

using namespace std::chrono_literals;

// What the stand-in jobs got: a slot (kept until the test lets it go), or a refusal.
struct slots_seen {
  std::map<caf::actor_id, slot_ptr> held;
  std::map<caf::actor_id, std::string> refused;
  std::vector<caf::actor_id> granted;  // in the order slots went out
};

using let_go_atom = caf::atom_constant<caf::atom("let_go")>;

caf::behavior standin_job(caf::event_based_actor* self, caf::actor supervisor,
                          std::shared_ptr<slots_seen> seen, priority level) {
  self->send(supervisor, acquire_atom::value, static_cast<std::uint8_t>(level));
  return {
      [=](slot_atom, slot_ptr& slot) {
        seen->held[self->id()] = std::move(slot);
        seen->granted.push_back(self->id());
      },
      [=](queued_atom, std::uint32_t) {},
      [=](upstream_failed_atom, std::string& why) { seen->refused[self->id()] = why; },
      [=](let_go_atom) { seen->held.erase(self->id()); },  // the slot's end releases it
  };
}

class SupervisorTest : public ::testing::Test, public deterministic_system {
 protected:
  ~SupervisorTest() override {
    seen_->held.clear();  // slots release into a supervisor that is ending anyway
    for (const auto& a : actors_) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(supervisor_, caf::exit_reason::user_shutdown);
    sched_->run();
  }

  // A process upstream whose command is `command` (probed: executable or not).
  void start(std::string command, std::uint32_t max_concurrent = 0, std::size_t queue = 8) {
    config::upstream_config up;
    up.name = "supervisor-test";
    up.kind = config::upstream_kind::process;
    up.process.command = std::move(command);
    up.process.max_concurrent = max_concurrent;
    up.supervision.failure_threshold = 3;
    up.supervision.backoff_base = 100ms;
    up.supervision.backoff_max = 1000ms;
    supervisor_ = sys_->spawn(supervisor, std::make_shared<const config::upstream_config>(up),
                              gate_, nullptr, admission_limits{queue, {}});
    sched_->run();
  }
  void tell(auto... xs) {
    caf::anon_send(supervisor_, xs...);
    sched_->run();
  }
  void failure() { tell(upstream_down_atom::value, std::string{"refused"}); }
  caf::actor job(priority level = priority::normal) {
    auto j = sys_->spawn(standin_job, supervisor_, seen_, level);
    actors_.push_back(j);
    sched_->run();
    return j;
  }
  void let_go(const caf::actor& j) {
    caf::anon_send(j, let_go_atom::value);
    sched_->run();
  }
  bool holds(const caf::actor& j) { return seen_->held.count(j.id()) == 1; }

  std::shared_ptr<upstream_gate> gate_ = std::make_shared<upstream_gate>();
  std::shared_ptr<slots_seen> seen_ = std::make_shared<slots_seen>();
  caf::actor supervisor_;
  std::vector<caf::actor> actors_;
};

TEST_F(SupervisorTest, TheCircuitOpensAtTheThresholdOfConsecutiveFailures) {
  start("/bin/sh");
  failure();
  failure();
  tell(upstream_up_atom::value);  // a success in between: counting starts again
  failure();
  failure();
  EXPECT_EQ(gate_->state(), circuit_state::closed);
  failure();
  EXPECT_EQ(gate_->state(), circuit_state::open);
}

TEST_F(SupervisorTest, AHealthyProbeAfterTheBackoffClosesTheCircuit) {
  start("/bin/sh");
  for (int i = 0; i < 3; ++i) failure();
  ASSERT_EQ(gate_->state(), circuit_state::open);
  advance(1000ms);  // backoff_max: the probe is due whatever the jitter drew
  EXPECT_EQ(gate_->state(), circuit_state::closed);
}

TEST_F(SupervisorTest, AnUnhealthyProbeOpensTheCircuitAgainAndProbesLater) {
  start("/nonexistent/sluice-test-command");
  for (int i = 0; i < 3; ++i) failure();
  for (int round = 0; round < 4; ++round) {
    advance(1000ms);
    EXPECT_EQ(gate_->state(), circuit_state::open) << round;
  }
  // Still probing: a request that got through meanwhile closes it.
  tell(upstream_up_atom::value);
  EXPECT_EQ(gate_->state(), circuit_state::closed);
}

TEST_F(SupervisorTest, ProbesOfAnEarlierOpeningAreStale) {
  start("/nonexistent/sluice-test-command");
  for (int i = 0; i < 3; ++i) failure();
  tell(upstream_up_atom::value);  // closed before the probe came due
  ASSERT_EQ(gate_->state(), circuit_state::closed);
  advance(1000ms);  // the old probe fires into a closed circuit and changes nothing
  EXPECT_EQ(gate_->state(), circuit_state::closed);
}

TEST_F(SupervisorTest, SlotsGoOutInOrderAndAFullQueueRefuses) {
  start("/bin/sh", 2, 1);
  auto a = job(), b = job(), c = job(), d = job();
  EXPECT_TRUE(holds(a));
  EXPECT_TRUE(holds(b));
  EXPECT_FALSE(holds(c));  // waits: the queue holds 1
  ASSERT_EQ(seen_->refused.count(d.id()), 1u);
  EXPECT_EQ(seen_->refused[d.id()], "every process slot is busy and 1 requests wait");
  let_go(a);
  EXPECT_TRUE(holds(c));  // the released slot goes to the one that waited
  auto e = job();
  EXPECT_FALSE(holds(e));
  EXPECT_EQ(seen_->refused.count(e.id()), 0u);  // the queue has room again
  let_go(b);
  EXPECT_TRUE(holds(e));
}

TEST_F(SupervisorTest, AFreedSlotGoesToTheMostUrgentWaitingRequest) {
  start("/bin/sh", 1, 8);
  auto first = job();
  auto low = job(priority::low), high = job(priority::high), normal = job();
  for (const auto& j : {first, high, normal}) let_go(j);
  EXPECT_EQ(seen_->granted,
            (std::vector<caf::actor_id>{first.id(), high.id(), normal.id(), low.id()}));
}

}  // namespace
}  // namespace sluice::actors
