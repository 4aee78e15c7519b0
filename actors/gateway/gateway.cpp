#include "actors/gateway/gateway.hpp"

#include <caf/all.hpp>

#include "actors/base/actor_metrics.hpp"
#include "actors/cluster/cluster.hpp"
#include "actors/gateway/gateway_context.hpp"
#include "actors/gateway/topic_api.hpp"
#include "actors/messages.hpp"
#include "actors/services/api.hpp"
#include "actors/services/watches.hpp"
#include "actors/session/session.hpp"
#include "actors/workers/worker.hpp"

namespace sluice::actors {
namespace {

// Runs on the connection's executor; only sends into the session's mailbox.
class session_sink : public transport::inbound_sink {
 public:
  explicit session_sink(caf::actor session) : session_(std::move(session)) {}

  void on_message(protocol::client_frame frame) override {
    caf::anon_send(session_, std::move(frame));
  }
  void on_message(protocol::worker_frame frame) override {
    caf::anon_send(session_, std::move(frame));
  }
  void on_messages(std::vector<protocol::client_frame> frames) override {
    caf::anon_send(session_, client_frame_batch{std::move(frames)});
  }
  void on_writable() override { caf::anon_send(session_, writable_atom::value); }
  void on_closed(transport::close_info info) override {
    caf::anon_send(session_, closed_atom::value, std::move(info));
  }

 private:
  caf::actor session_;
};

}  // namespace

class gateway::workers_handler : public transport::connection_handler {
 public:
  workers_handler(caf::actor_system& system, std::shared_ptr<const gateway_context> ctx)
      : system_(system), ctx_(std::move(ctx)) {}

  std::unique_ptr<transport::inbound_sink> open(
      std::shared_ptr<transport::client_link> link) override {
    return std::make_unique<session_sink>(system_.spawn(worker, std::move(link), ctx_));
  }

 private:
  caf::actor_system& system_;
  std::shared_ptr<const gateway_context> ctx_;
};

namespace {

// Null when no route has a quota. `clustered`: nodes exchange its counts.
std::shared_ptr<quota_ledger> make_quota_ledger(const config::config& cfg, bool clustered) {
  std::vector<std::pair<std::string, config::quota_config>> metered;
  for (const auto& route : cfg.routes)
    if (route.quota.enabled()) metered.emplace_back(route.name, route.quota);
  if (metered.empty()) return nullptr;
  auto node = cfg.cluster.enabled() ? cfg.cluster.name : cfg.server.node_name;
  return std::make_shared<quota_ledger>(std::move(metered), std::move(node), clustered);
}

}  // namespace

// The topic directory comes first: jobs publish through it (process upstreams' publish lines).
std::shared_ptr<const gateway_context> gateway::make_context(
    caf::actor_system& system, const config::config& cfg, upstream_runtime runtime,
    std::shared_ptr<cluster_view> cluster, std::shared_ptr<const security::authenticator> auth) {
  auto topics = std::make_shared<topic_directory>(system, cfg.topics, cfg.limits.topic_mailbox);
  runtime.topics = topics.get();
  bool clustered = cluster != nullptr;
  auto services = cfg.services.services.empty()
                      ? nullptr
                      : std::make_shared<const service_directory>(system, cfg.services,
                                                                  runtime.processes, topics);
  return std::make_shared<const gateway_context>(gateway_context{
      cfg.server.node_name, cfg.limits, router{system, cfg, runtime, std::move(cluster)},
      system.groups().anonymous(), std::move(topics), std::move(auth), cfg.server.frame_timestamps,
      make_quota_ledger(cfg, clustered), std::move(services)});
}

gateway::gateway(caf::actor_system& system, const config::config& cfg, upstream_runtime runtime,
                 std::shared_ptr<const security::authenticator> auth)
    : system_(system),
      cluster_cfg_(cfg.cluster),
      engine_cfg_(cfg.engine),
      watches_(cfg.services.watches),
      cluster_(cfg.cluster.enabled()
                   ? std::make_shared<cluster_view>(cfg.cluster, system.groups().anonymous())
                   : nullptr),
      ctx_(make_context(system, cfg, runtime, cluster_, std::move(auth))) {
  actor_metrics::get();  // registers the metrics so /metrics lists them from the start
  mailbox_gauge::declare(mailbox_kind::session, cfg.limits.mailbox);
  mailbox_gauge::declare(mailbox_kind::job, job_credit_window);
  mailbox_gauge::declare(mailbox_kind::topic, cfg.limits.topic_mailbox);
  mailbox_gauge::declare(mailbox_kind::upstream, cfg.limits.upstream_queue);
  if (ctx_->routes.has_workers()) workers_ = std::make_unique<workers_handler>(system, ctx_);
  ctx_->topics->set_cluster(cluster_);
  api_ = std::make_unique<topic_api>(
      system, ctx_->topics, cluster_, ctx_->quotas,
      ctx_->services ? std::make_shared<service_api>(system, ctx_->services) : nullptr);
}

caf::actor gateway::start_cluster(caf::io::middleman_actor middleman) {
  if (!cluster_) return {};
  cluster_actor_ = system_.spawn(cluster, cluster_cfg_, cluster_, ctx_->topics,
                                 std::move(middleman), ctx_->quotas);
  return cluster_actor_;
}

topic_directory& gateway::topics() const {
  return *ctx_->topics;
}

transport::api_handler& gateway::api() {
  return *api_;
}

gateway::~gateway() = default;

transport::connection_handler* gateway::workers() {
  return workers_.get();
}

std::unique_ptr<transport::inbound_sink> gateway::open(
    std::shared_ptr<transport::client_link> link) {
  auto actor = system_.spawn(session, std::move(link), ctx_);
  return std::make_unique<session_sink>(std::move(actor));
}

void gateway::drain(std::chrono::milliseconds deadline) {
  caf::anon_send(ctx_->drain_group, drain_atom::value, std::int64_t{deadline.count()});
}

void gateway::stop() {
  caf::anon_send(ctx_->drain_group, closed_atom::value, transport::close_info{0, "server stopped"});
  ctx_->routes.stop();
  ctx_->topics->stop();
  if (cluster_actor_) caf::anon_send_exit(cluster_actor_, caf::exit_reason::user_shutdown);
}

bool gateway::start_engine(std::string& error) {
  if (!engine_cfg_.nats()) return true;
  auto engine = transport::jetstream::start(engine_cfg_);
  if (!engine) {
    error = "the engine's connection options could not be used (see the log)";
    return false;
  }
  ctx_->topics->set_engine(std::move(engine));
  return true;
}

bool gateway::start(std::string& error) {
  if (!ctx_->topics->start(error)) return false;
  if (ctx_->services) ctx_->services->start_on_boot();
  return true;
}

void gateway::start_watches(transport::file_watcher& watcher) {
  actors::start_watches(watcher, watches_, ctx_->topics);
}

void gateway::stop_services(std::chrono::milliseconds within) {
  if (ctx_->services) ctx_->services->stop_all(within);
}

}  // namespace sluice::actors
