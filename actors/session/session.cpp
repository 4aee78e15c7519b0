#include "actors/session/session.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "actors/base/actor_metrics.hpp"
#include "actors/base/strays.hpp"
#include "actors/errors.hpp"
#include "actors/job/flow_control.hpp"
#include "actors/services/statuses.hpp"
#include "core/clock.hpp"
#include "core/observe/log.hpp"
#include "core/overloaded.hpp"
#include "core/secure_random.hpp"
#include "protocol/server_frames.hpp"
#include "security/access.hpp"
#include "security/client_ids.hpp"

namespace sluice::actors {
namespace {

using transport::close_code;

}  // namespace

session_state::session_state(caf::event_based_actor* self) : self_(self), id_(random_id("s-")) {
  actor_metrics::get().sessions_active.inc();
}

session_state::~session_state() {
  actor_metrics::get().sessions_active.dec();
}

caf::behavior session_state::make_behavior(std::shared_ptr<transport::client_link> link,
                                           std::shared_ptr<const gateway_context> ctx) {
  link_ = std::move(link);
  ctx_ = std::move(ctx);
  self_->join(ctx_->drain_group);
  self_->set_down_handler([this](caf::down_msg& msg) { on_job_down(msg); });
  log::debug("session", "opened", {{"session", id_}, {"remote", link_->remote_address()}});
  who_ = link_->who();
  bool user_channels = ctx_->auth && ctx_->auth->config().user_channels;
  topics_.emplace(self_, link_, *ctx_->topics, id_, who_, user_channels,
                  ctx_->limits.outbound_messages / 2);
  if (ec refusal{}; !topics_->open_inbox(refusal)) {
    refuse(refusal);
    return closing_behavior();
  }
  if (!topics_->needs_claim()) {
    begin({});
    return running_behavior();
  }
  // Nothing the client sent is handled before its client id is its own.
  self_->set_default_handler(caf::skip);
  topics_->claim([this](claim_verdict verdict, std::string credential) {
    if (closing_) return;
    if (verdict == claim_verdict::refused) return refuse(ec::forbidden);
    if (verdict == claim_verdict::unavailable) return refuse(topics_->claim_unavailable());
    drop_strays(self_, name);
    self_->become(running_behavior());
    begin(credential);
  });
  return closing_behavior();
}

caf::behavior session_state::running_behavior() {
  return {
      [this](protocol::client_frame& frame) { on_client_frame(frame, nullptr); },
      [this](client_frame_batch& batch) { on_client_frames(batch.frames); },
      [this](job_event& ev) { on_job_event(ev); },
      [this](writable_atom) { on_writable(); },
      [this](closed_atom, const transport::close_info& info) { on_closed(info); },
      [this](drain_atom, std::int64_t deadline_ms) { on_drain(deadline_ms); },
      [this](drain_end_atom) { on_drain_end(); },
      [this](token_check_atom, std::uint64_t round) { on_token_check(round); },
      [this](publish_retry_atom) { topics_->retry_waiting(); },
  };
}

// Until the session runs (or after it was refused): only the end matters.
caf::behavior session_state::closing_behavior() {
  return {
      [this](closed_atom, const transport::close_info&) { quit(); },
  };
}

void session_state::begin(std::string_view resume) {
  send(protocol::frames::welcome({.session = id_,
                                  .node = ctx_->node_name,
                                  .routes = ctx_->routes.names(),
                                  .default_route = ctx_->routes.default_route(),
                                  .inbox = topics_->inbox_name(),
                                  .user = who_.subject,
                                  .user_channel = topics_->user_channel(),
                                  .resume = resume}));
  topics_->start();
  watch_expiry();
}

// The connection may not have the session it asked for: its client id is
// another client's, or a limit is reached. It gets the error, then a close.
void session_state::refuse(ec code) {
  closing_ = true;
  if (code == ec::forbidden)
    send_error(code,
               "client_id \"" + link_->params().client_id +
                   "\" is in use: connect with the `resume` credential it was given, or choose "
                   "another client_id",
               {});
  else if (code == ec::owner_unavailable || code == ec::engine_unavailable)
    send_error(code, "the client id's inbox cannot be reached now; try again", {});
  log::info("session", "refused", {{"session", id_}, {"code", to_string(code)}});
  auto close =
      code == ec::owner_unavailable || code == ec::engine_unavailable || code == ec::shutting_down
          ? close_code::try_again_later
          : close_code::policy_violation;
  link_->close(close, std::string{to_string(code)});
}

void session_state::on_client_frames(std::vector<protocol::client_frame>& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i)
    on_client_frame(frames[i], i + 1 < frames.size() ? &frames[i + 1] : nullptr);
  topics_->end_batch();
}

