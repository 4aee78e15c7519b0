#pragma once

#include <caf/all.hpp>

#include <utility>

#include "actors/actor_metrics.hpp"

// Small pieces every job actor uses.
namespace sluice::actors {

// Counts a job in sluice_jobs_active for as long as its state lives.
class counted_job {
 public:
  counted_job() { actor_metrics::get().jobs_active.inc(); }
  ~counted_job() { actor_metrics::get().jobs_active.dec(); }
  counted_job(const counted_job&) = delete;
  counted_job& operator=(const counted_job&) = delete;
};

// Sends to a job from transport's threads while the job lives. Holds only a
// weak reference, so a running process or an open connection does not keep a
// finished job's memory.
class weak_sender {
 public:
  explicit weak_sender(caf::weak_actor_ptr job) : job_(std::move(job)) {}

  template <class... Ts>
  void send(Ts&&... xs) const {
    if (auto strong = job_.lock())
      caf::anon_send(caf::actor_cast<caf::actor>(strong), std::forward<Ts>(xs)...);
  }

 private:
  caf::weak_actor_ptr job_;
};

}  // namespace sluice::actors
