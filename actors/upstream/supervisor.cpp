#include "actors/upstream/supervisor.hpp"

#include "transport/upstream/tls_client.hpp"

#include "actors/base/actor_metrics.hpp"
#include "actors/base/strays.hpp"
#include "actors/job/support.hpp"
#include "actors/messages.hpp"
#include "core/json.hpp"
#include "core/observe/log.hpp"
#include "core/observe/readiness.hpp"
#include "transport/upstream/health_probe.hpp"
#include "transport/upstream/process_launcher.hpp"

namespace sluice::actors {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Where a probe goes: the health URL when there is one, else the upstream's own address.
transport::probe_spec probe_target(
    const config::upstream_config& up,
    const std::shared_ptr<const transport::tls_client_context>& tls) {
  const auto& s = up.supervision;
  if (!s.health_url.empty())
    return {s.health_endpoint.host, s.health_endpoint.port, s.health_endpoint.path, s.probe_timeout,
            tls};
  const auto& at = up.kind == config::upstream_kind::sse    ? up.sse.endpoint
                   : up.kind == config::upstream_kind::http ? up.http.endpoint
                                                            : up.websocket.endpoint;
  return {at.host, at.port, "", s.probe_timeout};
}

}  // namespace

supervisor_state::supervisor_state(caf::event_based_actor* self) : self_(self) {}

supervisor_state::~supervisor_state() {
  if (upstream_) readiness_board::global().remove(upstream_->name);
}

caf::behavior supervisor_state::make_behavior(
    std::shared_ptr<const config::upstream_config> upstream, std::shared_ptr<upstream_gate> gate,
    transport::health_prober* prober, admission_limits waiting) {
  upstream_ = std::move(upstream);
  waiting_gauge_ = std::make_unique<mailbox_gauge>(mailbox_kind::upstream, waiting.bound);
  waiting_ = admission_queue<caf::actor>{waiting.aging};
  gate_ = std::move(gate);
  prober_ = prober;
  const auto& s = upstream_->supervision;
  if (s.health_endpoint.tls) {  // an https health url; its files were checked at start
    try {
      probe_tls_ = transport::tls_client_context::make(upstream_->tls);
    } catch (const std::exception& e) {
      log::error("supervisor", "health_tls", {{"upstream", upstream_->name}, {"error", e.what()}});
    }
  }
  backoff_ = {s.backoff_base, s.backoff_max, s.backoff_multiplier};
  init_metrics();
  set_circuit(circuit_state::closed);
  if (!s.health_url.empty()) schedule_probe(milliseconds{0});
  publish();
  return {
      [this](upstream_up_atom) { on_up(); },
      [this](upstream_down_atom, std::string& why) { on_down(std::move(why)); },
      [this](probe_atom, std::uint64_t generation) { on_probe_due(generation); },
      [this](probe_result_atom, const probe_outcome& o) {
        on_probe_result(o.generation, o.healthy, o.detail, o.seconds);
      },
      [this](acquire_atom, std::uint8_t level) { on_acquire(level); },
      [this](release_atom) { on_release(); },
  };
}

// Every series of this upstream exists from the start, at 0.
void supervisor_state::init_metrics() {
  auto& m = actor_metrics::get();
  const auto& name = upstream_->name;
  m.upstream_failures.with({name});
  m.upstream_circuit_opens.with({name});
  m.upstream_restarts.with({name});
  m.upstream_rejected.with({name});
  m.upstream_retries.with({name});
  m.upstream_probes.with({name, "healthy"});
  m.upstream_probes.with({name, "unhealthy"});
  m.upstream_probe_seconds.with({name});
  if (upstream_->kind == config::upstream_kind::process && upstream_->process.max_concurrent > 0) {
    m.upstream_slots_used.with({name});
    m.upstream_waiting.with({name});
  }
}

