#include "actors/job/drivers/sse.hpp"

#include <simdjson.h>

#include "actors/job/drivers/payload.hpp"
#include "actors/job/flow_control.hpp"
#include "core/json.hpp"
#include "protocol/server_frames.hpp"

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

class sse_job final : public job_driver {
 public:
  sse_job(job_shell& job, transport::sse_client* client)
      : job_(job), config_(job.attempts()->upstream().sse), client_(client) {}
  ~sse_job() override {
    if (request_) request_->abort();
  }

  void attempt() override {
    transport::sse_request_spec spec{
        config_.endpoint.host,   config_.endpoint.port,
        config_.endpoint.path,   config_.method,
        config_.headers,         render_body(config_.body, job_.request().payload),
        config_.connect_timeout, config_.max_event_bytes,
        job_credit_window};
    request_ = client_->start(
        std::move(spec),
        std::make_shared<job_forwarder>(caf::actor_cast<caf::weak_actor_ptr>(job_.self())));
  }

  void on_credit(std::uint32_t n) override { request_->acknowledge(n); }

  caf::message_handler handlers() override {
    return {
        [this](sse_failed_atom, std::uint32_t status, std::string& why) {
          on_failed(status, std::move(why));
        },
        [this](sse_event_atom, const std::string& data) { on_event(data); },
        [this](sse_end_atom, std::string& why, bool protocol_error) {
          on_end(std::move(why), protocol_error);
        },
    };
  }

 private:
  // Refused and 5xx are the upstream's failures (retried, counted by the
  // supervisor); a 4xx is an answer about this request.
  void on_failed(unsigned status, std::string why) {
    auto code = status > 0 ? ec::upstream_failed : ec::upstream_unavailable;
    if (status >= 400 && status < 500) {
      job_.attempts()->reached();
      return job_.fail(code, why);
    }
    if (!job_.attempts()->failed(why)) job_.fail(code, why);
  }

  void on_end(std::string why, bool protocol_error) {
    if (protocol_error) return job_.fail(ec::upstream_protocol_error, why);
    why += " before its final event";
    if (!job_.attempts()->failed(why)) job_.fail(ec::upstream_failed, why);
  }

  void on_event(const std::string& data) {
    job_.attempts()->reached();
    job_.attempts()->streamed();
    thread_local simdjson::dom::parser parser;
    simdjson::dom::object obj;
    if (parser.parse(data).get_object().get(obj))
      return job_.fail(ec::upstream_protocol_error,
                       "the upstream sent an event whose data is not a JSON object");
    auto minified = simdjson::minify(obj);
    const auto& id = job_.request().id;
    bool is_final = false;
    if (!obj[config_.final_field].get_bool().get(is_final) && is_final)
      return job_.finish(protocol::frames::final_with_data(id, minified), request_outcome::ok);
    simdjson::dom::element token;
    auto type = obj[config_.token_field].get(token) ? "progress" : "token";
    job_.emit(protocol::frames::with_data(type, id, minified));
  }

  job_shell& job_;
  config::sse_upstream_config config_;
  transport::sse_client* client_;
  std::shared_ptr<transport::sse_request_handle> request_;
};

}  // namespace

driver_factory sse_driver(transport::sse_client* client) {
  return [client](job_shell& job) { return std::make_unique<sse_job>(job, client); };
}

}  // namespace sluice::actors
