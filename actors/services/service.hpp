#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/services/records.hpp"
#include "actors/topic/directory.hpp"
#include "config/services.hpp"
#include "transport/upstream/process_launcher.hpp"

namespace sluice::actors {

class service_directory;

// How long an answer of a service may take: a stop answers once the process
// is gone, after at most its kill_grace (1 h at most).
constexpr std::chrono::seconds service_patience{7200};

using service_start_atom = caf::atom_constant<caf::atom("svc_start")>;
using service_stop_atom = caf::atom_constant<caf::atom("svc_stop")>;
using service_restart_atom = caf::atom_constant<caf::atom("svc_restrt")>;
using service_status_atom = caf::atom_constant<caf::atom("svc_status")>;
using service_retry_atom = caf::atom_constant<caf::atom("svc_retry")>;
using service_line_atom = caf::atom_constant<caf::atom("svc_line")>;
using service_exit_atom = caf::atom_constant<caf::atom("svc_exit")>;

// One per configured service: runs at most one instance of its process.
// Answers start (409 already_running), stop (SIGTERM, SIGKILL after
// kill_grace; answered once the process is gone; 409 not_running), restart
// and status, each with the status JSON (records.hpp). Publishes every line
// of output to log_topic (a line is acknowledged to the process only once its
// topic took it, so a slow topic slows the process rather than losing lines)
// and every event to events_topic. When the process exits by itself it starts
// the services its on_exit names, and restarts by its policy with backoff
// until restart_limit, then is `failed`.
class service_state {
 public:
  static inline const char* name = "sluice.service";

  explicit service_state(caf::event_based_actor* self) : self_(self) {}
  ~service_state();

  caf::behavior make_behavior(config::service_config cfg, transport::process_launcher* launcher,
                              std::shared_ptr<topic_directory> topics,
                              const service_directory* directory);

 private:
  enum class phase { stopped, running, stopping, backoff, exited, failed };
  static std::string_view to_string(phase p);

  caf::result<std::string> start(bool by_policy);
  caf::result<std::string> stop(std::chrono::milliseconds grace, bool then_start);
  void on_line(std::uint64_t run, bool from_stderr, std::string& line, bool cut);
  void on_exit(std::uint64_t run, int code, int signal);
  void after_exit(const service_records::exit_info& e);
  void schedule_restart(std::uint32_t attempt, std::chrono::milliseconds wait);
  void run_pipeline(const std::vector<std::string>& next);
  void publish(topic_directory::lookup& topic, std::string data, bool acknowledge);
  std::string status() const;
  void answer_waiters();
  void fail(std::string reason);

  caf::event_based_actor* self_;
  config::service_config cfg_;
  transport::process_launcher* launcher_ = nullptr;
  std::shared_ptr<topic_directory> topics_;
  const service_directory* directory_ = nullptr;
  topic_directory::lookup log_;     // opened at the first start; empty: lines are logged
  topic_directory::lookup events_;  // likewise for events
  std::shared_ptr<transport::process_handle> process_;
  phase phase_ = phase::stopped;
  std::uint64_t run_ = 0;  // numbers the runs (and restart timers): stale events are dropped
  std::int64_t started_at_ms_ = 0;  // Unix ms
  std::chrono::steady_clock::time_point started_;
  std::uint32_t restarts_ = 0;  // in a row, by the policy
  std::optional<service_records::exit_info> last_exit_;
  std::string last_error_;
  bool stop_asked_ = false;
  bool start_after_stop_ = false;
  std::vector<caf::response_promise> waiters_;  // stop and restart calls, answered at the exit
};

caf::behavior service_actor(caf::stateful_actor<service_state>* self, config::service_config cfg,
                            transport::process_launcher* launcher,
                            std::shared_ptr<topic_directory> topics,
                            const service_directory* directory);

}  // namespace sluice::actors
