#include "actors/job/job.hpp"

#include <bit>

#include "actors/base/actor_metrics.hpp"
#include "actors/base/strays.hpp"
#include "actors/quota/metrics.hpp"
#include "protocol/server_frames.hpp"

namespace sluice::actors {

caf::behavior job_shell::make_behavior(job_spec spec, std::chrono::milliseconds timeout,
                                       job_request req, transport::timer_service* timers) {
  req_ = std::move(req);
  route_ = spec.route;
  deadline_.arm(self_, timeout, timers);
  if (spec.upstream) attempts_.emplace(self_, std::move(*spec.upstream));
  driver_ = spec.driver(*this);
  auto own = driver_->handlers();
  if (!driver_->waits_for_capacity()) accepted(0);
  start_attempt();
  return own.or_else(
      [this](retry_atom) { start_attempt(); },
      [this](attempt_timeout_atom, std::uint32_t attempt) { on_attempt_timeout(attempt); },
      [this](credit_atom, std::uint32_t n) {
        // The session counts `accepted` among our frames; drivers do not.
        if (std::exchange(accepted_owes_credit_, false)) --n;
        if (n > 0) driver_->on_credit(n);
      },
      [this](deadline_atom) {
        if (fell_back(config::fallback_on_timeout)) return;
        fail(ec::deadline_exceeded, "the request exceeded its route's timeout",
             request_outcome::deadline_exceeded);
      });
}

void job_shell::start_attempt() {
  ++attempt_;
  if (route_ && attempts_ && route_->attempt_timeout.count() > 0)
    self_->delayed_send(self_, route_->attempt_timeout, attempt_timeout_atom::value, attempt_);
  driver_->attempt();
}

// The attempt had its attempt_timeout to be answered: one that was is
// streaming (and ends with the route's timeout); one that was not is given up.
void job_shell::on_attempt_timeout(std::uint32_t attempt) {
  if (attempt != attempt_ || attempts_->was_reached()) return;
  driver_->abandon_attempt();
  retry_or_fail(ec::upstream_unavailable,
                "the upstream did not answer within the route's attempt_timeout (" +
                    std::to_string(route_->attempt_timeout.count()) + " ms)");
}

bool job_shell::fell_back(config::fallback_trigger trigger) {
  if (!route_ || !route_->fallback || !attempts_ || (route_->fallback_on & trigger) == 0 ||
      attempts_->was_streamed() || (req_.shortcut && req_.shortcut->used()))
    return false;
  auto index = static_cast<std::size_t>(std::countr_zero(static_cast<unsigned>(trigger)));
  actor_metrics::get()
      .fallbacks.with({attempts_->upstream().name, config::fallback_trigger_names[index]})
      .inc();
  finish(protocol::frames::fallback(req_.id, *route_->fallback), request_outcome::ok);
  return true;
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
  if (done_) return;
  if (attempts_) attempts_->streamed();
  if (req_.quota && !within_quota(frame)) return;
  if (!wanted(req_.kinds, kind)) {
    frame.clear();
    actor_metrics::get().filtered_frames.inc();
  }
  self_->send(req_.session, job_event{req_.id, std::move(frame), false, request_outcome::ok});
}

void job_shell::retry_or_fail(ec code, const std::string& why, unsigned status) {
  if (req_.shortcut && req_.shortcut->used()) {
    attempts_->reached();
    attempts_->streamed();
  }
  if (attempts_->failed(why) || fell_back(config::fallback_on_retries_exhausted)) return;
  fail(code, why, request_outcome::error, status);
}

// Counts the frame's units against the principal's quota; false when they
// ran out and the route ends the stream for it (the request ended).
bool job_shell::within_quota(const std::string& frame) {
  auto verdict = req_.quota->charge(frame, false);
  if (verdict || !req_.quota->ends_stream()) return true;
  const auto& route = req_.quota->route();
  quota_metrics::get().streams_ended.with({route}).inc();
  actor_metrics::get().count_error(ec::quota_exceeded);
  finish(quota_refusal(verdict, req_.quota->quota(), route, req_.id),
         request_outcome::quota_exceeded);
  return false;
}

void job_shell::finish(std::string frame, request_outcome outcome) {
  if (std::exchange(done_, true)) return;  // a driver may go on after the job ended
  if (req_.quota) req_.quota->charge(frame, true);
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

void job_shell::fail(ec code, std::string_view message, request_outcome outcome, unsigned status) {
  // The upstream's own failure (an error answer, a failed process, a 4xx).
  bool upstream_error =
      code == ec::upstream_failed || code == ec::upstream_protocol_error || code == ec::worker_lost;
  if (upstream_error && fell_back(config::fallback_on_upstream_error)) return;
  actor_metrics::get().count_error(code);
  finish(status == 0 ? protocol::frames::error(code, message, req_.id)
                     : protocol::frames::error_with_status(code, message, req_.id, status),
         outcome);
}

caf::behavior job_actor(caf::stateful_actor<job_shell>* self, job_spec spec,
                        std::chrono::milliseconds timeout, job_request req,
                        transport::timer_service* timers) {
  ignore_strays(self, spec.name);
  return self->state.make_behavior(std::move(spec), timeout, std::move(req), timers);
}

}  // namespace sluice::actors
