#pragma once

#include <caf/fwd.hpp>

#include <functional>
#include <memory>

#include "actors/services/directory.hpp"
#include "transport/http/api_request.hpp"

namespace sluice::actors {

// The services' part of the HTTP API: GET /api/services[/{name}] and POST
// /api/services/{name}/start|stop|restart, answered with each service's
// status (records.hpp) by asking its actor from a short-lived one.
class service_api {
 public:
  service_api(caf::actor_system& system, std::shared_ptr<const service_directory> services)
      : system_(system), services_(std::move(services)) {}

  void handle(const transport::api_call& call, std::function<void(transport::http_reply)> done);

 private:
  caf::actor_system& system_;
  std::shared_ptr<const service_directory> services_;
};

}  // namespace sluice::actors
