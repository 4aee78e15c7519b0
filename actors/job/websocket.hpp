#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <memory>
#include <optional>

#include "actors/job/flow_control.hpp"
#include "actors/job/router.hpp"
#include "actors/job/support.hpp"
#include "actors/messages.hpp"
#include "actors/upstream/attempts.hpp"
#include "config/config.hpp"
#include "transport/websocket_upstream.hpp"

namespace sluice::actors {

// Serves one request over its own WebSocket connection to a `websocket`
// upstream: sends the payload as one text message and relays every message
// back (the upstream's JSON untouched in `data`) until the upstream's `final`
// or `error`. Messages are acknowledged to the connector only as the session
// acknowledges their frames, so a slow client stops the socket being read.
// When the job ends for any other reason than the upstream's own final or
// error the connection is closed; after those it is released, and a
// `pooled` upstream keeps it for the next request. A connection
// that fails before the upstream's first message is retried (see
// upstream_attempts).
class websocket_job_state {
 public:
  static inline const char* name = "sluice.websocket_job";

  explicit websocket_job_state(caf::event_based_actor* self);
  ~websocket_job_state();
  websocket_job_state(const websocket_job_state&) = delete;
  websocket_job_state& operator=(const websocket_job_state&) = delete;

  caf::behavior make_behavior(upstream_binding upstream, std::chrono::milliseconds timeout,
                              job_request req, transport::websocket_connector* connector);

 private:
  void attempt();
  void on_attempt_failed(ec code, std::string why);
  void on_message(const std::string& text);

  counted_job counted_;  // sluice_jobs_active
  job_deadline deadline_;
  caf::event_based_actor* self_;
  job_request req_;
  std::optional<upstream_attempts> attempts_;
  transport::websocket_connector* connector_ = nullptr;
  std::shared_ptr<transport::websocket_upstream_handle> connection_;
};

caf::behavior websocket_job(caf::stateful_actor<websocket_job_state>* self,
                            upstream_binding upstream, std::chrono::milliseconds timeout,
                            job_request req, transport::websocket_connector* connector);

}  // namespace sluice::actors
