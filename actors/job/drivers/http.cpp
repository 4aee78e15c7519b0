#include "actors/job/drivers/http.hpp"

#include <simdjson.h>

#include "protocol/server_frames.hpp"

namespace sluice::actors {
namespace {

class http_job final : public job_driver {
 public:
  http_job(job_shell& job, transport::http_client* client)
      : job_(job), config_(job.attempts()->upstream().http), client_(client) {}
  ~http_job() override {
    if (exchange_) exchange_->abort();
  }

  void attempt() override {
    using escape = config::request_template::escape;
    auto path = job_.fill(config_.path, escape::url);
    bool sends_body = config_.method != "GET" && config_.method != "DELETE";
    auto body = !path        ? std::nullopt
                : sends_body ? job_.fill(config_.body, escape::json)
                             : std::optional<std::string>{""};
    auto headers = body ? fill_headers(job_, config_.headers) : std::nullopt;
    if (!headers) return;  // the request ended: a claim is missing
    transport::http_request_spec spec{
        {config_.endpoint.host, config_.endpoint.port, std::move(*path), config_.method,
         std::move(*headers), std::move(*body), config_.connect_timeout, job_.attempts()->tls()},
        config_.max_response_bytes};
    weak_sender job{caf::actor_cast<caf::weak_actor_ptr>(job_.self())};
    exchange_ = client_->start(std::move(spec), [job](transport::http_answer a) {
      job.send(http_answer_atom::value, std::uint32_t{a.status}, std::move(a.body),
               std::move(a.error), a.too_large);
    });
  }

  void on_credit(std::uint32_t) override {}  // one frame: nothing to pace

  void abandon_attempt() override {
    if (exchange_) exchange_->abort();
    exchange_.reset();
  }

  caf::message_handler handlers() override {
    return {[this](http_answer_atom, std::uint32_t status, std::string& body, std::string& why,
                   bool too_large) {
      if (exchange_) on_answer(status, body, why, too_large);  // not an abandoned attempt's
    }};
  }

 private:
  void on_answer(unsigned status, const std::string& body, const std::string& why, bool too_large) {
    exchange_.reset();
    if (status == 0) return job_.retry_or_fail(ec::upstream_unavailable, why);
    auto answered = "the upstream answered HTTP " + std::to_string(status);
    if (status >= 500) return job_.retry_or_fail(ec::upstream_failed, answered, status);
    job_.attempts()->reached();
    if (too_large) return job_.fail(ec::upstream_protocol_error, why);
    if (status >= 300 || status < 200) {
      if (status >= 300 && status < 400) answered += " (a redirect: not followed)";
      return job_.fail(ec::upstream_failed, answered, request_outcome::error, status);
    }
    if (body.empty())
      return job_.finish(protocol::frames::final_json(job_.request().id, "null"),
                         request_outcome::ok);
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(body).get(root))
      return job_.fail(ec::upstream_protocol_error, "the upstream's answer is not JSON");
    job_.finish(protocol::frames::final_json(job_.request().id, simdjson::minify(root)),
                request_outcome::ok);
  }

  job_shell& job_;
  const config::http_upstream_config& config_;  // held by the job's upstream binding
  transport::http_client* client_;
  std::shared_ptr<transport::http_exchange_handle> exchange_;
};

}  // namespace

driver_factory http_driver(transport::http_client* client) {
  return [client](job_shell& job) { return std::make_unique<http_job>(job, client); };
}

}  // namespace sluice::actors
