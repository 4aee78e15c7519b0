#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "actors/gateway/gateway_context.hpp"
#include "actors/job/flow_control.hpp"
#include "actors/messages.hpp"
#include "actors/session/topics.hpp"
#include "core/observe/mailbox_gauge.hpp"
#include "transport/client_link.hpp"

namespace sluice::actors {

// One per client connection. Decides what each client frame means, starts a
// job per request, relays job frames to the connection, and ends every job
// when the connection ends. Never touches a socket: it holds a client_link.
// A client with an inbox (it connected with a client id) gets its request
// streams through that inbox topic: they reach every connection of the
// client, and outlive this one (the session lingers, detached, until its
// requests end) so that a reconnecting client can resume them.
class session_state {
 public:
  static inline const char* name = "sluice.session";

  explicit session_state(caf::event_based_actor* self);
  ~session_state();
  session_state(const session_state&) = delete;
  session_state& operator=(const session_state&) = delete;

  caf::behavior make_behavior(std::shared_ptr<transport::client_link> link,
                              std::shared_ptr<const gateway_context> ctx);

 private:
  struct in_flight {
    caf::actor job;
    shortcut_ptr shortcut;  // may be null
    std::string route;
    std::chrono::steady_clock::time_point started;
    caf::actor run;         // the topic of the route's publish_to; may be null
    topic_lease run_lease;  // keeps it while the request runs
    // Frames relayed and not yet acknowledged to the job: its window in use.
    std::unique_ptr<mailbox_gauge> owed =
        std::make_unique<mailbox_gauge>(mailbox_kind::job, job_credit_window);
  };
  using job_map = std::unordered_map<std::string, in_flight>;

  caf::behavior running_behavior();
  caf::behavior closing_behavior();
  // Welcomes the client (`resume`: a credential issued for its client id) and
  // subscribes it to its inbox and user channel.
  void begin(std::string_view resume);
  void refuse(ec code);
  void on_client_frames(std::vector<protocol::client_frame>& frames);
  void on_client_frame(protocol::client_frame& frame, const protocol::client_frame* next);
  void on_request(protocol::request& msg);
  void on_cancel(const protocol::cancel& msg);
  caller_ptr caller_of(const config::route_config& route) const;
  bool admit_quota(const config::route_config& route, const std::string& id,
                   quota_ticket_ptr& ticket);
  void on_refresh(const protocol::refresh& msg);
  void on_service(const protocol::service_command& msg);
  void on_invalid(const protocol::invalid& frame);
  void watch_expiry();
  void on_token_check(std::uint64_t round);
  // Seconds until the token's exp plus the clock skew; nothing when it never expires.
  std::optional<std::int64_t> token_seconds_left() const;
  void on_job_event(job_event& ev);
  void on_job_down(const caf::down_msg& msg);
  void on_writable();
  void acknowledge(in_flight& job);
  void return_credit(in_flight& job);
  void on_closed(const transport::close_info& info);
  void on_drain(std::int64_t deadline_ms);
  void on_drain_end();

  // Ends a request that has not sent its terminal frame: stops its job,
  // sends `error` (unless the client is gone) and counts it.
  void abort_request(job_map::iterator it, ec code, std::string_view message,
                     request_outcome outcome);
  void finish_request(job_map::iterator it, request_outcome outcome);
  void count_request(const std::string& route, request_outcome outcome,
                     std::chrono::steady_clock::time_point started);
  void send_error(ec code, std::string_view message, std::string_view id);
  void send(std::string frame);
  // A frame of a request's stream: through the inbox when there is one.
  // A frame of a request's stream: to the client (or its inbox) and to the run's topic.
  void relay(const in_flight& job, std::string frame);
  void send_stream(std::string frame);
  // The topic a route's publish_to names for this request, if the client may
  // publish to it (topic rules); false when refused (the client got the error).
  bool open_run_topic(const config::route_config& route, const std::string& server_id,
                      const std::string& id, topic_directory::lookup& run);
  void close_when_idle();
  void quit();

  caf::event_based_actor* self_;
  std::shared_ptr<transport::client_link> link_;
  std::shared_ptr<const gateway_context> ctx_;
  std::string id_;
  job_map jobs_;
  security::identity who_;  // renewed by `refresh`
  std::optional<session_topics> topics_;
  std::uint64_t next_auto_id_ = 1;
  bool draining_ = false;
  bool awaiting_writable_ = false;
  bool closing_ = false;
  bool detached_ = false;           // the client is gone; requests go on into the inbox
  std::uint64_t expiry_round_ = 0;  // of watch_expiry()
};

caf::behavior session(caf::stateful_actor<session_state>* self,
                      std::shared_ptr<transport::client_link> link,
                      std::shared_ptr<const gateway_context> ctx);

}  // namespace sluice::actors
