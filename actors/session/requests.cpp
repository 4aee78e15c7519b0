// A session's requests: starting one (route, access, priority, run topic),
// relaying its job's frames with credit back, and ending it.
#include <caf/all.hpp>

#include "actors/base/actor_metrics.hpp"
#include "actors/quota/metrics.hpp"
#include "actors/session/session.hpp"
#include "core/clock.hpp"
#include "core/observe/log.hpp"
#include "core/secure_random.hpp"
#include "protocol/server_frames.hpp"
#include "security/access.hpp"

namespace sluice::actors {
namespace {

// The request's `kinds` as the job filters them (null: every kind).
kind_filter_ptr kinds_of(protocol::request& msg) {
  if (msg.kinds.empty()) return nullptr;
  return std::make_shared<const kind_filter>(std::move(msg.kinds));
}

}  // namespace

void session_state::on_request(protocol::request& msg) {
  auto id = msg.id.empty() ? "\"auto-" + std::to_string(next_auto_id_++) + "\"" : msg.id;
  if (draining_) return send_error(ec::shutting_down, "the server is shutting down", id);
  if (jobs_.contains(id))
    return send_error(ec::duplicate_id, "a request with this id is already in flight", id);
  if (jobs_.size() >= ctx_->limits.max_requests_in_flight)
    return send_error(ec::too_many_requests,
                      "at most " + std::to_string(ctx_->limits.max_requests_in_flight) +
                          " requests may be in flight on one connection",
                      id);
  ec why = ec::unknown_route;
  const auto* route = ctx_->routes.resolve(msg.route, why);
  if (route == nullptr) {
    if (why == ec::no_default_route)
      return send_error(why, "no route is configured as the default; name a route", id);
    return send_error(why, "no route named \"" + msg.route + "\"", id);
  }
  if (!security::allows(route->allow, who_))
    return send_error(ec::forbidden, "this client may not use route \"" + route->name + "\"", id);
  if (!security::allows(route->priorities[static_cast<std::size_t>(msg.priority)], who_))
    return send_error(ec::forbidden,
                      "this client may not ask for priority \"" +
                          std::string{to_string(msg.priority)} + "\" on route \"" + route->name +
                          "\" (see the route's `priorities`)",
                      id);
  auto server_id = random_id("r-");
  topic_directory::lookup run;
  if (!route->publish_to.text.empty() && !open_run_topic(*route, server_id, id, run)) return;
  quota_ticket_ptr quota;
  if (route->quota.enabled() && !admit_quota(*route, id, quota)) return;
  auto now = std::chrono::steady_clock::now();
  // A stream inbox or a run's topic keeps every frame of a request: they all
  // go through it; a quota counts the units of every frame in the job.
  auto shortcut = topics_->stream_inbox() || run.topic || route->quota.units > 0 ||
                          !ctx_->routes.streams_directly(*route)
                      ? nullptr
                      : std::make_shared<reply_shortcut>(link_, ctx_->frame_timestamps);
  auto started = ctx_->routes.start_job(
      self_, *route,
      {id, std::move(msg.payload), caf::actor_cast<caf::actor>(self_), shortcut,
       std::move(server_id), msg.priority, kinds_of(msg), caller_of(*route), std::move(quota)});
  if (!started.job) {  // answered at once (the upstream is unavailable)
    send(std::move(started.reply));
    return count_request(route->name, started.outcome, now);
  }
  jobs_.emplace(id, in_flight{std::move(started.job), std::move(shortcut), route->name, now,
                              std::move(run.topic), std::move(run.lease)});
}

// Counts the request against the route's quota for this client's principal,
// or answers it with quota_exceeded (forbidden: an anonymous client where
// the quota refuses them).
bool session_state::admit_quota(const config::route_config& route, const std::string& id,
                                quota_ticket_ptr& ticket) {
  auto& m = quota_metrics::get();
  if (who_.anonymous() && route.quota.refuse_anonymous) {
    m.decisions.with({route.name, "anonymous"}).inc();
    send_error(ec::forbidden,
               "route \"" + route.name +
                   "\" meters each user and does not serve anonymous clients: connect with a "
                   "token or an API key",
               id);
    return false;
  }
  // Tagged by kind, so that no sub, key name and address share a count.
  std::string principal = !who_.subject.empty()    ? "sub:" + who_.subject
                          : !who_.key_name.empty() ? "key:" + who_.key_name
                                                   : "addr:" + link_->remote_ip();
  auto verdict = ctx_->quotas->admit(route.name, principal, unix_ms());
  m.principals.set(static_cast<std::int64_t>(verdict.tracked));  // read under admit's lock
  std::string outcome{verdict ? "admitted" : to_string(verdict.refused)};
  m.decisions.with({route.name, outcome}).inc();
  if (!verdict) {
    actor_metrics::get().count_error(ec::quota_exceeded);
    send(quota_refusal(verdict, route.quota, route.name, id));
    return false;
  }
  ticket =
      std::make_shared<quota_ticket>(ctx_->quotas, route.quota, route.name, std::move(principal));
  return true;
}

// Who is asking, for the route's backend (caller.hpp).
caller_ptr session_state::caller_of(const config::route_config& route) const {
  return std::make_shared<const caller_info>(
      caller_info{who_.subject, who_.roles, link_->params().client_id, who_.claims, route.name});
}

void session_state::on_cancel(const protocol::cancel& msg) {
  auto it = jobs_.find(msg.id);
  if (it == jobs_.end())
    return send_error(ec::unknown_request, "no request with this id is in flight", msg.id);
  abort_request(it, ec::cancelled, "cancelled by the client", request_outcome::cancelled);
  close_when_idle();
}

void session_state::on_job_event(job_event& ev) {
  auto it = jobs_.find(ev.id);
  // A job that was cancelled may still have frames in flight to us: drop them.
  if (it == jobs_.end() || it->second.job.address() != self_->current_sender()) return;
  if (!ev.frame.empty()) relay(it->second, std::move(ev.frame));  // empty: a kind not asked for
  if (ev.terminal) {
    finish_request(it, ev.outcome);
    close_when_idle();
  } else {
    acknowledge(it->second);
  }
}

// Credit back to the job in batches of half its window, unless the client is
// behind (see flow_control.hpp). A job that has used its whole window has a
// full window owed here, so batching can never leave it waiting.
void session_state::acknowledge(in_flight& job) {
  if (job.owed->accepted() < job_credit_window / 2) return;
  if (detached_ || !link_->congested()) {  // detached: the inbox's history takes the frames
    return_credit(job);
    return;
  }
  if (!awaiting_writable_) {
    awaiting_writable_ = true;
    link_->notify_when_writable();
  }
}

void session_state::return_credit(in_flight& job) {
  auto n = job.owed->depth();
  if (n == 0) return;
  job.owed->handled(n);
  self_->send(job.job, credit_atom::value, static_cast<std::uint32_t>(n));
}

void session_state::on_job_down(const caf::down_msg& msg) {
  for (auto it = jobs_.begin(); it != jobs_.end(); ++it) {
    if (it->second.job.address() != msg.source) continue;
    log::error("session", "job_failed",
               {{"session", id_},
                {"route", it->second.route},
                {"reason", self_->system().render(msg.reason)}});
    abort_request(it, ec::internal, "the request failed inside the server",
                  request_outcome::internal);
    close_when_idle();
    return;
  }
}

void session_state::abort_request(job_map::iterator it, ec code, std::string_view message,
                                  request_outcome outcome) {
  self_->demonitor(it->second.job);
  if (it->second.shortcut) it->second.shortcut->close();  // before the error frame
  self_->send_exit(it->second.job, caf::exit_reason::user_shutdown);
  if (outcome != request_outcome::client_gone) {
    actor_metrics::get().count_error(code);
    relay(it->second, protocol::frames::error(code, message, it->first));
  } else if (it->second.run) {  // followers of the run learn why it ended
    self_->send(it->second.run, inbox_frame_atom::value,
                protocol::frames::error(ec::cancelled, "the client that made the request is gone",
                                        it->first));
    actor_metrics::get().run_topic_frames.inc();
  }
  finish_request(it, outcome);
}

void session_state::finish_request(job_map::iterator it, request_outcome outcome) {
  count_request(it->second.route, outcome, it->second.started);
  jobs_.erase(it);
}

void session_state::count_request(const std::string& route, request_outcome outcome,
                                  std::chrono::steady_clock::time_point started) {
  auto& m = actor_metrics::get();
  m.requests.with({route, std::string{to_string(outcome)}}).inc();
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  m.request_seconds.with({route}).observe(elapsed.count());
}

void session_state::relay(const in_flight& job, std::string frame) {
  if (ctx_->frame_timestamps) frame = protocol::frames::with_timestamp(std::move(frame), unix_ms());
  if (job.run) {
    self_->send(job.run, inbox_frame_atom::value, frame);
    actor_metrics::get().run_topic_frames.inc();
  }
  send_stream(std::move(frame));
}

bool session_state::open_run_topic(const config::route_config& route, const std::string& server_id,
                                   const std::string& id, topic_directory::lookup& run) {
  std::string missing;
  auto name = route.publish_to.render(
      {server_id, link_->params().client_id, who_.subject, route.name}, missing);
  if (!name) {
    auto why = missing.empty() ? std::string{"which is no topic name for this client"}
                               : "which needs a {" + missing + "} this client does not have";
    send_error(ec::invalid_topic,
               "route \"" + route.name + "\" publishes its streams to \"" + route.publish_to.text +
                   "\", " + why,
               id);
    return false;
  }
  run = topics_->open_for_route(*name, id);
  return static_cast<bool>(run.topic);
}

void session_state::send_stream(std::string frame) {
  if (const auto& inbox = topics_->stream_inbox())
    self_->send(inbox, inbox_frame_atom::value,
                protocol::frames::with_session(std::move(frame), id_));
  else
    send(std::move(frame));
}

}  // namespace sluice::actors
