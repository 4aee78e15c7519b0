// A topic's delivery (see topic.hpp): carrying out what its subscriber set
// decided, frame by frame while each connection can take more.
#include <algorithm>

#include "actors/topic/metrics.hpp"
#include "actors/topic/topic.hpp"
#include "core/observe/log.hpp"
#include "protocol/topic_frames.hpp"

namespace sluice::actors {

void topic_state::carry_out(subscriber_set::instructions& out) {
  using kind = subscriber_set::instruction::kind;
  std::vector<subscriber_set::key> blocked;  // the rest of their instructions are void
  // Index-based: a grant below appends to `out`.
  for (std::size_t n = 0; n < out.size(); ++n) {
    auto i = out[n];
    auto it = subscribers_.find(i.to);
    if (it == subscribers_.end()) continue;
    // A close stands (cursors_ has forgotten it); the rest is void once blocked.
    if (i.what != kind::close && std::find(blocked.begin(), blocked.end(), i.to) != blocked.end())
      continue;
    auto& s = it->second;
    switch (i.what) {
      case kind::messages:
        send_messages(i.to, s, i.from, i.until);
        if (s.awaiting_writable) blocked.push_back(i.to);
        break;
      case kind::gap:
        send_gap(s.link, i.from, i.until, i.reason);
        break;
      case kind::wait:  // its credit ran out: more at once, or once its connection has room
        if (s.link->congested()) {
          wait_for_writable(s);
        } else {
          cursors_.grant(i.to, subscriber_credit, held(), out);
        }
        break;
      case kind::close:
        close_slow(s);
        remove(i.to);
        break;
    }
  }
  out.clear();
  batches_.clear();
}

void topic_state::send_messages(subscriber_set::key who, subscriber& s, std::uint64_t from,
                                std::uint64_t until) {
  std::uint64_t sent = 0;
  for (auto o = from; o <= until;) {
    if (s.link->congested()) {
      cursors_.block(who, o);
      wait_for_writable(s);
      break;
    }
    if (!s.batched || o == until || s.kinds) {
      const auto& frame = frame_at(o);
      if (passes(s, frame)) {
        s.link->send(frame);  // the one rendering, shared by every queue
        ++sent;
      }
      ++o;
      continue;
    }
    // Several events in one frame, made once for every subscriber that starts here.
    auto chunk = batches_.frame_from(
        o, until, [this](std::uint64_t n) -> const auto& { return frame_at(n); });
    s.link->send(std::move(chunk.frame));
    sent += chunk.next - o;
    o = chunk.next;
  }
  topic_metrics::get().delivered.inc(static_cast<double>(sent));
}

bool topic_state::passes(const subscriber& s, const protocol::shared_frame& frame) const {
  if (!s.kinds || s.kinds->passes(protocol::frames::message_kind(*frame))) return true;
  topic_metrics::get().filtered.inc();
  return false;
}

void topic_state::close_slow(subscriber& s) {
  topic_metrics::get().slow_disconnects.inc();
  log::info("topic", "slow_subscriber_closed",
            {{"topic", topic_}, {"behind", rule_.max_lag + 1}, {"max_lag", rule_.max_lag}});
  s.link->close(transport::close_code::policy_violation, "subscriber fell more than " +
                                                             std::to_string(rule_.max_lag) +
                                                             " messages behind on topic " + topic_);
}

void topic_state::wait_for_writable(subscriber& s) {
  if (s.awaiting_writable) return;
  s.awaiting_writable = true;
  // The notice reaches the session, which passes it on (writable_atom).
  s.link->notify_when_writable();
}

void topic_state::send_gap(const link_ptr& link, std::uint64_t from, std::uint64_t to,
                           std::string_view reason) {
  topic_metrics::get().gaps.with({std::string{reason}}).inc();
  link->send(
      std::make_shared<const std::string>(protocol::frames::gap(topic_, epoch_, from, to, reason)));
}

}  // namespace sluice::actors
