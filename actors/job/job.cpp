#include "actors/job/job.hpp"

#include "actors/base/actor_metrics.hpp"
#include "actors/base/strays.hpp"
#include "protocol/server_frames.hpp"

namespace sluice::actors {

caf::behavior job_shell::make_behavior(job_spec spec, std::chrono::milliseconds timeout,
                                       job_request req, transport::timer_service* timers) {
  req_ = std::move(req);
  deadline_.arm(self_, timeout, timers);
  if (spec.upstream) attempts_.emplace(self_, std::move(*spec.upstream));
  driver_ = spec.driver(*this);
  auto own = driver_->handlers();
  if (!driver_->waits_for_capacity()) accepted(0);
  driver_->attempt();
  return own.or_else([this](retry_atom) { driver_->attempt(); },
                     [this](credit_atom, std::uint32_t n) {
                       // The session counts `accepted` among our frames; drivers do not.
                       if (std::exchange(accepted_owes_credit_, false)) --n;
                       if (n > 0) driver_->on_credit(n);
                     },
                     [this](deadline_atom) {
                       fail(ec::deadline_exceeded, "the request exceeded its route's timeout",
                            request_outcome::deadline_exceeded);
                     });
}

void job_shell::accepted(std::uint32_t queued) {
  if (std::exchange(accepted_, true)) return;
  auto frame = protocol::frames::accepted(req_.id, req_.server_id, queued);
  // Through the shortcut when the reply's frames take it, so that none overtakes
  // this one; it does not count as a reply (the request may still be retried).
  if (req_.shortcut && req_.shortcut->send(std::move(frame), false)) return;
  accepted_owes_credit_ = true;
  self_->send(req_.session, job_event{req_.id, std::move(frame), false, request_outcome::ok});
}

void job_shell::emit(std::string frame, std::string_view kind) {
  if (attempts_) attempts_->streamed();
  if (!wanted(req_.kinds, kind)) {
    frame.clear();
    actor_metrics::get().filtered_frames.inc();
  }
  self_->send(req_.session, job_event{req_.id, std::move(frame), false, request_outcome::ok});
}

void job_shell::retry_or_fail(ec code, const std::string& why) {
  if (req_.shortcut && req_.shortcut->used()) {
    attempts_->reached();
    attempts_->streamed();
  }
  if (!attempts_->failed(why)) fail(code, why);
}

void job_shell::finish(std::string frame, request_outcome outcome) {
  if (req_.shortcut) req_.shortcut->close();  // nothing may follow the last frame
  self_->send(req_.session, job_event{req_.id, std::move(frame), true, outcome});
  self_->quit();  // the state's destructor releases what the driver holds
}

std::optional<std::string> job_shell::fill(const config::request_template& t,
                                           config::request_template::escape how) {
  std::string missing;
  auto out =
      t.render(template_values(req_.caller.get(), req_.payload, req_.server_id), how, missing);
  if (!out) {
    std::string why{"the route's upstream needs the claim `"};
    why.append(missing).append("`, which this client's credentials do not have");
    fail(ec::forbidden, why);
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> fill_headers(
    job_shell& job, const config::templated_headers& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : headers) {
    auto filled = job.fill(value, config::request_template::escape::header);
    if (!filled) return std::nullopt;
    out.emplace_back(name, std::move(*filled));
  }
  return out;
}

void job_shell::fail(ec code, std::string_view message, request_outcome outcome) {
  actor_metrics::get().count_error(code);
  finish(protocol::frames::error(code, message, req_.id), outcome);
}

caf::behavior job_actor(caf::stateful_actor<job_shell>* self, job_spec spec,
                        std::chrono::milliseconds timeout, job_request req,
                        transport::timer_service* timers) {
  ignore_strays(self, spec.name);
  return self->state.make_behavior(std::move(spec), timeout, std::move(req), timers);
}

}  // namespace sluice::actors
