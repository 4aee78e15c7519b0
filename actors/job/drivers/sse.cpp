#include "actors/job/drivers/sse.hpp"

#include <simdjson.h>

#include "actors/job/flow_control.hpp"
#include "core/json.hpp"
#include "protocol/server_frames.hpp"

namespace sluice::actors {
namespace {

// What one event's data is: the last frame, a frame of the stream, or
// neither (not a JSON object).
struct sse_reply {
  enum class kind { invalid, streamed, final } type = kind::invalid;
  std::string frame;
  std::string kind_name;  // of a streamed frame (kind_filter.hpp)
};

// The fields that mark an event as the last one or as a token.
struct event_fields {
  std::string final_field;
  std::string token_field;
};

sse_reply read_event(const std::string& data, const event_fields& fields, const std::string& id) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(data).get_object().get(obj)) return {};
  auto minified = simdjson::minify(obj);
  bool is_final = false;
  if (!obj[fields.final_field].get_bool().get(is_final) && is_final)
    return {sse_reply::kind::final, protocol::frames::final_with_data(id, minified), "final"};
  simdjson::dom::element token;
  std::string_view type = obj[fields.token_field].get(token) ? "progress" : "token";
  std::string_view name;  // the event's own `type`, if it names one
  if (obj["type"].get_string().get(name)) name = {};
  return {sse_reply::kind::streamed, protocol::frames::with_data(type, id, minified, name),
          std::string{name.empty() ? type : name}};
}

// Runs on the client's thread. Progress and token events take the request's
// shortcut to the client while it is open (reply_shortcut.hpp); everything
// else goes to the job.
class sse_forwarder : public transport::sse_events {
 public:
  sse_forwarder(caf::weak_actor_ptr job, shortcut_ptr shortcut, event_fields fields, std::string id,
                kind_filter_ptr kinds)
      : job_(std::move(job)),
        shortcut_(std::move(shortcut)),
        fields_(std::move(fields)),
        id_(std::move(id)),
        kinds_(std::move(kinds)) {}

  void on_failed(unsigned status, std::string why) override {
    job_.send(sse_failed_atom::value, std::uint32_t{status}, std::move(why));
  }
  bool on_event(std::string data) override {
    if (shortcut_) {
      auto reply = read_event(data, fields_, id_);
      if (reply.type == sse_reply::kind::streamed) {
        if (dropped_on_shortcut(kinds_, reply.kind_name)) return true;
        if (shortcut_->send(std::move(reply.frame))) return true;
      }
    }
    job_.send(sse_event_atom::value, std::move(data));
    return false;
  }
  void on_end(std::string why, bool protocol_error) override {
    job_.send(sse_end_atom::value, std::move(why), protocol_error);
  }

 private:
  weak_sender job_;
  shortcut_ptr shortcut_;
  event_fields fields_;
  std::string id_;
  kind_filter_ptr kinds_;
};

class sse_job final : public job_driver {
 public:
  sse_job(job_shell& job, transport::sse_client* client)
      : job_(job),
        config_(job.attempts()->upstream().sse),
        fields_{config_.final_field, config_.token_field},
        client_(client) {}
  ~sse_job() override {
    if (request_) request_->abort();
  }

  void attempt() override {
    using escape = config::request_template::escape;
    auto path = job_.fill(config_.path, escape::url);
    auto body = path ? job_.fill(config_.body, escape::json) : std::nullopt;
    auto headers = body ? fill_headers(job_, config_.headers) : std::nullopt;
    if (!headers) return;  // the request ended: a claim is missing
    transport::sse_request_spec spec{
        {config_.endpoint.host, config_.endpoint.port, std::move(*path), config_.method,
         std::move(*headers), std::move(*body), config_.connect_timeout, job_.attempts()->tls()},
        config_.max_event_bytes,
        job_credit_window};
    request_ = client_->start(
        std::move(spec),
        std::make_shared<sse_forwarder>(caf::actor_cast<caf::weak_actor_ptr>(job_.self()),
                                        job_.request().shortcut, fields_, job_.request().id,
                                        job_.request().kinds));
  }

  void on_credit(std::uint32_t n) override {
    if (request_) request_->acknowledge(n);
  }

  void abandon_attempt() override {
    if (request_) request_->abort();
    request_.reset();
  }

  // Events of an abandoned attempt (no request until the retry) are dropped.
  caf::message_handler handlers() override {
    return {
        [this](sse_failed_atom, std::uint32_t status, std::string& why) {
          if (request_) on_failed(status, std::move(why));
        },
        [this](sse_event_atom, const std::string& data) {
          if (request_) on_event(data);
        },
        [this](sse_end_atom, std::string& why, bool protocol_error) {
          if (request_) on_end(std::move(why), protocol_error);
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
    job_.retry_or_fail(code, why);
  }

  void on_end(std::string why, bool protocol_error) {
    if (protocol_error) return job_.fail(ec::upstream_protocol_error, why);
    job_.retry_or_fail(ec::upstream_failed, why + " before its final event");
  }

  void on_event(const std::string& data) {
    job_.attempts()->reached();
    job_.attempts()->streamed();
    auto reply = read_event(data, fields_, job_.request().id);
    switch (reply.type) {
      case sse_reply::kind::invalid:
        return job_.fail(ec::upstream_protocol_error,
                         "the upstream sent an event whose data is not a JSON object");
      case sse_reply::kind::final:
        return job_.finish(std::move(reply.frame), request_outcome::ok);
      case sse_reply::kind::streamed:
        return job_.emit(std::move(reply.frame), reply.kind_name);
    }
  }

  job_shell& job_;
  const config::sse_upstream_config& config_;  // held by the job's upstream binding
  event_fields fields_;
  transport::sse_client* client_;
  std::shared_ptr<transport::sse_request_handle> request_;
};

}  // namespace

driver_factory sse_driver(transport::sse_client* client) {
  return [client](job_shell& job) { return std::make_unique<sse_job>(job, client); };
}

}  // namespace sluice::actors
