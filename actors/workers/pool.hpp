#pragma once

#include <caf/all.hpp>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "actors/base/admission_queue.hpp"
#include "actors/cluster/view.hpp"
#include "actors/messages.hpp"
#include "actors/upstream/gate.hpp"
#include "config/config.hpp"
#include "core/observe/mailbox_gauge.hpp"

namespace sluice::actors {

// One per upstream of kind `workers`: knows the workers that registered for
// its routes, their capacity and load, and assigns each request to the
// least-loaded live worker that serves its route (in a cluster, a pool on
// another node with room when no worker here has any: the job talks to that
// node's worker directly, credit and cancel included). Requests wait in a queue
// while every such worker is busy, by priority (admission_queue.hpp); a request for a route no
// worker serves fails at once. The upstream's circuit is open while no worker is connected, so
// requests fail fast (or get the route's fallback). Published to /readyz and /metrics.
class worker_pool_state {
 public:
  static inline const char* name = "sluice.worker_pool";

  explicit worker_pool_state(caf::event_based_actor* self);
  ~worker_pool_state();
  worker_pool_state(const worker_pool_state&) = delete;
  worker_pool_state& operator=(const worker_pool_state&) = delete;

  caf::behavior make_behavior(std::shared_ptr<const config::upstream_config> upstream,
                              std::shared_ptr<upstream_gate> gate, admission_limits waiting,
                              std::shared_ptr<cluster_view> cluster);

 private:
  struct worker_entry {
    caf::actor actor;
    std::vector<std::string> routes;
    std::uint32_t capacity = 1;
    std::uint32_t load = 0;
    bool serves(const std::string& route) const;
  };
  struct queued_job {
    caf::actor job;
    std::string route;
    std::string payload;
    std::string client;  // the job frame's `client` (JSON)
  };

  void on_worker_up(std::vector<std::string> routes, std::uint32_t capacity);
  void on_worker_down();
  void on_job_done();
  // `from_peer`: sent on by a pool on another node; served here, never sent on.
  void on_assign(job_assignment a, bool from_peer);
  // A pool on another node for `route`: one with room, else (when no worker
  // here serves the route) one that queues; null when this node should serve.
  caf::actor remote_pool_for(const std::string& route, bool served_here) const;
  // The circuit is closed while a worker here or on another node can serve.
  void update_gate();
  // The least-loaded worker with room that serves `route`, or null.
  worker_entry* pick(const std::string& route);
  bool anyone_serves(const std::string& route) const;
  void dispatch(worker_entry& w, queued_job q);
  void drain_queue();
  worker_entry* sender_entry();
  void publish();
  // What other nodes need to choose this pool (capacity, free slots, routes).
  void report_to_cluster(std::int64_t capacity, std::int64_t busy);

  caf::event_based_actor* self_;
  std::shared_ptr<const config::upstream_config> upstream_;
  std::shared_ptr<upstream_gate> gate_;
  std::vector<worker_entry> workers_;
  admission_queue<queued_job> queue_;
  std::unique_ptr<mailbox_gauge> queued_;  // queue_'s size against limits.upstream_queue
  std::shared_ptr<cluster_view> cluster_;  // null: a single node
};

caf::behavior worker_pool(caf::stateful_actor<worker_pool_state>* self,
                          std::shared_ptr<const config::upstream_config> upstream,
                          std::shared_ptr<upstream_gate> gate, admission_limits waiting,
                          std::shared_ptr<cluster_view> cluster);

}  // namespace sluice::actors
