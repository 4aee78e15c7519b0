#include "actors/job/sse.hpp"

#include <simdjson.h>

#include "actors/actor_metrics.hpp"
#include "actors/frames.hpp"
#include "actors/job/payload.hpp"
#include "actors/job/support.hpp"
#include "actors/strays.hpp"
#include "core/json.hpp"

namespace sluice::actors {
namespace {

// Runs on the client's thread.
class job_forwarder : public transport::sse_events {
 public:
  explicit job_forwarder(caf::weak_actor_ptr job) : job_(std::move(job)) {}

  void on_failed(unsigned status, std::string why) override {
    job_.send(sse_failed_atom::value, std::uint32_t{status}, std::move(why));
  }
  void on_event(std::string data) override { job_.send(sse_event_atom::value, std::move(data)); }
  void on_end(std::string why, bool protocol_error) override {
    job_.send(sse_end_atom::value, std::move(why), protocol_error);
  }

 private:
  weak_sender job_;
};

}  // namespace

sse_job_state::sse_job_state(caf::event_based_actor* self) : self_(self) {}

sse_job_state::~sse_job_state() {
  if (request_) request_->abort();
}

caf::behavior sse_job_state::make_behavior(upstream_binding upstream,
                                           std::chrono::milliseconds timeout, job_request req,
                                           transport::sse_client* client) {
  config_ = upstream.config->sse;
  req_ = std::move(req);
  deadline_.arm(self_, timeout, upstream.timers);
  attempts_.emplace(self_, std::move(upstream));
  client_ = client;
  attempt();
  return {
      [this](sse_failed_atom, std::uint32_t status, std::string& why) {
        on_failed(status, std::move(why));
      },
      [this](sse_event_atom, const std::string& data) { on_event(data); },
      [this](sse_end_atom, std::string& why, bool protocol_error) {
        on_end(std::move(why), protocol_error);
      },
      [this](retry_atom) { attempt(); },
      [this](credit_atom, std::uint32_t n) { request_->acknowledge(n); },
      [this](deadline_atom) {
        reply_error(self_, req_, ec::deadline_exceeded, "the request exceeded its route's timeout",
                    request_outcome::deadline_exceeded);
      },
  };
}

void sse_job_state::attempt() {
  transport::sse_request_spec spec{
      config_.endpoint.host,   config_.endpoint.port,   config_.endpoint.path,
      config_.method,          config_.headers,         render_body(config_.body, req_.payload),
      config_.connect_timeout, config_.max_event_bytes, job_credit_window};
  request_ =
      client_->start(std::move(spec),
                     std::make_shared<job_forwarder>(caf::actor_cast<caf::weak_actor_ptr>(self_)));
}

// Refused and 5xx are the upstream's failures (retried, counted by the
// supervisor); a 4xx is an answer about this request.
void sse_job_state::on_failed(unsigned status, std::string why) {
  auto code = status > 0 ? ec::upstream_failed : ec::upstream_unavailable;
  if (status >= 400 && status < 500) {
    attempts_->reached();
    return reply_error(self_, req_, code, std::move(why), request_outcome::error);
  }
  if (!attempts_->failed(why))
    reply_error(self_, req_, code, std::move(why), request_outcome::error);
}

void sse_job_state::on_end(std::string why, bool protocol_error) {
  if (protocol_error)
    return reply_error(self_, req_, ec::upstream_protocol_error, why, request_outcome::error);
  why += " before its final event";
  if (!attempts_->failed(why))
    reply_error(self_, req_, ec::upstream_failed, std::move(why), request_outcome::error);
}

void sse_job_state::on_event(const std::string& data) {
  attempts_->reached();
  attempts_->streamed();
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(data).get_object().get(obj))
    return reply_error(self_, req_, ec::upstream_protocol_error,
                       "the upstream sent an event whose data is not a JSON object",
                       request_outcome::error);
  auto minified = simdjson::minify(obj);
  bool is_final = false;
  if (!obj[config_.final_field].get_bool().get(is_final) && is_final)
    return reply(self_, req_, frames::final_with_data(req_.id, minified), true,
                 request_outcome::ok);
  simdjson::dom::element token;
  auto type = obj[config_.token_field].get(token) ? "progress" : "token";
  reply(self_, req_, frames::with_data(type, req_.id, minified), false, request_outcome::ok);
}

caf::behavior sse_job(caf::stateful_actor<sse_job_state>* self, upstream_binding upstream,
                      std::chrono::milliseconds timeout, job_request req,
                      transport::sse_client* client) {
  ignore_strays(self, sse_job_state::name);
  return self->state.make_behavior(std::move(upstream), timeout, std::move(req), client);
}

}  // namespace sluice::actors
