#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actors/job/support.hpp"
#include "actors/messages.hpp"
#include "actors/upstream/attempts.hpp"
#include "config/config.hpp"
#include "core/error_code.hpp"

namespace sluice::transport {
class process_launcher;
class websocket_connector;
class sse_client;
class http_client;
class health_prober;
}  // namespace sluice::transport

namespace sluice::actors {

class cluster_view;
class topic_directory;

// What jobs of upstream routes use to reach their backends; each must outlive
// every actor. May be null when no route uses that kind of upstream.
struct upstream_runtime {
  transport::process_launcher* processes = nullptr;
  transport::websocket_connector* websockets = nullptr;
  transport::sse_client* sse = nullptr;
  transport::http_client* http = nullptr;
  transport::health_prober* prober = nullptr;  // needed when there is any upstream
  transport::timer_service* timers = nullptr;  // request deadlines; may be null
  topic_directory* topics = nullptr;  // where process upstreams' publish lines go; may be null
};

// What start_job did: started `job`, or (no job) answered at once with
// `reply`, e.g. while the upstream's circuit is open.
struct job_start {
  caf::actor job;
  std::string reply;
  request_outcome outcome = request_outcome::ok;
};

// Resolves a route name to its configuration and starts the kind of job that
// serves it. Starts one supervisor per upstream. Immutable after
// construction, so sessions share one.
class router {
 public:
  // `cluster`: null on a single node; worker pools use it to reach other nodes' workers.
  router(caf::actor_system& system, const config::config& cfg, upstream_runtime runtime,
         std::shared_ptr<cluster_view> cluster = nullptr);

  // The route called `name` (empty: the default route), or null with `why` set.
  const config::route_config* resolve(std::string_view name, ec& why) const;

  // Starts a job for `req` on `route`, monitored by `parent`.
  job_start start_job(caf::event_based_actor* parent, const config::route_config& route,
                      job_request req) const;

  // Whether the jobs of `route` hand progress and token frames to the client
  // directly (reply_shortcut.hpp): those of WebSocket and SSE upstreams.
  bool streams_directly(const config::route_config& route) const;

  std::vector<std::string> names() const;
  const std::string& default_route() const { return default_route_; }

  // The upstream of kind `workers` that serves `route`, or null.
  const upstream_binding* workers_upstream(std::string_view route) const;
  bool has_workers() const;

  // Ends the supervisors (at shutdown, after the sessions).
  void stop() const;

 private:
  const upstream_binding* binding_of(std::string_view upstream) const;

  std::vector<config::route_config> routes_;
  std::vector<upstream_binding> upstreams_;
  upstream_runtime runtime_;
  std::string default_route_;  // empty when there is none
};

}  // namespace sluice::actors
