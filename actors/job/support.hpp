#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "actors/base/actor_metrics.hpp"
#include "actors/base/weak_sender.hpp"
#include "actors/job/caller.hpp"
#include "actors/job/kind_filter.hpp"
#include "actors/job/reply_shortcut.hpp"
#include "actors/messages.hpp"
#include "actors/quota/ticket.hpp"
#include "core/priority.hpp"
#include "transport/upstream/timer_service.hpp"

// Small pieces every job actor uses.
namespace sluice::actors {

// What a job needs to know about the request it serves.
struct job_request {
  std::string id;                                // the request id as JSON
  std::string payload;                           // the payload as JSON
  caf::actor session;                            // where the reply frames go
  shortcut_ptr shortcut;                         // may be null: every frame goes to the session
  std::string server_id = {};                    // the gateway's own id for it, told in `accepted`
  sluice::priority priority = priority::normal;  // its claim on the upstream's capacity
  kind_filter_ptr kinds = {};                    // the stream frames it asked for; null: all
  caller_ptr caller = {};                        // who is asking; null: nobody said
  quota_ticket_ptr quota = {};                   // its hold on the route's quota; may be null
};

// Counts a job in sluice_jobs_active for as long as its state lives.
class counted_job {
 public:
  counted_job() { actor_metrics::get().jobs_active.inc(); }
  ~counted_job() { actor_metrics::get().jobs_active.dec(); }
  counted_job(const counted_job&) = delete;
  counted_job& operator=(const counted_job&) = delete;
};

// A request's deadline: deadline_atom to the job when it passes. Armed on the
// timer service when there is one, so that it is cancelled the moment the
// job ends (its state is destroyed) instead of waiting in CAF's clock.
class job_deadline {
 public:
  job_deadline() = default;
  job_deadline(const job_deadline&) = delete;
  job_deadline& operator=(const job_deadline&) = delete;
  ~job_deadline() {
    if (timer_) timer_->cancel();
  }

  void arm(caf::event_based_actor* self, std::chrono::milliseconds after,
           transport::timer_service* timers) {
    if (timers == nullptr) return self->delayed_send(self, after, deadline_atom::value);
    weak_sender job{caf::actor_cast<caf::weak_actor_ptr>(self)};
    timer_ = timers->start(after, [job] { job.send(deadline_atom::value); });
  }

 private:
  std::shared_ptr<transport::timer_handle> timer_;
};

// One of an upstream's max_concurrent slots. Shared by the job and whatever
// outlives it (a process being terminated holds it until it is reaped); the
// last owner releases it. A grant that cannot be delivered releases itself.
class upstream_slot {
 public:
  explicit upstream_slot(caf::weak_actor_ptr supervisor) : supervisor_(std::move(supervisor)) {}
  ~upstream_slot() { supervisor_.send(release_atom::value); }
  upstream_slot(const upstream_slot&) = delete;
  upstream_slot& operator=(const upstream_slot&) = delete;

 private:
  weak_sender supervisor_;
};

}  // namespace sluice::actors
