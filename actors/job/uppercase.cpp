#include "actors/job/uppercase.hpp"

#include "actors/actor_metrics.hpp"
#include "actors/frames.hpp"
#include "actors/job/payload.hpp"
#include "actors/messages.hpp"
#include "actors/strays.hpp"

namespace sluice::actors {

std::string to_upper_ascii(std::string_view text) {
  std::string out{text};
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

uppercase_job_state::uppercase_job_state(caf::event_based_actor* self) : self_(self) {}

uppercase_job_state::~uppercase_job_state() = default;

caf::behavior uppercase_job_state::make_behavior(config::uppercase_params params,
                                                 std::chrono::milliseconds timeout,
                                                 job_request req) {
  params_ = params;
  req_ = std::move(req);
  if (auto text = payload_text(req_.payload)) {
    text_ = std::move(*text);
    self_->delayed_send(self_, timeout, deadline_atom::value);
    self_->send(self_, tick_atom::value);
  } else {
    reply_error(self_, req_, ec::invalid_payload,
                "the uppercase route takes {\"text\": \"...\"} or a string as payload",
                request_outcome::error);
  }
  return {
      [this](tick_atom) { on_tick(); },
      [this](deadline_atom) { on_deadline(); },
      [this](credit_atom, std::uint32_t n) { on_credit(n); },
  };
}

void uppercase_job_state::on_tick() {
  if (step_ == params_.steps) {
    reply(self_, req_, frames::final_result(req_.id, to_upper_ascii(text_)), true,
          request_outcome::ok);
    return;
  }
  ++step_;
  reply(self_, req_, frames::progress(req_.id, step_, params_.steps), false, request_outcome::ok);
  window_.sent();
  schedule_next_tick();
}

void uppercase_job_state::schedule_next_tick() {
  if (!window_.can_send()) {
    waiting_for_credit_ = true;  // the client is behind: produce nothing until it catches up
    return;
  }
  if (params_.interval.count() == 0)
    self_->send(self_, tick_atom::value);
  else
    self_->delayed_send(self_, params_.interval, tick_atom::value);
}

void uppercase_job_state::on_credit(std::uint32_t n) {
  window_.acknowledged(n);
  if (waiting_for_credit_ && window_.can_send()) {
    waiting_for_credit_ = false;
    schedule_next_tick();
  }
}

void uppercase_job_state::on_deadline() {
  reply_error(self_, req_, ec::deadline_exceeded, "the request exceeded its route's timeout",
              request_outcome::deadline_exceeded);
}

caf::behavior uppercase_job(caf::stateful_actor<uppercase_job_state>* self,
                            config::uppercase_params params, std::chrono::milliseconds timeout,
                            job_request req) {
  ignore_strays(self, uppercase_job_state::name);
  return self->state.make_behavior(params, timeout, std::move(req));
}

}  // namespace sluice::actors
