// The worker pool on CAF's deterministic test coordinator, with stand-in
// workers and jobs that only send and record the pool's messages: which job
// goes to which worker, which waits, which fails, and the upstream's circuit.
// Then a randomized property test over workers coming and going, requests and
// finished jobs.
#include <gtest/gtest.h>
#include <caf/all.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "actors/workers/pool.hpp"
#include "tests/actors/deterministic_system.hpp"

namespace sluice::actors {
namespace {

// What the stand-ins saw.
struct record {
  std::map<caf::actor_id, std::vector<caf::actor_id>> dispatched;  // worker -> its jobs
  std::map<caf::actor_id, std::string> failed;                     // job -> why
  std::map<caf::actor_id, std::uint32_t> placed;                   // job -> place in line told
};

// Registers with the pool at once; records dispatches; tells the pool a job
// is done, or that it leaves, when the test says so.
caf::behavior standin_worker(caf::event_based_actor* self, caf::actor pool,
                             std::vector<std::string> routes, std::uint32_t capacity,
                             std::shared_ptr<record> seen) {
  self->send(pool, worker_up_atom::value, std::move(routes), capacity);
  return {
      [=](dispatch_atom, caf::actor& job, std::string&, std::string&, std::string&) {
        seen->dispatched[self->id()].push_back(job.id());
      },
      [=](job_done_atom) { self->send(pool, job_done_atom::value); },
      [=](worker_down_atom) { self->send(pool, worker_down_atom::value); },
  };
}

// Asks the pool for a worker at once; records a refusal.
caf::behavior pool_standin_job(caf::event_based_actor* self, caf::actor pool, std::string route,
                               std::shared_ptr<record> seen, priority level) {
  self->send(pool, assign_atom::value, std::move(route), std::string{"{}"},
             static_cast<std::uint8_t>(level), std::string{});
  return {
      [=](upstream_failed_atom, std::string& why) { seen->failed[self->id()] = why; },
      [=](queued_atom, std::uint32_t place) { seen->placed[self->id()] = place; },
  };
}

// A deterministic actor system with a pool and its stand-ins.
class pool_world : public deterministic_system {
 public:
  ~pool_world() {
    for (const auto& a : actors_) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(pool_, caf::exit_reason::user_shutdown);
    sched_->run();
  }

  void start_pool(std::size_t queue_bound) {
    config::upstream_config up;
    up.name = "pool-test";
    up.kind = config::upstream_kind::workers;
    pool_ = sys_->spawn(worker_pool, std::make_shared<const config::upstream_config>(up), gate_,
                        admission_limits{queue_bound, {}}, std::shared_ptr<cluster_view>{});
    sched_->run();
  }
  caf::actor worker(std::vector<std::string> routes, std::uint32_t capacity) {
    auto w = sys_->spawn(standin_worker, pool_, std::move(routes), capacity, seen_);
    actors_.push_back(w);
    sched_->run();
    return w;
  }
  caf::actor job(std::string route, priority level = priority::normal) {
    auto j = sys_->spawn(pool_standin_job, pool_, std::move(route), seen_, level);
    actors_.push_back(j);
    sched_->run();
    return j;
  }
  void tell(const caf::actor& a, auto atom) {
    caf::anon_send(a, atom);
    sched_->run();
  }
  std::vector<caf::actor_id> jobs_of(const caf::actor& w) { return seen_->dispatched[w.id()]; }

