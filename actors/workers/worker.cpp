#include "actors/workers/worker.hpp"

#include "actors/base/actor_metrics.hpp"
#include "actors/base/strays.hpp"
#include "actors/job/flow_control.hpp"
#include "actors/messages.hpp"
#include "actors/topic/backend_publish.hpp"
#include "core/json.hpp"
#include "core/observe/log.hpp"
#include "core/overloaded.hpp"
#include "core/secure_random.hpp"
#include "protocol/topic_frames.hpp"
#include "protocol/worker_frames.hpp"
#include "security/authenticator.hpp"

namespace sluice::actors {
namespace {

using transport::close_code;

// Compares tokens in time independent of where they differ.
bool same_token(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

}  // namespace

worker_state::worker_state(caf::event_based_actor* self)
    : self_(self), id_(random_id("w-")), last_seen_(std::chrono::steady_clock::now()) {}

worker_state::~worker_state() = default;

caf::behavior worker_state::make_behavior(std::shared_ptr<transport::client_link> link,
                                          std::shared_ptr<const gateway_context> ctx) {
  link_ = std::move(link);
  ctx_ = std::move(ctx);
  self_->join(ctx_->drain_group);
  self_->set_down_handler([this](caf::down_msg& msg) { on_job_down(msg); });
  log::info("worker", "connected", {{"worker", id_}, {"remote", link_->remote_address()}});
  return {
      [this](protocol::worker_frame& frame) {
        if (closing_) return;  // read before the close; the worker is gone for us
        last_seen_ = std::chrono::steady_clock::now();
        on_frame(frame);
        link_->consumed();
      },
      [this](dispatch_atom, caf::actor& job, const std::string& route, const std::string& payload,
             const std::string& client) { on_dispatch(std::move(job), route, payload, client); },
      [this](credit_atom, const std::string& job, std::uint32_t n) {
        if (jobs_.contains(job)) send(protocol::worker_frames::credit(job, n));
      },
      [this](heartbeat_atom) { on_heartbeat_check(); },
      [this](closed_atom, const transport::close_info& info) { on_closed(info.reason); },
      [](writable_atom) {},             // worker frames are not flow controlled yet
      [](drain_atom, std::int64_t) {},  // workers keep serving until the server stops
  };
}

void worker_state::on_frame(protocol::worker_frame& frame) {
  std::visit(overloaded{
                 [this](protocol::worker_register& f) { on_register(f); },
                 [this](protocol::job_update& f) { on_update(f); },
                 [this](protocol::worker_publish& f) { on_publish(f); },
                 [](protocol::heartbeat&) {},  // being read was the point
                 [this](protocol::invalid& f) { send_error(f.code, f.message, f.id); },
             },
             frame);
}

void worker_state::on_register(protocol::worker_register& msg) {
  if (upstream_ != nullptr)
    return send_error(ec::invalid_frame, "this worker is already registered");
  const upstream_binding* up = nullptr;
  for (const auto& route : msg.routes) {
    const auto* b = ctx_->routes.workers_upstream(route);
    if (b == nullptr)
      return refuse(
          ec::unauthorized,
          "route \"" + route + "\" is not served by workers (see `routes:` in the config)");
    if (up != nullptr && b != up)
      return refuse(ec::unauthorized, "the routes belong to different workers upstreams");
    up = b;
  }
  const auto& w = up->config->workers;
  bool admitted = w.token_sha256.empty()
                      ? same_token(msg.token, w.token)
                      : same_token(security::sha256_hex(msg.token), w.token_sha256);
  if (!admitted) return refuse(ec::unauthorized, "wrong or missing token");
  upstream_ = up;
  auto capacity = std::min(msg.capacity, w.max_concurrency);
  auto interval = w.heartbeat_timeout / 3;
  send(protocol::worker_frames::registered(id_, msg.routes, capacity, interval));
  self_->send(upstream_->supervisor, worker_up_atom::value, msg.routes, capacity);
  self_->delayed_send(self_, interval, heartbeat_atom::value);
  log::info("worker", "registered",
            {{"worker", id_},
             {"name", msg.name},
             {"upstream", upstream_->config->name},
             {"capacity", capacity}});
}

void worker_state::on_update(protocol::job_update& msg) {
  if (upstream_ == nullptr)
    return send_error(ec::not_registered, "register before sending job frames", msg.job);
  auto it = jobs_.find(msg.job);
  if (it == jobs_.end())
    return send_error(ec::unknown_job, "this worker holds no job with this id", msg.job);
  bool terminal = msg.kind == "final" || msg.kind == "error";
  self_->send(it->second, worker_update_atom::value, std::move(msg));
  if (!terminal) return;
  self_->demonitor(it->second);
  jobs_.erase(it);
  self_->send(upstream_->supervisor, job_done_atom::value);
}

void worker_state::on_publish(protocol::worker_publish& msg) {
  if (upstream_ == nullptr)
    return send_error(ec::not_registered, "register before sending job frames", msg.job);
  if (!jobs_.contains(msg.job))
    return send_error(ec::unknown_job, "this worker holds no job with this id", msg.job);
  backend_publish{*upstream_->config, msg.topic, std::move(msg.data)}.send(
      self_, *ctx_->topics,
      [this, id = msg.id, job = msg.job, topic = msg.topic](const backend_publish::outcome& o) {
        if (!o.ok) return send_error(o.code, o.message, job);
        if (!id.empty()) send(protocol::frames::published(id, topic, o.offset, o.epoch));
      });
}

void worker_state::on_dispatch(caf::actor job, const std::string& route, const std::string& payload,
                               const std::string& client) {
  if (closing_)  // raced with the disconnect: the job looks elsewhere
    return self_->send(job, worker_lost_atom::value, std::string{"the worker disconnected"});
  std::string job_id = json::quoted(random_id("j-"));
  self_->monitor(job);  // a job that ends early (cancel, deadline, gone) is cancelled here
  self_->send(job, assigned_atom::value, job_id);
  jobs_.emplace(job_id, std::move(job));
  send(protocol::worker_frames::job(job_id, route, payload, job_credit_window, client));
}

void worker_state::on_job_down(const caf::down_msg& msg) {
  for (auto it = jobs_.begin(); it != jobs_.end(); ++it) {
    if (it->second.address() != msg.source) continue;
    send(protocol::worker_frames::cancel(it->first));
    jobs_.erase(it);
    self_->send(upstream_->supervisor, job_done_atom::value);
    return;
  }
}

void worker_state::on_heartbeat_check() {
  if (closing_) return;
  const auto timeout = upstream_->config->workers.heartbeat_timeout;
  if (std::chrono::steady_clock::now() - last_seen_ > timeout) {
    log::warn("worker", "heartbeat_missed", {{"worker", id_}, {"jobs", jobs_.size()}});
    link_->close(close_code::policy_violation, "heartbeat timeout");
    return on_closed("missed its heartbeat");  // do not wait for the close handshake
  }
  self_->delayed_send(self_, timeout / 3, heartbeat_atom::value);
}

void worker_state::on_closed(const std::string& why) {
  link_.reset();  // the link reports closed once more after a close we started
  if (closing_) return;
  closing_ = true;
  log::info("worker", "disconnected", {{"worker", id_}, {"reason", why}});
  if (upstream_ == nullptr) return self_->quit();
  if (!jobs_.empty()) actor_metrics::get().workers_lost.with({upstream_->config->name}).inc();
  for (auto& [id, job] : jobs_) {
    self_->demonitor(job);
    self_->send(job, worker_lost_atom::value, "the worker went away (" + why + ")");
  }
  jobs_.clear();
  // The pool forgets this worker (its load with it). Jobs it dispatched here
  // before it learnt of that arrive before its answer, and go elsewhere.
  auto done = [this] { self_->quit(); };
  self_->request(upstream_->supervisor, caf::infinite, worker_down_atom::value)
      .then(done, [done](const caf::error&) { done(); });
}

void worker_state::refuse(ec code, std::string message) {
  log::warn("worker", "refused", {{"worker", id_}, {"reason", message}});
  send_error(code, message);
  link_->close(close_code::policy_violation, std::move(message));
}

void worker_state::send_error(ec code, std::string_view message, std::string_view job) {
  send(protocol::worker_frames::error(code, message, job));
}

void worker_state::send(std::string frame) {
  if (link_) link_->send(std::make_shared<const std::string>(std::move(frame)));
}

caf::behavior worker(caf::stateful_actor<worker_state>* self,
                     std::shared_ptr<transport::client_link> link,
                     std::shared_ptr<const gateway_context> ctx) {
  ignore_strays(self, worker_state::name);
  return self->state.make_behavior(std::move(link), std::move(ctx));
}

}  // namespace sluice::actors
