#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <random>
#include <string>

#include "actors/base/admission_queue.hpp"
#include "actors/upstream/backoff.hpp"
#include "actors/upstream/gate.hpp"
#include "config/config.hpp"
#include "core/observe/mailbox_gauge.hpp"

namespace sluice::transport {
class health_prober;
class tls_client_context;
}  // namespace sluice::transport

namespace sluice::actors {

// One per configured upstream (design: "supervisor"). Jobs report whether
// they reached the upstream; after `failure_threshold` consecutive failures
// the circuit opens and requests fail fast. After a backoff wait (exponential,
// full jitter) the circuit half-opens and the supervisor probes the upstream
// (the health URL, else a TCP connect, else for a process whether its command
// is executable): healthy closes the circuit, unhealthy opens it again with
// a longer wait. With a health URL it also probes every interval while
// closed. It also hands out the upstream's `max_concurrent` slots. Its state
// is published to /readyz and /metrics.
class supervisor_state {
 public:
  static inline const char* name = "sluice.supervisor";

  explicit supervisor_state(caf::event_based_actor* self);
  ~supervisor_state();
  supervisor_state(const supervisor_state&) = delete;
  supervisor_state& operator=(const supervisor_state&) = delete;

  caf::behavior make_behavior(std::shared_ptr<const config::upstream_config> upstream,
                              std::shared_ptr<upstream_gate> gate, transport::health_prober* prober,
                              admission_limits waiting);

 private:
  void init_metrics();
  void on_up();
  void on_down(std::string why);
  void open_circuit();
  void close_circuit();
  void schedule_probe(std::chrono::milliseconds after);
  void on_probe_due(std::uint64_t generation);
  void on_probe_result(std::uint64_t generation, bool healthy, const std::string& detail,
                       double seconds);
  void set_circuit(circuit_state s);
  void publish();

  void on_acquire(std::uint8_t level);  // the request's sluice::priority
  void grant(caf::actor job);
  void on_release();
  void count_waiting();  // waiting_ changed: metrics and the mailbox gauge

  caf::event_based_actor* self_;
  std::shared_ptr<const config::upstream_config> upstream_;
  std::shared_ptr<upstream_gate> gate_;
  std::shared_ptr<const transport::tls_client_context> probe_tls_;  // an https health url
  transport::health_prober* prober_ = nullptr;
  backoff_policy backoff_;
  std::mt19937_64 rng_{std::random_device{}()};

  circuit_state circuit_ = circuit_state::closed;
  std::uint32_t consecutive_failures_ = 0;
  unsigned reopenings_ = 0;       // failed probes since the circuit last opened from closed
  std::uint64_t generation_ = 0;  // timers and probe results of older generations are stale
  std::uint64_t restarts_ = 0;
  std::string last_error_;
  std::string last_probe_;
  std::chrono::steady_clock::time_point next_probe_at_{};

  std::uint32_t slots_used_ = 0;
  admission_queue<caf::actor> waiting_;
  std::unique_ptr<mailbox_gauge> waiting_gauge_;  // waiting_'s size against limits.upstream_queue
};

// Lists `upstream` in /readyz before its supervisor (or worker pool) first
// runs, so that a server that answers at all lists every upstream: closed for
// the kinds Sluice connects to, open (no worker yet) for workers.
void publish_initial_status(const config::upstream_config& upstream);

caf::behavior supervisor(caf::stateful_actor<supervisor_state>* self,
                         std::shared_ptr<const config::upstream_config> upstream,
                         std::shared_ptr<upstream_gate> gate, transport::health_prober* prober,
                         admission_limits waiting);

}  // namespace sluice::actors