  std::shared_ptr<upstream_gate> gate_ = std::make_shared<upstream_gate>();
  std::shared_ptr<record> seen_ = std::make_shared<record>();
  caf::actor pool_;
  std::vector<caf::actor> actors_;  // ended with the world
};

class PoolTest : public ::testing::Test, public pool_world {};

TEST_F(PoolTest, TheCircuitIsOpenUntilAWorkerRegistersAndAfterTheLastLeaves) {
  start_pool(8);
  EXPECT_EQ(gate_->state(), circuit_state::open);
  auto w = worker({"ask"}, 1);
  EXPECT_EQ(gate_->state(), circuit_state::closed);
  tell(w, worker_down_atom::value);
  EXPECT_EQ(gate_->state(), circuit_state::open);
}

TEST_F(PoolTest, TheLeastLoadedWorkerWithRoomGetsTheJobAndTheRestWaitInOrder) {
  start_pool(8);
  auto big = worker({"ask"}, 2);
  auto small = worker({"ask"}, 1);
  auto j1 = job("ask"), j2 = job("ask"), j3 = job("ask"), j4 = job("ask"), j5 = job("ask");
  // By load relative to capacity, ties to the earlier worker: j1 to big (both
  // empty), j2 to small (0/1 < 1/2), j3 to big (small is full).
  EXPECT_EQ(jobs_of(big), (std::vector<caf::actor_id>{j1.id(), j3.id()}));
  EXPECT_EQ(jobs_of(small), (std::vector<caf::actor_id>{j2.id()}));
  EXPECT_TRUE(seen_->failed.empty());  // j4 and j5 wait
  tell(small, job_done_atom::value);
  EXPECT_EQ(jobs_of(small), (std::vector<caf::actor_id>{j2.id(), j4.id()}));
  tell(big, job_done_atom::value);
  EXPECT_EQ(jobs_of(big), (std::vector<caf::actor_id>{j1.id(), j3.id(), j5.id()}));
}

TEST_F(PoolTest, WaitingRequestsGoByPriorityAndLearnTheirPlace) {
  start_pool(8);
  auto w = worker({"ask"}, 1);
  auto running = job("ask");
  auto low = job("ask", priority::low);
  auto normal = job("ask");
  auto critical = job("ask", priority::critical);
  auto high = job("ask", priority::high);
  EXPECT_EQ(seen_->placed[running.id()], 0u);  // runs at once
  EXPECT_EQ(seen_->placed[low.id()], 1u);
  EXPECT_EQ(seen_->placed[normal.id()], 1u);    // ahead of the low one
  EXPECT_EQ(seen_->placed[critical.id()], 1u);  // ahead of both
  EXPECT_EQ(seen_->placed[high.id()], 2u);      // behind the critical one only
  for (int i = 0; i < 4; ++i) tell(w, job_done_atom::value);
  EXPECT_EQ(jobs_of(w), (std::vector<caf::actor_id>{running.id(), critical.id(), high.id(),
                                                    normal.id(), low.id()}));
}

TEST_F(PoolTest, ARouteNobodyServesFailsAtOnce) {
  start_pool(8);
  worker({"ask"}, 1);
  auto j = job("summarize");
  ASSERT_EQ(seen_->failed.count(j.id()), 1u);
  EXPECT_EQ(seen_->failed[j.id()], "no connected worker serves route \"summarize\"");
}

TEST_F(PoolTest, AFullQueueRefusesAndAWorkerLeavingFailsWhatOnlyItServed) {
  start_pool(1);
  auto w = worker({"ask"}, 1);
  job("ask");                 // runs
  auto waiting = job("ask");  // waits: the queue holds 1
  auto refused = job("ask");
  EXPECT_EQ(seen_->failed[refused.id()], "every worker is busy and 1 requests wait");
  EXPECT_EQ(seen_->failed.count(waiting.id()), 0u);
  tell(w, worker_down_atom::value);
  EXPECT_EQ(seen_->failed[waiting.id()], "no worker serves route \"ask\" any more");
}

// Random workers (routes, capacity), requests, finished jobs and departures;
// after every step: no worker holds more jobs than its capacity, every
// request is dispatched once, failed, or waiting, never more than the queue
// bound wait, and a request waits only while every worker serving its route
// is full.
TEST(PoolProperty, NoIdleCapacityWhileARequestWaitsAndNoWorkerOverItsCapacity) {
  const std::vector<std::string> routes{"a", "b", "c"};
  for (unsigned seed = 0; seed < 150; ++seed) {
    pool_world t;
    std::mt19937 rng{seed};
    constexpr std::size_t bound = 4;
    t.start_pool(bound);
    struct live_worker {
      caf::actor actor;
      std::vector<std::string> routes;
      std::uint32_t capacity;
      std::size_t done = 0;
    };
    std::vector<live_worker> workers;
    std::map<caf::actor_id, std::string> jobs;  // every request -> its route
    for (int step = 0; step < 60; ++step) {
      auto pick = rng() % 10;
      if (pick < 2 || workers.empty()) {
        std::vector<std::string> serves;
        for (const auto& r : routes)
          if (rng() % 2) serves.push_back(r);
        if (serves.empty()) serves.push_back(routes[rng() % routes.size()]);
        auto capacity = static_cast<std::uint32_t>(1 + rng() % 3);
        workers.push_back({t.worker(serves, capacity), serves, capacity});
      } else if (pick < 6) {
        auto route = routes[rng() % routes.size()];
        jobs[t.job(route).id()] = route;
      } else if (pick < 9) {
        auto& w = workers[rng() % workers.size()];
        if (t.jobs_of(w.actor).size() > w.done) {
          ++w.done;
          t.tell(w.actor, job_done_atom::value);
        }
      } else {
        auto i = rng() % workers.size();
        t.tell(workers[i].actor, worker_down_atom::value);
        workers.erase(workers.begin() + static_cast<std::ptrdiff_t>(i));
      }
      // Dispatched once, or failed, or waiting.
      std::map<caf::actor_id, int> times;
      for (const auto& [worker, its] : t.seen_->dispatched)
        for (auto id : its) ++times[id];
      std::size_t waiting = 0;
      std::set<std::string> waiting_routes;
      for (const auto& [id, route] : jobs) {
        int n = times[id] + static_cast<int>(t.seen_->failed.count(id));
        ASSERT_LE(n, 1) << "seed " << seed << " step " << step << ": job " << id;
        if (n == 0) {
          ++waiting;
          waiting_routes.insert(route);
        }
      }
      ASSERT_LE(waiting, bound) << "seed " << seed << " step " << step;
      for (const auto& w : workers) {
        auto held = t.jobs_of(w.actor).size() - w.done;
        ASSERT_LE(held, w.capacity) << "seed " << seed << " step " << step;
        for (const auto& r : waiting_routes) {
          bool serves = std::find(w.routes.begin(), w.routes.end(), r) != w.routes.end();
          ASSERT_FALSE(serves && held < w.capacity)
              << "seed " << seed << " step " << step << ": a request for " << r
              << " waits while a worker serving it has room";
        }
      }
      for (const auto& r : waiting_routes)
        ASSERT_TRUE(std::any_of(workers.begin(), workers.end(),
                                [&](const live_worker& w) {
                                  return std::find(w.routes.begin(), w.routes.end(), r) !=
                                         w.routes.end();
                                }))
            << "seed " << seed << " step " << step << ": a request for " << r
            << " waits though no worker serves it";
    }
  }
}

}  // namespace
}  // namespace sluice::actors
