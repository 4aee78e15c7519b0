#include "actors/job/router.hpp"

#include <caf/all.hpp>

#include "actors/base/actor_metrics.hpp"
#include "actors/job/drivers/http.hpp"
#include "actors/job/drivers/process.hpp"
#include "actors/job/drivers/sse.hpp"
#include "actors/job/drivers/uppercase.hpp"
#include "actors/job/drivers/websocket.hpp"
#include "actors/job/job.hpp"
#include "actors/upstream/supervisor.hpp"
#include "actors/workers/job.hpp"
#include "actors/workers/pool.hpp"
#include "protocol/server_frames.hpp"
#include "transport/upstream/health_probe.hpp"
#include "transport/upstream/tls_client.hpp"

namespace sluice::actors {

router::router(caf::actor_system& system, const config::config& cfg, upstream_runtime runtime,
               std::shared_ptr<cluster_view> cluster)
    : routes_(cfg.routes), runtime_(runtime), default_route_(cfg.default_route.value_or("")) {
  for (const auto& up : cfg.upstreams) {
    bool missing = runtime_.prober == nullptr;
    switch (up.kind) {
      case config::upstream_kind::process:
        missing = missing || runtime_.processes == nullptr;
        break;
      case config::upstream_kind::websocket:
        missing = missing || runtime_.websockets == nullptr;
        break;
      case config::upstream_kind::sse:
        missing = missing || runtime_.sse == nullptr;
        break;
      case config::upstream_kind::http:
        missing = missing || runtime_.http == nullptr;
        break;
      case config::upstream_kind::workers:
        missing = false;  // workers connect in; they need nothing from transport here
        break;
    }
    if (missing) throw std::logic_error("upstream " + up.name + " has no runtime to run on");
    publish_initial_status(up);
    auto config = std::make_shared<const config::upstream_config>(up);
    auto gate = std::make_shared<upstream_gate>();
    if (up.kind == config::upstream_kind::workers) gate->set(circuit_state::open);  // no worker yet
    admission_limits waiting{cfg.limits.upstream_queue, cfg.limits.priority_aging};
    auto sup = up.kind == config::upstream_kind::workers
                   ? system.spawn(worker_pool, config, gate, waiting, cluster)
                   : system.spawn(supervisor, config, gate, runtime_.prober, waiting);
    const auto& endpoint = up.kind == config::upstream_kind::http        ? up.http.endpoint
                           : up.kind == config::upstream_kind::websocket ? up.websocket.endpoint
                                                                         : up.sse.endpoint;
    auto tls = endpoint.tls ? transport::tls_client_context::make(up.tls) : nullptr;
    upstreams_.push_back(
        {std::move(config), std::move(gate), std::move(sup), runtime_.timers, std::move(tls)});
  }
}

bool router::has_workers() const {
  for (const auto& up : upstreams_)
    if (up.config->kind == config::upstream_kind::workers) return true;
  return false;
}

void router::stop() const {
  for (const auto& up : upstreams_)
    caf::anon_send_exit(up.supervisor, caf::exit_reason::user_shutdown);
}

const upstream_binding* router::workers_upstream(std::string_view route) const {
  for (const auto& r : routes_) {
    if (r.name != route || r.kind != config::route_kind::upstream) continue;
    const auto* up = binding_of(r.upstream);
    return up != nullptr && up->config->kind == config::upstream_kind::workers ? up : nullptr;
  }
  return nullptr;
}

const upstream_binding* router::binding_of(std::string_view upstream) const {
  for (const auto& up : upstreams_)
    if (up.config->name == upstream) return &up;
  return nullptr;
}

const config::route_config* router::resolve(std::string_view name, ec& why) const {
  if (name.empty()) {
    if (default_route_.empty()) {
      why = ec::no_default_route;
      return nullptr;
    }
    name = default_route_;
  }
  for (const auto& r : routes_)
    if (r.name == name) return &r;
  why = ec::unknown_route;
  return nullptr;
}

job_start router::start_job(caf::event_based_actor* parent, const config::route_config& route,
                            job_request req) const {
  auto start = [&](job_spec spec) {
    spec.route = &route;
    return job_start{parent->spawn<caf::monitored>(job_actor, std::move(spec), route.timeout,
                                                   std::move(req), runtime_.timers),
                     {}};
  };
  if (route.kind == config::route_kind::uppercase)
    return start({"sluice.uppercase_job", uppercase_driver(route.uppercase), std::nullopt});
  const auto* up = binding_of(route.upstream);
  if (up == nullptr) throw std::logic_error("route " + route.name + " has no upstream");
  if (!up->gate->admits()) {
    actor_metrics::get().upstream_rejected.with({up->config->name}).inc();
    if (route.fallback && (route.fallback_on & config::fallback_on_circuit_open)) {
      actor_metrics::get().fallbacks.with({up->config->name, "circuit_open"}).inc();
      return {{}, protocol::frames::fallback(req.id, *route.fallback), request_outcome::ok};
    }
    actor_metrics::get().count_error(ec::upstream_unavailable);
    auto why = up->config->kind == config::upstream_kind::workers
                   ? "no worker is connected to the upstream \"" + up->config->name + "\""
                   : "the upstream \"" + up->config->name + "\" is unavailable (its circuit is " +
                         std::string{to_string(up->gate->state())} + "; see /readyz)";
    return {
        {}, protocol::frames::error(ec::upstream_unavailable, why, req.id), request_outcome::error};
  }
  switch (up->config->kind) {
    case config::upstream_kind::sse:
      return start({"sluice.sse_job", sse_driver(runtime_.sse), *up});
    case config::upstream_kind::http:
      return start({"sluice.http_job", http_driver(runtime_.http), *up});
    case config::upstream_kind::websocket:
      return start({"sluice.websocket_job", websocket_driver(runtime_.websockets), *up});
    case config::upstream_kind::process:
      return start(
          {"sluice.process_job", process_driver(runtime_.processes, runtime_.topics), *up});
    case config::upstream_kind::workers:
      return start({"sluice.worker_job", worker_driver(route.name), *up});
  }
  throw std::logic_error("route " + route.name + ": unknown kind of upstream");
}

bool router::streams_directly(const config::route_config& route) const {
  if (route.kind == config::route_kind::uppercase) return false;
  const auto* up = binding_of(route.upstream);
  return up != nullptr && (up->config->kind == config::upstream_kind::websocket ||
                           up->config->kind == config::upstream_kind::sse);
}

std::vector<std::string> router::names() const {
  std::vector<std::string> out;
  for (const auto& r : routes_) out.push_back(r.name);
  return out;
}

}  // namespace sluice::actors
