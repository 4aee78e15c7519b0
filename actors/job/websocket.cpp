#include "actors/job/websocket.hpp"

#include "actors/actor_metrics.hpp"
#include "actors/frames.hpp"
#include "actors/job/payload.hpp"
#include "actors/job/support.hpp"
#include "actors/strays.hpp"
#include "actors/upstream/relay.hpp"

namespace sluice::actors {
namespace {

// Runs on the connector's thread.
class job_forwarder : public transport::websocket_upstream_events {
 public:
  explicit job_forwarder(caf::weak_actor_ptr job) : job_(std::move(job)) {}

  void on_failed(std::string why) override {
    job_.send(upstream_failed_atom::value, std::move(why));
  }
  void on_message(std::string text) override {
    job_.send(upstream_message_atom::value, std::move(text));
  }
  void on_closed(std::string why) override {
    job_.send(upstream_closed_atom::value, std::move(why));
  }

 private:
  weak_sender job_;
};

}  // namespace

websocket_job_state::websocket_job_state(caf::event_based_actor* self) : self_(self) {}

websocket_job_state::~websocket_job_state() {
  if (connection_) connection_->close();
}

caf::behavior websocket_job_state::make_behavior(upstream_binding upstream,
                                                 std::chrono::milliseconds timeout, job_request req,
                                                 transport::websocket_connector* connector) {
  req_ = std::move(req);
  deadline_.arm(self_, timeout, upstream.timers);
  attempts_.emplace(self_, std::move(upstream));
  connector_ = connector;
  attempt();
  return {
      [this](upstream_failed_atom, std::string& why) {
        on_attempt_failed(ec::upstream_unavailable, std::move(why));
      },
      [this](upstream_message_atom, const std::string& text) { on_message(text); },
      [this](upstream_closed_atom, const std::string& why) {
        on_attempt_failed(ec::upstream_failed, why + " before its final message");
      },
      [this](retry_atom) { attempt(); },
      [this](credit_atom, std::uint32_t n) {
        if (connection_) connection_->acknowledge(n);
      },
      [this](deadline_atom) {
        reply_error(self_, req_, ec::deadline_exceeded, "the request exceeded its route's timeout",
                    request_outcome::deadline_exceeded);
      },
  };
}

void websocket_job_state::attempt() {
  const auto& w = attempts_->upstream().websocket;
  transport::websocket_upstream_spec spec{w.endpoint.host,     w.endpoint.port,
                                          w.endpoint.path,     w.connect_timeout,
                                          w.max_message_bytes, job_credit_window};
  if (w.connections == config::connection_mode::pooled) spec.keep_idle = w.pool_size;
  connection_ = connector_->connect(
      spec, std::make_shared<job_forwarder>(caf::actor_cast<caf::weak_actor_ptr>(self_)));
  connection_->send(render_body(w.message, req_.payload));  // queued until the connection is open
}

void websocket_job_state::on_attempt_failed(ec code, std::string why) {
  connection_->close();
  if (!attempts_->failed(why))
    reply_error(self_, req_, code, std::move(why), request_outcome::error);
}

void websocket_job_state::on_message(const std::string& text) {
  attempts_->reached();
  attempts_->streamed();
  auto msg = classify_upstream_json(text, attempts_->upstream().websocket.type_field);
  switch (msg.type) {
    case relayed_message::kind::invalid:
      return reply_error(self_, req_, ec::upstream_protocol_error,
                         "the upstream sent a message that is not a JSON object",
                         request_outcome::error);
    case relayed_message::kind::final:
      std::exchange(connection_, nullptr)->release();  // the upstream finished: reusable
      return reply(self_, req_, frames::final_with_data(req_.id, msg.data), true,
                   request_outcome::ok);
    case relayed_message::kind::error:
      std::exchange(connection_, nullptr)->release();
      actor_metrics::get().count_error(ec::upstream_failed);
      return reply(self_, req_, frames::upstream_error(req_.id, msg.data), true,
                   request_outcome::error);
    case relayed_message::kind::token:
      return reply(self_, req_, frames::with_data("token", req_.id, msg.data), false,
                   request_outcome::ok);
    case relayed_message::kind::progress:
      return reply(self_, req_, frames::with_data("progress", req_.id, msg.data), false,
                   request_outcome::ok);
  }
}

caf::behavior websocket_job(caf::stateful_actor<websocket_job_state>* self,
                            upstream_binding upstream, std::chrono::milliseconds timeout,
                            job_request req, transport::websocket_connector* connector) {
  ignore_strays(self, websocket_job_state::name);
  return self->state.make_behavior(std::move(upstream), timeout, std::move(req), connector);
}

}  // namespace sluice::actors
