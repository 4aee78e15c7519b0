#include "actors/job/drivers/websocket.hpp"

#include "actors/job/flow_control.hpp"
#include "actors/upstream/relay.hpp"
#include "protocol/server_frames.hpp"

namespace sluice::actors {
namespace {

// The frame a progress or token message becomes; empty for the others.
std::string streamed_frame(const relayed_message& msg, const std::string& id) {
  if (msg.type == relayed_message::kind::token)
    return protocol::frames::with_data("token", id, msg.data, msg.name);
  if (msg.type == relayed_message::kind::progress)
    return protocol::frames::with_data("progress", id, msg.data, msg.name);
  return {};
}

// Runs on the connector's thread. Progress and token messages take the
// request's shortcut to the client while it is open (reply_shortcut.hpp);
// everything else goes to the job.
class websocket_forwarder : public transport::websocket_upstream_events {
 public:
  websocket_forwarder(caf::weak_actor_ptr job, shortcut_ptr shortcut, std::string type_field,
                      std::string id, kind_filter_ptr kinds)
      : job_(std::move(job)),
        shortcut_(std::move(shortcut)),
        type_field_(std::move(type_field)),
        id_(std::move(id)),
        kinds_(std::move(kinds)) {}

  void on_failed(std::string why) override {
    job_.send(upstream_failed_atom::value, std::move(why));
  }
  bool on_message(std::string text) override {
    if (shortcut_) {
      auto msg = classify_upstream_json(text, type_field_);
      if (auto frame = streamed_frame(msg, id_); !frame.empty()) {
        if (dropped_on_shortcut(kinds_, msg.kind_name())) return true;
        if (shortcut_->send(std::move(frame))) return true;
      }
    }
    job_.send(upstream_message_atom::value, std::move(text));
    return false;
  }
  void on_closed(std::string why) override {
    job_.send(upstream_closed_atom::value, std::move(why));
  }

 private:
  weak_sender job_;
  shortcut_ptr shortcut_;
  std::string type_field_;
  std::string id_;
  kind_filter_ptr kinds_;
};

class websocket_job final : public job_driver {
 public:
  websocket_job(job_shell& job, transport::websocket_connector* connector)
      : job_(job), connector_(connector) {}
  ~websocket_job() override {
    if (connection_) connection_->close();
  }

  void attempt() override {
    const auto& w = job_.attempts()->upstream().websocket;
    auto message = job_.fill(w.message, config::request_template::escape::json);
    auto headers = message ? fill_headers(job_, w.headers) : std::nullopt;
    if (!headers) return;  // the request ended: a claim is missing
    transport::websocket_upstream_spec spec{w.endpoint.host,
                                            w.endpoint.port,
                                            w.endpoint.path,
                                            w.connect_timeout,
                                            w.max_message_bytes,
                                            job_credit_window,
                                            0,
                                            std::move(*headers),
                                            job_.attempts()->tls()};
    if (w.connections == config::connection_mode::pooled) spec.keep_idle = w.pool_size;
    connection_ = connector_->connect(
        spec,
        std::make_shared<websocket_forwarder>(caf::actor_cast<caf::weak_actor_ptr>(job_.self()),
                                              job_.request().shortcut, w.type_field,
                                              job_.request().id, job_.request().kinds),
        std::move(*message));
  }

  void on_credit(std::uint32_t n) override {
    if (connection_) connection_->acknowledge(n);
  }

  void abandon_attempt() override {
    if (connection_) connection_->close();
    connection_.reset();
  }

  // Events of an abandoned attempt (no connection until the retry) are dropped.
  caf::message_handler handlers() override {
    return {
        [this](upstream_failed_atom, std::string& why) {
          if (connection_) attempt_failed(ec::upstream_unavailable, std::move(why));
        },
        [this](upstream_message_atom, const std::string& text) {
          if (connection_) on_message(text);
        },
        [this](upstream_closed_atom, const std::string& why) {
          if (connection_) attempt_failed(ec::upstream_failed, why + " before its final message");
        },
    };
  }

 private:
  void attempt_failed(ec code, std::string why) {
    connection_->close();
    job_.retry_or_fail(code, why);
  }

  void on_message(const std::string& text) {
    auto& attempts = *job_.attempts();
    attempts.reached();
    attempts.streamed();
    const auto& id = job_.request().id;
    auto msg = classify_upstream_json(text, attempts.upstream().websocket.type_field);
    switch (msg.type) {
      case relayed_message::kind::invalid:
        return job_.fail(ec::upstream_protocol_error,
                         "the upstream sent a message that is not a JSON object");
      case relayed_message::kind::final:
        std::exchange(connection_, nullptr)->release();  // the upstream finished: reusable
        return job_.finish(protocol::frames::final_with_data(id, msg.data), request_outcome::ok);
      case relayed_message::kind::error:
        std::exchange(connection_, nullptr)->release();
        actor_metrics::get().count_error(ec::upstream_failed);
        return job_.finish(protocol::frames::upstream_error(id, msg.data), request_outcome::error);
      case relayed_message::kind::token:
      case relayed_message::kind::progress:
        return job_.emit(streamed_frame(msg, id), msg.kind_name());
    }
  }

  job_shell& job_;
  transport::websocket_connector* connector_;
  std::shared_ptr<transport::websocket_upstream_handle> connection_;
};

}  // namespace

driver_factory websocket_driver(transport::websocket_connector* connector) {
  return [connector](job_shell& job) { return std::make_unique<websocket_job>(job, connector); };
}

}  // namespace sluice::actors