// `next`: the frame that follows in the same batch, if any. Publishes to one
// topic in a row reach it as one batch, which it delivers with one hand-off.
void session_state::on_client_frame(protocol::client_frame& frame,
                                    const protocol::client_frame* next) {
  using namespace protocol;
  auto more_to = [next](const publish& f) {
    const auto* p = next ? std::get_if<publish>(next) : nullptr;
    return p != nullptr && p->topic == f.topic;
  };
  bool consumed = std::visit(overloaded{
                                 [this](request& f) { return on_request(f), true; },
                                 [this](cancel& f) { return on_cancel(f), true; },
                                 [this](ping& f) { return send(frames::pong(f.id)), true; },
                                 [this](subscribe& f) { return topics_->subscribe(f), true; },
                                 [this](unsubscribe& f) { return topics_->unsubscribe(f), true; },
                                 // false: it waits for the topic, and is consumed once sent.
                                 [&](publish& f) { return topics_->publish(f, more_to(f)); },
                                 [this](refresh& f) { return on_refresh(f), true; },
                                 [this](ack& f) { return topics_->ack(f), true; },
                                 [this](service_command& f) { return on_service(f), true; },
                                 [this](invalid& f) { return on_invalid(f), true; },
                             },
                             frame);
  if (consumed) link_->consumed();  // credit back to the connection (limits.mailbox)
}

// service_start|stop|restart|status, for clients that services.allow admits;
// answered with the service's status once its actor answered (service_list:
// with every status and the watched files).
void session_state::on_service(const protocol::service_command& msg) {
  if (!ctx_->services)
    return send_error(ec::unknown_service, "this server runs no services", msg.id);
  if (!security::allows(ctx_->services->allow(), who_))
    return send_error(ec::forbidden, "this client may not control services (services.allow)",
                      msg.id);
  if (msg.action == "list") {
    auto services = ctx_->services;  // kept alive while the answers come
    return gather_statuses(self_, *services, [this, services, id = msg.id](std::string statuses) {
      send(protocol::frames::services(id, statuses, services->watches_json()));
    });
  }
  auto target = ctx_->services->find(msg.name);
  if (!target)
    return send_error(ec::unknown_service, "no service named \"" + msg.name + "\"", msg.id);
  auto answer = [this, id = msg.id](caf::expected<std::string> status) {
    if (status) return send(protocol::frames::service(id, *status));
    auto code = ec_of(status.error()).value_or(ec::internal);
    send_error(code, message_of(status.error()), id);
  };
  auto ask = [&](auto atom) {
    self_->request(target, service_patience, atom)
        .then([answer](std::string& s) { answer(std::move(s)); },
              [answer](caf::error& e) { answer(std::move(e)); });
  };
  if (msg.action == "start") return ask(service_start_atom::value);
  if (msg.action == "stop") return ask(service_stop_atom::value);
  if (msg.action == "restart") return ask(service_restart_atom::value);
  ask(service_status_atom::value);
}

void session_state::on_invalid(const protocol::invalid& frame) {
  if (frame.code != ec::rate_limited) return send_error(frame.code, frame.message, frame.id);
  actor_metrics::get().count_error(frame.code);
  send(protocol::frames::rate_limited(frame.message, frame.id, frame.retry_after_ms));
}

// A new token for the same identity moves the session's end; a token that
// does not verify is refused and the session goes on until the old one expires.
void session_state::on_refresh(const protocol::refresh& msg) {
  if (!ctx_->auth)
    return send_error(ec::invalid_frame, "this server does not authenticate clients", msg.id);
  auto verdict = ctx_->auth->authenticate(msg.token, security::unix_now());
  if (!verdict.who) return send_error(verdict.code, verdict.message, msg.id);
  // Without a principal two tokens cannot be told apart as one identity: such
  // a session could refresh into a token with other roles.
  auto mine = security::principal_of(who_);
  if (!mine)
    return send_error(ec::forbidden,
                      "a session whose token has no `sub` cannot refresh; reconnect with the new "
                      "token",
                      msg.id);
  if (security::principal_of(*verdict.who) != mine || verdict.who->key_name != who_.key_name)
    return send_error(ec::forbidden, "a refresh token must be for the same identity", msg.id);
  who_ = std::move(*verdict.who);
  log::debug("session", "refreshed", {{"session", id_}, {"expires_at", who_.expires_at}});
  send(protocol::frames::refreshed(msg.id, who_.expires_at));
  watch_expiry();
}

