#include "actors/router.hpp"

#include <caf/all.hpp>

#include "actors/uppercase_job.hpp"

namespace sluice::actors {

router::router(const config::config& cfg)
    : routes_(cfg.routes), default_route_(cfg.default_route.value_or("")) {}

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
  }
  return {};
}

std::vector<std::string> router::names() const {
  std::vector<std::string> out;
  for (const auto& r : routes_) out.push_back(r.name);
  return out;
}

}  // namespace sluice::actors
