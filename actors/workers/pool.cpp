#include "actors/workers/pool.hpp"

#include <algorithm>

#include "actors/base/actor_metrics.hpp"
#include "actors/base/strays.hpp"
#include "actors/cluster/metrics.hpp"
#include "actors/messages.hpp"
#include "core/json.hpp"
#include "core/observe/log.hpp"
#include "core/observe/readiness.hpp"

namespace sluice::actors {

bool worker_pool_state::worker_entry::serves(const std::string& route) const {
  return std::find(routes.begin(), routes.end(), route) != routes.end();
}

worker_pool_state::worker_pool_state(caf::event_based_actor* self) : self_(self) {}

worker_pool_state::~worker_pool_state() {
  if (upstream_) readiness_board::global().remove(upstream_->name);
}

caf::behavior worker_pool_state::make_behavior(
    std::shared_ptr<const config::upstream_config> upstream, std::shared_ptr<upstream_gate> gate,
    admission_limits waiting, std::shared_ptr<cluster_view> cluster) {
  cluster_ = std::move(cluster);
  queued_ = std::make_unique<mailbox_gauge>(mailbox_kind::upstream, waiting.bound);
  queue_ = admission_queue<queued_job>{waiting.aging};
  upstream_ = std::move(upstream);
  gate_ = std::move(gate);
  gate_->set(circuit_state::open);  // until a worker registers
  publish();
  return {
      [this](worker_up_atom, std::vector<std::string>& routes, std::uint32_t capacity) {
        on_worker_up(std::move(routes), capacity);
      },
      [this](worker_down_atom) { on_worker_down(); },
      [this](job_done_atom) { on_job_done(); },
      [this](assign_atom, std::string& route, std::string& payload, std::uint8_t level,
             std::string& client) {
        on_assign({caf::actor_cast<caf::actor>(self_->current_sender()), std::move(route),
                   std::move(payload), level, std::move(client)},
                  false);
      },
      [this](cluster_assign_atom, job_assignment& a) { on_assign(std::move(a), true); },
      [this](remote_pools_atom) { update_gate(); },
      // Jobs report attempts as to any supervisor; a worker's loss is seen here directly.
      [](upstream_up_atom) {},
      [](upstream_down_atom, const std::string&) {},
  };
}

void worker_pool_state::on_worker_up(std::vector<std::string> routes, std::uint32_t capacity) {
  auto actor = caf::actor_cast<caf::actor>(self_->current_sender());
  workers_.push_back({std::move(actor), std::move(routes), capacity, 0});
  update_gate();
  drain_queue();
  publish();
}

void worker_pool_state::on_worker_down() {
  auto* w = sender_entry();
  if (w == nullptr) return;
  workers_.erase(workers_.begin() + (w - workers_.data()));
  update_gate();
  // Requests for routes nobody serves any more fail now rather than at their deadline.
  queue_.remove_if([this](queued_job& q) {
    if (anyone_serves(q.route)) return false;
    self_->send(q.job, upstream_failed_atom::value,
                "no worker serves route \"" + q.route + "\" any more");
    return true;
  });
  publish();
}

void worker_pool_state::on_job_done() {
  if (auto* w = sender_entry(); w != nullptr && w->load > 0) --w->load;
  drain_queue();
  publish();
}

void worker_pool_state::on_assign(job_assignment a, bool from_peer) {
  if (!a.job) return;
  if (auto* w = pick(a.route)) {
    self_->send(a.job, queued_atom::value, std::uint32_t{0});  // it runs now
    return dispatch(
        *w, {std::move(a.job), std::move(a.route), std::move(a.payload), std::move(a.client)});
  }
  bool served_here = anyone_serves(a.route);
  if (!from_peer) {
    if (auto pool = remote_pool_for(a.route, served_here)) {
      actor_metrics::get().worker_jobs.with({upstream_->name}).inc();
      cluster_metrics::get().remote_jobs.with({upstream_->name}).inc();
      self_->send(a.job, routed_atom::value, pool);  // the job watches the node it went to
      self_->send(pool, cluster_assign_atom::value, std::move(a));
      return;
    }
  }
  if (!served_here) {
    self_->send(a.job, upstream_failed_atom::value,
                "no connected worker serves route \"" + a.route + "\"");
    return;
  }
  if (queued_->full()) {
    queued_->dropped();
    self_->send(a.job, upstream_failed_atom::value,
                "every worker is busy and " + std::to_string(queued_->bound()) + " requests wait");
    return;
  }
  auto job = a.job;
  auto place =
      queue_.push({std::move(a.job), std::move(a.route), std::move(a.payload), std::move(a.client)},
                  to_priority(a.priority), admission_queue<queued_job>::clock::now());
  self_->send(job, queued_atom::value, static_cast<std::uint32_t>(place));
  publish();
}

caf::actor worker_pool_state::remote_pool_for(const std::string& route, bool served_here) const {
  if (!cluster_) return {};
  if (auto pool = cluster_->pick_pool(upstream_->name, route, true)) return pool;
  return served_here ? caf::actor{} : cluster_->pick_pool(upstream_->name, route, false);
}

void worker_pool_state::update_gate() {
  bool can_serve = !workers_.empty() || (cluster_ && cluster_->remote_capacity(upstream_->name));
  auto wanted = can_serve ? circuit_state::closed : circuit_state::open;
  if (gate_->state() == wanted) return;
  gate_->set(wanted);
  publish();
}

worker_pool_state::worker_entry* worker_pool_state::pick(const std::string& route) {
  worker_entry* best = nullptr;
  for (auto& w : workers_) {
    if (w.load >= w.capacity || !w.serves(route)) continue;
    // Least loaded relative to capacity; ties go to the earlier worker.
    if (best == nullptr || w.load * best->capacity < best->load * w.capacity) best = &w;
  }
  return best;
}

bool worker_pool_state::anyone_serves(const std::string& route) const {
  return std::any_of(workers_.begin(), workers_.end(),
                     [&](const worker_entry& w) { return w.serves(route); });
}

void worker_pool_state::dispatch(worker_entry& w, queued_job q) {
  ++w.load;
  actor_metrics::get().worker_jobs.with({upstream_->name}).inc();
  self_->send(w.actor, dispatch_atom::value, std::move(q.job), std::move(q.route),
              std::move(q.payload), std::move(q.client));
}

void worker_pool_state::drain_queue() {
  queue_.admit(admission_queue<queued_job>::clock::now(),
               [this](queued_job& q, priority level, auto waited) {
                 auto* w = pick(q.route);
                 if (w == nullptr) return admission::skipped;
                 count_wait(upstream_->name, level, waited);
                 dispatch(*w, std::move(q));
                 return admission::taken;
               });
}

worker_pool_state::worker_entry* worker_pool_state::sender_entry() {
  auto from = self_->current_sender();
  for (auto& w : workers_)
    if (w.actor.address() == from) return &w;
  return nullptr;
}

void worker_pool_state::report_to_cluster(std::int64_t capacity, std::int64_t busy) {
  std::vector<std::string> routes;
  for (const auto& w : workers_)
    for (const auto& r : w.routes)
      if (std::find(routes.begin(), routes.end(), r) == routes.end()) routes.push_back(r);
  auto free = capacity > busy ? capacity - busy : 0;
  cluster_->set_local_pool(upstream_->name,
                           {caf::actor_cast<caf::actor>(self_), static_cast<std::uint32_t>(free),
                            static_cast<std::uint32_t>(capacity), std::move(routes)});
}

void worker_pool_state::publish() {
  std::int64_t capacity = 0, busy = 0;
  for (const auto& w : workers_) {
    capacity += w.capacity;
    busy += w.load;
  }
  if (cluster_) report_to_cluster(capacity, busy);
  auto& m = actor_metrics::get();
  m.workers_connected.with({upstream_->name}).set(static_cast<std::int64_t>(workers_.size()));
  m.worker_jobs_queued.with({upstream_->name}).set(static_cast<std::int64_t>(queue_.size()));
  queued_->track(queue_.size());
  m.upstream_circuit.with({upstream_->name}).set(static_cast<std::int64_t>(gate_->state()));
  readiness_board::global().publish(upstream_->name, !workers_.empty(),
                                    json::object{}
                                        .str("kind", "workers")
                                        .str("circuit", to_string(gate_->state()))
                                        .num("workers", static_cast<std::int64_t>(workers_.size()))
                                        .num("capacity", capacity)
                                        .num("busy", busy)
                                        .num("queued", static_cast<std::int64_t>(queue_.size()))
                                        .finish());
}

caf::behavior worker_pool(caf::stateful_actor<worker_pool_state>* self,
                          std::shared_ptr<const config::upstream_config> upstream,
                          std::shared_ptr<upstream_gate> gate, admission_limits waiting,
                          std::shared_ptr<cluster_view> cluster) {
  ignore_strays(self, worker_pool_state::name);
  return self->state.make_behavior(std::move(upstream), std::move(gate), waiting,
                                   std::move(cluster));
}

}  // namespace sluice::actors