// Checks once the token's exp (plus the allowed clock skew) has passed, or
// after a day at most (then again). A refresh starts a new round of checks;
// those of an older round do nothing.
void session_state::watch_expiry() {
  auto left = token_seconds_left();
  if (!left) return;
  constexpr std::int64_t longest_wait = 24 * 3600;
  self_->delayed_send(self_,
                      std::chrono::seconds{std::clamp<std::int64_t>(*left, 0, longest_wait) + 1},
                      token_check_atom::value, ++expiry_round_);
}

void session_state::on_token_check(std::uint64_t round) {
  if (round != expiry_round_ || closing_ || detached_) return;
  auto left = token_seconds_left();
  if (!left) return;
  if (*left > 0) return watch_expiry();
  log::info("session", "token_expired", {{"session", id_}});
  send_error(ec::token_expired, "the token expired; reconnect with a new one", {});
  closing_ = true;
  link_->close(close_code::policy_violation, "token_expired");
}

// Saturating: a token's exp may be as large as it says.
std::optional<std::int64_t> session_state::token_seconds_left() const {
  if (who_.expires_at <= 0 || !ctx_->auth) return std::nullopt;
  auto skew = std::chrono::duration_cast<std::chrono::seconds>(ctx_->auth->config().clock_skew);
  std::int64_t left = 0;
  if (__builtin_sub_overflow(who_.expires_at, security::unix_now(), &left) ||
      __builtin_add_overflow(left, skew.count(), &left))
    return std::numeric_limits<std::int64_t>::max();
  return left;
}

void session_state::on_writable() {
  if (detached_) return;
  topics_->on_writable();
  awaiting_writable_ = false;
  for (auto& [id, job] : jobs_) return_credit(job);
}

void session_state::on_closed(const transport::close_info& info) {
  log::debug("session", "closed",
             {{"session", id_},
              {"code", info.code},
              {"reason", info.reason},
              {"jobs_cancelled", jobs_.size()}});
  closing_ = true;
  if (topics_->stream_inbox() && !jobs_.empty() && !draining_ && !detached_) {
    detached_ = true;  // see close_when_idle: ends with the last request
    return;
  }
  while (!jobs_.empty())
    abort_request(jobs_.begin(), ec::cancelled, {}, request_outcome::client_gone);
  quit();
}

void session_state::quit() {
  topics_.reset();
  link_.reset();
  self_->quit();
}

void session_state::on_drain(std::int64_t deadline_ms) {
  draining_ = true;
  if (!jobs_.empty())
    self_->delayed_send(self_, std::chrono::milliseconds{deadline_ms}, drain_end_atom::value);
  close_when_idle();
}

void session_state::on_drain_end() {
  while (!jobs_.empty())
    abort_request(jobs_.begin(), ec::shutting_down,
                  "the server is shutting down and the request did not finish in time",
                  request_outcome::shutting_down);
  close_when_idle();
}

void session_state::send_error(ec code, std::string_view message, std::string_view id) {
  actor_metrics::get().count_error(code);
  send(protocol::frames::error(code, message, id));
}

void session_state::send(std::string frame) {
  link_->send(std::make_shared<const std::string>(std::move(frame)));
}

void session_state::close_when_idle() {
  if (detached_ && jobs_.empty()) return quit();
  if (!draining_ || closing_ || !jobs_.empty()) return;
  closing_ = true;  // the transport answers with closed_atom, which ends this actor
  link_->close(close_code::going_away, "server shutting down");
}

caf::behavior session(caf::stateful_actor<session_state>* self,
                      std::shared_ptr<transport::client_link> link,
                      std::shared_ptr<const gateway_context> ctx) {
  ignore_strays(self, session_state::name);
  return self->state.make_behavior(std::move(link), std::move(ctx));
}

}  // namespace sluice::actors
