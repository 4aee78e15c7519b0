#include "actors/workers/job.hpp"

#include "actors/actor_metrics.hpp"
#include "actors/cluster/metrics.hpp"
#include "actors/frames.hpp"
#include "actors/strays.hpp"

namespace sluice::actors {

caf::behavior worker_job_state::make_behavior(upstream_binding upstream, std::string route,
                                              std::chrono::milliseconds timeout, job_request req) {
  route_ = std::move(route);
  req_ = std::move(req);
  pool_ = upstream.supervisor;
  upstream_name_ = upstream.config->name;
  deadline_.arm(self_, timeout, upstream.timers);
  attempts_.emplace(self_, std::move(upstream));
  // A worker or pool on another node may vanish with its node, without a
  // word: the job watches whichever holds its request.
  self_->set_down_handler([this](caf::down_msg& msg) { on_holder_down(msg); });
  request_worker();
  return {
      [this](routed_atom, caf::actor& pool) { watch(std::move(pool)); },
      [this](assigned_atom, std::string& job_id) {
        attempts_->reached();
        worker_ = caf::actor_cast<caf::actor>(self_->current_sender());
        watch(worker_);
        job_id_ = std::move(job_id);
        window_ = {};
      },
      [this](worker_update_atom, const std::string& kind, const std::string& data,
             std::string& message) { on_update(kind, data, std::move(message)); },
      [this](worker_lost_atom, std::string& why) {
        if (self_->current_sender() != worker_.address()) return;  // an earlier worker
        unwatch();
        on_lost(std::move(why));
      },
      [this](upstream_failed_atom, std::string& why) {
        reply_error(self_, req_, ec::upstream_unavailable, std::move(why), request_outcome::error);
      },
      [this](retry_atom) { request_worker(); },
      [this](credit_atom, std::uint32_t n) {
        window_.acknowledged(n);
        if (worker_) self_->send(worker_, credit_atom::value, job_id_, n);
      },
      [this](deadline_atom) {
        reply_error(self_, req_, ec::deadline_exceeded, "the request exceeded its route's timeout",
                    request_outcome::deadline_exceeded);
      },
  };
}

void worker_job_state::request_worker() {
  worker_ = {};
  self_->send(pool_, assign_atom::value, route_, req_.payload);
}

void worker_job_state::watch(caf::actor holder) {
  unwatch();
  holder_ = std::move(holder);
  self_->monitor(holder_);
}

void worker_job_state::unwatch() {
  if (holder_) self_->demonitor(holder_);
  holder_ = {};
}

// The worker (or the pool on another node that queued the request) is gone:
// its node was lost, or it ended without telling (a local worker tells first).
void worker_job_state::on_holder_down(const caf::down_msg& msg) {
  if (!holder_ || msg.source != holder_.address()) return;
  holder_ = {};
  bool worker = worker_ && msg.source == worker_.address();
  worker_ = {};
  cluster_metrics::get().lost_holders.with({upstream_name_}).inc();
  on_lost(worker ? "the worker's node was lost (" + self_->system().render(msg.reason) + ")"
                 : "the node that queued the request was lost (" +
                       self_->system().render(msg.reason) + ")");
}

void worker_job_state::on_update(const std::string& kind, const std::string& data,
                                 std::string message) {
  attempts_->streamed();
  if (kind == "final")
    return reply(self_, req_, frames::final_with_data(req_.id, data), true, request_outcome::ok);
  if (kind == "error") {
    if (message.empty()) message = "the worker reported an error";
    actor_metrics::get().count_error(ec::upstream_failed);
    return reply(self_, req_, frames::worker_error(req_.id, message, data), true,
                 request_outcome::error);
  }
  if (!window_.can_send())
    return reply_error(self_, req_, ec::upstream_protocol_error,
                       "the worker sent more than its window of " +
                           std::to_string(job_credit_window) + " frames without credit",
                       request_outcome::error);
  window_.sent();
  reply(self_, req_, frames::with_data(kind, req_.id, data), false, request_outcome::ok);
}

void worker_job_state::on_lost(std::string why) {
  if (attempts_->failed(why)) return;  // retry_atom asks the pool again
  reply_error(self_, req_, ec::worker_lost, why, request_outcome::error);
}

caf::behavior worker_job(caf::stateful_actor<worker_job_state>* self, upstream_binding upstream,
                         std::string route, std::chrono::milliseconds timeout, job_request req) {
  ignore_strays(self, worker_job_state::name);
  return self->state.make_behavior(std::move(upstream), std::move(route), timeout, std::move(req));
}

}  // namespace sluice::actors