void supervisor_state::on_up() {
  bool changed = consecutive_failures_ > 0 || circuit_ != circuit_state::closed;
  consecutive_failures_ = 0;
  if (circuit_ != circuit_state::closed) close_circuit();  // a request got through after all
  if (changed) publish();
}

void supervisor_state::on_down(std::string why) {
  actor_metrics::get().upstream_failures.with({upstream_->name}).inc();
  ++consecutive_failures_;
  last_error_ = std::move(why);
  log::warn("supervisor", "upstream_failure",
            {{"upstream", upstream_->name},
             {"consecutive", consecutive_failures_},
             {"error", last_error_}});
  if (circuit_ == circuit_state::closed &&
      consecutive_failures_ >= upstream_->supervision.failure_threshold) {
    reopenings_ = 0;
    open_circuit();
  }
  publish();
}

void supervisor_state::open_circuit() {
  if (circuit_ == circuit_state::closed)
    actor_metrics::get().upstream_circuit_opens.with({upstream_->name}).inc();
  set_circuit(circuit_state::open);
  auto wait = backoff_.delay(reopenings_, rng_);
  log::warn(
      "supervisor", "circuit_open",
      {{"upstream", upstream_->name}, {"next_probe_ms", wait.count()}, {"error", last_error_}});
  schedule_probe(wait);
}

void supervisor_state::close_circuit() {
  log::info("supervisor", "circuit_closed",
            {{"upstream", upstream_->name}, {"restarts", restarts_}});
  consecutive_failures_ = 0;
  reopenings_ = 0;
  set_circuit(circuit_state::closed);
  if (!upstream_->supervision.health_url.empty())
    schedule_probe(upstream_->supervision.health_interval);
  else
    ++generation_;  // no periodic probes: whatever is pending is stale
}

void supervisor_state::schedule_probe(milliseconds after) {
  next_probe_at_ = steady_clock::now() + after;
  self_->delayed_send(self_, after, probe_atom::value, ++generation_);
}

void supervisor_state::on_probe_due(std::uint64_t generation) {
  if (generation != generation_) return;
  if (circuit_ == circuit_state::open) {
    set_circuit(circuit_state::half_open);
    ++restarts_;
    actor_metrics::get().upstream_restarts.with({upstream_->name}).inc();
    publish();
  }
  if (upstream_->kind == config::upstream_kind::process) {
    std::string why;
    bool ok = transport::process_launcher::can_execute(upstream_->process.command,
                                                       upstream_->process.cwd, why);
    return on_probe_result(generation, ok, ok ? "executable" : why, 0.0);
  }
  weak_sender back{caf::actor_cast<caf::weak_actor_ptr>(self_)};
  auto started = steady_clock::now();
  prober_->probe(probe_target(*upstream_, probe_tls_),
                 [back, generation, started](bool healthy, std::string detail) {
                   std::chrono::duration<double> took = steady_clock::now() - started;
                   back.send(probe_result_atom::value,
                             probe_outcome{generation, healthy, std::move(detail), took.count()});
                 });
}

void supervisor_state::on_probe_result(std::uint64_t generation, bool healthy,
                                       const std::string& detail, double seconds) {
  auto& m = actor_metrics::get();
  m.upstream_probes.with({upstream_->name, healthy ? "healthy" : "unhealthy"}).inc();
  m.upstream_probe_seconds.with({upstream_->name}).observe(seconds);
  if (generation != generation_) return;
  last_probe_ = detail;
  if (circuit_ == circuit_state::closed) {             // a periodic health check
    if (!healthy) on_down("health check: " + detail);  // may open the circuit
    if (circuit_ == circuit_state::closed) schedule_probe(upstream_->supervision.health_interval);
    return publish();
  }
  if (healthy) {
    close_circuit();
  } else {
    last_error_ = "probe: " + detail;
    ++reopenings_;
    open_circuit();
  }
  publish();
}

void supervisor_state::set_circuit(circuit_state s) {
  circuit_ = s;
  gate_->set(s);
  actor_metrics::get().upstream_circuit.with({upstream_->name}).set(static_cast<std::int64_t>(s));
}

