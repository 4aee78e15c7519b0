#include "actors/router.hpp"

#include <caf/all.hpp>

#include "actors/process_job.hpp"
#include "actors/sse_job.hpp"
#include "actors/uppercase_job.hpp"
#include "actors/websocket_job.hpp"

namespace sluice::actors {

router::router(const config::config& cfg, upstream_runtime runtime)
    : routes_(cfg.routes),
      upstreams_(cfg.upstreams),
      runtime_(runtime),
      default_route_(cfg.default_route.value_or("")) {
  for (const auto& up : upstreams_) {
    bool missing = up.kind == config::upstream_kind::process     ? runtime_.processes == nullptr
                   : up.kind == config::upstream_kind::websocket ? runtime_.websockets == nullptr
                                                                 : runtime_.sse == nullptr;
    if (missing) throw std::logic_error("upstream " + up.name + " has no runtime to run on");
  }
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

caf::actor router::start_job(caf::event_based_actor* parent, const config::route_config& route,
                             job_request req) const {
  switch (route.kind) {
    case config::route_kind::uppercase:
      return parent->spawn<caf::monitored>(uppercase_job, route.uppercase, route.timeout,
                                           std::move(req));
    case config::route_kind::upstream:
      for (const auto& up : upstreams_) {
        if (up.name != route.upstream) continue;
        if (up.kind == config::upstream_kind::sse)
          return parent->spawn<caf::monitored>(sse_job, up, route.timeout, std::move(req),
                                               runtime_.sse);
        if (up.kind == config::upstream_kind::websocket)
          return parent->spawn<caf::monitored>(websocket_job, up, route.timeout, std::move(req),
                                               runtime_.websockets);
        return parent->spawn<caf::monitored>(process_job, up, route.timeout, std::move(req),
                                             runtime_.processes);
      }
      break;
  }
  return {};
}

std::vector<std::string> router::names() const {
  std::vector<std::string> out;
  for (const auto& r : routes_) out.push_back(r.name);
  return out;
}

}  // namespace sluice::actors
