#include "actors/upstream/attempts.hpp"

#include "actors/base/actor_metrics.hpp"
#include "actors/messages.hpp"
#include "actors/upstream/backoff.hpp"

namespace sluice::actors {

upstream_attempts::upstream_attempts(caf::event_based_actor* self, upstream_binding binding)
    : self_(self), binding_(std::move(binding)) {}

void upstream_attempts::reached() {
  if (reached_) return;
  reached_ = true;
  self_->send(binding_.supervisor, upstream_up_atom::value);
}

bool upstream_attempts::failed(std::string why, bool retryable) {
  self_->send(binding_.supervisor, upstream_down_atom::value, std::move(why));
  const auto& s = binding_.config->supervision;
  if (!retryable || streamed_ || retried_ >= s.retries || !binding_.gate->admits()) return false;
  // Retries back off like the supervisor's probes, from the same base.
  backoff_policy policy{s.backoff_base, s.backoff_max, s.backoff_multiplier};
  self_->delayed_send(self_, policy.delay(retried_++, jitter_rng()), retry_atom::value);
  reached_ = false;
  actor_metrics::get().upstream_retries.with({binding_.config->name}).inc();
  return true;
}

}  // namespace sluice::actors