void supervisor_state::publish() {
  json::object detail;
  detail.str("kind", config::to_string(upstream_->kind))
      .str("circuit", to_string(circuit_))
      .num("consecutive_failures", std::int64_t{consecutive_failures_})
      .num("failure_threshold", std::int64_t{upstream_->supervision.failure_threshold})
      .num("restarts", static_cast<std::int64_t>(restarts_));
  if (!last_error_.empty()) detail.str("last_error", last_error_);
  if (!last_probe_.empty()) detail.str("last_probe", last_probe_);
  if (circuit_ == circuit_state::open) {
    auto left = std::chrono::duration_cast<milliseconds>(next_probe_at_ - steady_clock::now());
    detail.num("next_probe_ms", std::max<std::int64_t>(0, left.count()));
  }
  if (upstream_->kind == config::upstream_kind::process && upstream_->process.max_concurrent > 0)
    detail.num("running", std::int64_t{slots_used_})
        .num("waiting", static_cast<std::int64_t>(waiting_.size()));
  readiness_board::global().publish(upstream_->name, circuit_ == circuit_state::closed,
                                    detail.finish());
}

void supervisor_state::on_acquire(std::uint8_t level) {
  auto job = caf::actor_cast<caf::actor>(self_->current_sender());
  if (!job) return;
  if (slots_used_ < upstream_->process.max_concurrent) return grant(std::move(job));
  if (waiting_gauge_->full()) {
    waiting_gauge_->dropped();
    self_->send(job, upstream_failed_atom::value,
                "every process slot is busy and " + std::to_string(waiting_gauge_->bound()) +
                    " requests wait");
    return;
  }
  auto place = waiting_.push(job, to_priority(level), admission_queue<caf::actor>::clock::now());
  self_->send(job, queued_atom::value, static_cast<std::uint32_t>(place));
  count_waiting();
  publish();
}

// A job that is gone by now drops the grant, which releases the slot at once.
void supervisor_state::grant(caf::actor job) {
  ++slots_used_;
  self_->send(job, slot_atom::value,
              std::make_shared<upstream_slot>(caf::actor_cast<caf::weak_actor_ptr>(self_)));
  actor_metrics::get().upstream_slots_used.with({upstream_->name}).set(std::int64_t{slots_used_});
  publish();
}

void supervisor_state::on_release() {
  --slots_used_;
  waiting_.admit(admission_queue<caf::actor>::clock::now(),
                 [this](caf::actor& job, priority level, auto waited) {
                   if (slots_used_ >= upstream_->process.max_concurrent) return admission::stop;
                   count_wait(upstream_->name, level, waited);
                   grant(std::move(job));
                   return admission::taken;
                 });
  actor_metrics::get().upstream_slots_used.with({upstream_->name}).set(std::int64_t{slots_used_});
  count_waiting();
  publish();
}

void supervisor_state::count_waiting() {
  actor_metrics::get()
      .upstream_waiting.with({upstream_->name})
      .set(static_cast<std::int64_t>(waiting_.size()));
  waiting_gauge_->track(waiting_.size());
}

void publish_initial_status(const config::upstream_config& upstream) {
  bool workers = upstream.kind == config::upstream_kind::workers;
  readiness_board::global().publish(
      upstream.name, !workers,
      json::object{}
          .str("kind", config::to_string(upstream.kind))
          .str("circuit", to_string(workers ? circuit_state::open : circuit_state::closed))
          .finish());
}

caf::behavior supervisor(caf::stateful_actor<supervisor_state>* self,
                         std::shared_ptr<const config::upstream_config> upstream,
                         std::shared_ptr<upstream_gate> gate, transport::health_prober* prober,
                         admission_limits waiting) {
  ignore_strays(self, supervisor_state::name);
  return self->state.make_behavior(std::move(upstream), std::move(gate), prober, waiting);
}

}  // namespace sluice::actors
