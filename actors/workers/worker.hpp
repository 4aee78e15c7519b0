#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include "actors/gateway/gateway_context.hpp"
#include "transport/client_link.hpp"

namespace sluice::actors {

// One per worker connected at /workers (an upstream actor). The worker
// registers with a token and the routes it serves; the upstream's
// worker_pool then dispatches jobs here. This actor sends each job to the
// worker, relays the worker's progress / token / final / error frames to the
// job they belong to, publishes its `publish` frames to the topics its
// upstream allows, sends `cancel` when a job ends early, and tells every
// job in flight when the worker goes away or misses its heartbeat.
class worker_state {
 public:
  static inline const char* name = "sluice.worker";

  explicit worker_state(caf::event_based_actor* self);
  ~worker_state();
  worker_state(const worker_state&) = delete;
  worker_state& operator=(const worker_state&) = delete;

  caf::behavior make_behavior(std::shared_ptr<transport::client_link> link,
                              std::shared_ptr<const gateway_context> ctx);

 private:
  void on_frame(protocol::worker_frame& frame);
  void on_register(protocol::worker_register& msg);
  void on_update(protocol::job_update& msg);
  // A message for a topic, from a job this worker holds, to a topic its
  // upstream's `publish` patterns allow (and a topic pattern allows).
  void on_publish(protocol::worker_publish& msg);
  void on_dispatch(caf::actor job, const std::string& route, const std::string& payload,
                   const std::string& client);
  void on_job_down(const caf::down_msg& msg);
  void on_heartbeat_check();
  void on_closed(const std::string& why);
  void refuse(ec code, std::string message);  // error frame, then close (1008)
  void send_error(ec code, std::string_view message, std::string_view job = {});
  void send(std::string frame);

  caf::event_based_actor* self_;
  std::shared_ptr<transport::client_link> link_;
  std::shared_ptr<const gateway_context> ctx_;
  std::string id_;
  const upstream_binding* upstream_ = nullptr;        // set by a valid registration
  std::unordered_map<std::string, caf::actor> jobs_;  // job id (JSON) → job actor
  std::chrono::steady_clock::time_point last_seen_;
  bool closing_ = false;
};

caf::behavior worker(caf::stateful_actor<worker_state>* self,
                     std::shared_ptr<transport::client_link> link,
                     std::shared_ptr<const gateway_context> ctx);

}  // namespace sluice::actors
