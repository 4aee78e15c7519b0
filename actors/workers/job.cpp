#include "actors/workers/job.hpp"

#include "actors/cluster/metrics.hpp"
#include "actors/job/flow_control.hpp"
#include "protocol/server_frames.hpp"

namespace sluice::actors {
namespace {

class worker_job final : public job_driver {
 public:
  worker_job(job_shell& job, std::string route)
      : job_(job),
        route_(std::move(route)),
        pool_(job.attempts()->supervisor()),
        upstream_name_(job.attempts()->upstream().name) {
    // A worker or pool on another node may vanish with its node, without a
    // word: the job watches whichever holds its request.
    job_.self()->set_down_handler([this](caf::down_msg& msg) { on_holder_down(msg); });
  }

  // Asks the pool for a worker (again, on a retry).
  void attempt() override {
    worker_ = {};
    job_.self()->send(pool_, assign_atom::value, route_, job_.request().payload,
                      static_cast<std::uint8_t>(job_.request().priority),
                      client_json(job_.request().caller.get()));
  }

  bool waits_for_capacity() const override { return true; }

  void on_credit(std::uint32_t n) override {
    window_.acknowledged(n);
    if (worker_) job_.self()->send(worker_, credit_atom::value, job_id_, n);
  }

  caf::message_handler handlers() override {
    return {
        [this](routed_atom, caf::actor& pool) { watch(std::move(pool)); },
        [this](queued_atom, std::uint32_t place) { job_.accepted(place); },
        [this](assigned_atom, std::string& job_id) {
          job_.attempts()->reached();
          worker_ = caf::actor_cast<caf::actor>(job_.self()->current_sender());
          watch(worker_);
          job_id_ = std::move(job_id);
          window_ = {};
        },
        [this](worker_update_atom, protocol::job_update& update) { on_update(update); },
        [this](worker_lost_atom, std::string& why) {
          if (job_.self()->current_sender() != worker_.address()) return;  // an earlier worker
          unwatch();
          on_lost(std::move(why));
        },
        [this](upstream_failed_atom, std::string& why) {
          job_.fail(ec::upstream_unavailable, why);
        },
    };
  }

 private:
  void watch(caf::actor holder) {
    unwatch();
    holder_ = std::move(holder);
    job_.self()->monitor(holder_);
  }

  void unwatch() {
    if (holder_) job_.self()->demonitor(holder_);
    holder_ = {};
  }

  // The worker (or the pool on another node that queued the request) is gone:
  // its node was lost, or it ended without telling (a local worker tells first).
  void on_holder_down(const caf::down_msg& msg) {
    if (!holder_ || msg.source != holder_.address()) return;
    holder_ = {};
    bool worker = worker_ && msg.source == worker_.address();
    worker_ = {};
    cluster_metrics::get().lost_holders.with({upstream_name_}).inc();
    auto reason = job_.self()->system().render(msg.reason);
    on_lost(worker ? "the worker's node was lost (" + reason + ")"
                   : "the node that queued the request was lost (" + reason + ")");
  }

  void on_update(protocol::job_update& update) {
    const auto& kind = update.kind;
    const auto& data = update.data;
    auto& message = update.message;
    job_.attempts()->streamed();
    const auto& id = job_.request().id;
    if (kind == "final")
      return job_.finish(protocol::frames::final_with_data(id, data), request_outcome::ok);
    if (kind == "error") {
      if (message.empty()) message = "the worker reported an error";
      actor_metrics::get().count_error(ec::upstream_failed);
      return job_.finish(protocol::frames::worker_error(id, message, data), request_outcome::error);
    }
    if (!window_.can_send())
      return job_.fail(ec::upstream_protocol_error, "the worker sent more than its window of " +
                                                        std::to_string(job_credit_window) +
                                                        " frames without credit");
    window_.sent();
    const auto& event = update.event.empty() ? kind : update.event;
    job_.emit(protocol::frames::with_data(kind, id, data, event), event);
  }

  void on_lost(std::string why) {
    if (job_.attempts()->failed(why)) return;  // retry_atom asks the pool again
    job_.fail(ec::worker_lost, why);
  }

  job_shell& job_;
  std::string route_;
  caf::actor pool_;
  std::string upstream_name_;
  caf::actor worker_;     // the worker actor holding the job, once assigned
  caf::actor holder_;     // watched: the worker, or a pool on another node queueing the request
  std::string job_id_;    // the job's id at the worker (JSON)
  credit_window window_;  // frames from the worker not yet acknowledged by the session
};

}  // namespace

driver_factory worker_driver(std::string route) {
  return [route = std::move(route)](job_shell& job) {
    return std::make_unique<worker_job>(job, route);
  };
}

}  // namespace sluice::actors
