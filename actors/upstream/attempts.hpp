#pragma once

#include <caf/all.hpp>

#include <memory>
#include <string>

#include "actors/upstream/gate.hpp"
#include "config/config.hpp"

namespace sluice::transport {
class timer_service;
class tls_client_context;
}  // namespace sluice::transport

namespace sluice::actors {

// What a job of an upstream route holds of its upstream: the configuration,
// the circuit as the supervisor last set it, and the supervisor itself.
struct upstream_binding {
  std::shared_ptr<const config::upstream_config> config;
  std::shared_ptr<const upstream_gate> gate;
  caf::actor supervisor;
  transport::timer_service* timers = nullptr;                     // for deadlines; may be null
  std::shared_ptr<const transport::tls_client_context> tls = {};  // https upstreams
};

// One request's attempts at its upstream. Reports every attempt's outcome to
// the supervisor, and decides whether a failed attempt may be retried: only
// while nothing has been streamed to the client (so no token is ever sent
// twice), at most `retries` times, and only while the circuit stays closed.
class upstream_attempts {
 public:
  upstream_attempts(caf::event_based_actor* self, upstream_binding binding);

  const config::upstream_config& upstream() const { return *binding_.config; }
  const caf::actor& supervisor() const { return binding_.supervisor; }
  const std::shared_ptr<const transport::tls_client_context>& tls() const { return binding_.tls; }

  // The upstream answered this attempt (reported once per attempt).
  void reached();
  // A frame of this request went to the client: no retry from now on.
  void streamed() { streamed_ = true; }
  bool was_streamed() const { return streamed_; }
  // Whether the upstream answered the attempt under way.
  bool was_reached() const { return reached_; }
  // This attempt failed: reports it and, if another attempt is allowed (and
  // the failure is `retryable`), schedules retry_atom to the job after a
  // backoff wait and returns true.
  bool failed(std::string why, bool retryable = true);

 private:
  caf::event_based_actor* self_;
  upstream_binding binding_;
  unsigned retried_ = 0;
  bool reached_ = false;
  bool streamed_ = false;
};

}  // namespace sluice::actors
