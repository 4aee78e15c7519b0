#include "actors/cluster/cluster.hpp"

#include <algorithm>

#include "actors/base/strays.hpp"
#include "actors/cluster/metrics.hpp"
#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "actors/quota/report.hpp"
#include "core/observe/log.hpp"
#include "security/join_proof.hpp"

namespace sluice::actors {
namespace {

constexpr auto patience = std::chrono::seconds(5);  // one connect or join attempt

}  // namespace

caf::behavior cluster_state::make_behavior(config::cluster_config cfg,
                                           std::shared_ptr<cluster_view> view,
                                           std::shared_ptr<topic_directory> topics,
                                           caf::io::middleman_actor middleman,
                                           std::shared_ptr<quota_ledger> quotas) {
  cfg_ = std::move(cfg);
  quotas_ = std::move(quotas);
  view_ = std::move(view);
  committed_view_ = pending_view_ = {cfg_.name};
  topics_ = std::move(topics);
  middleman_ = std::move(middleman);
  backoff_ = {cfg_.retry_min, cfg_.retry_max, 2.0};
  for (const auto& p : cfg_.peers) {
    auto& entry = peers_[p.name];
    entry.host = p.host;
    entry.port = p.port;
    // Over TLS only the node with the smaller name dials: CAF 0.17's OpenSSL
    // transport stalls when two nodes connect to each other at once. The
    // other side is up once the dialer's join arrives (on_join).
    entry.dials = cfg_.tls.cert_file.empty() || cfg_.name < p.name;
  }
  self_->set_down_handler([this](caf::down_msg& msg) { lost(msg.source, msg.reason); });
  self_->send(self_, cluster_tick_atom::value);
  self_->send(self_, lease_tick_atom::value);
  check_lease();  // a cluster of one node holds its lease from the start
  return {
      // Peers are dialed only once the cluster port is ours: a node that cannot
      // bind it exits with no connection under way (one in flight could keep
      // CAF 0.17's middleman from shutting down).
      [this](cluster_listening_atom) {
        for (const auto& [name, peer] : peers_)
          if (peer.dials) connect(name);
      },
      [this](cluster_connect_atom, const std::string& name) { connect(name); },
      [this](cluster_join_atom, const join_request& r) { return on_join(r); },
      [this](cluster_open_atom, const std::string& topic, bool start) {
        return on_open(topic, start);
      },
      [this](cluster_pool_atom, pool_report& report) { on_pool(std::move(report)); },
      [this](quota_atom, const quota_report& report) {
        if (const auto* node = joined_sender(); node && quotas_)
          quotas_->merge(*node, report.entries);
      },
      [this](cluster_tick_atom) { on_tick(); },
      [this](lease_tick_atom) { on_lease_tick(); },
      [this](lease_ping_atom, const std::string& from, std::int64_t sent) { on_ping(from, sent); },
      [this](lease_pong_atom, lease_answer& answer) { on_pong(std::move(answer)); },
      [this](report_view_atom, std::vector<std::string>& view) { commit_view(std::move(view)); },
  };
}

void cluster_state::connect(const std::string& name) {
  auto it = peers_.find(name);
  if (it == peers_.end() || it->second.connecting || it->second.up) return;
  auto& p = it->second;
  p.connecting = true;
  cluster_metrics::get().connect_attempts.with({name}).inc();
  self_->request(middleman_, patience, caf::connect_atom::value, p.host, p.port)
      .then(
          [this, name](const caf::node_id&, caf::strong_actor_ptr& ptr,
                       const std::set<std::string>&) {
            auto remote = caf::actor_cast<caf::actor>(ptr);
            if (!remote) return failed(name, "no cluster actor at that address", false);
            join(name, std::move(remote));
          },
          [this, name](caf::error& e) { failed(name, self_->system().render(e), false); });
}

void cluster_state::join(const std::string& name, caf::actor remote) {
  auto proof = security::join_proof(cfg_.secret, cfg_.name, caf::to_string(self_->node()));
  self_
      ->request(remote, patience, cluster_join_atom::value,
                join_request{cfg_.name, proof, caf::actor_cast<caf::actor>(self_)})
      .then([this, name, remote]() { joined(name, remote); },
            [this, name](caf::error& e) {
              if (ec_of(e)) return failed(name, "refused: " + message_of(e), true);
              failed(name, self_->system().render(e), false);
            });
}

void cluster_state::joined(const std::string& name, caf::actor remote) {
  auto& p = peers_[name];
  p.connecting = false;
  if (p.up) return;  // its own join reached us first (on_join)
  p.up = true;
  p.was_up = true;
  p.attempt = 0;
  p.last_failure.clear();
  p.remote = remote;
  self_->monitor(remote);
  log::info("cluster", "node_up",
            {{"node", name}, {"address", p.host + ":" + std::to_string(p.port)}});
  if (view_->set_state(name, node_state::up, "", remote)) membership_changed();
  send_pools(remote);
  if (quotas_) self_->send(remote, quota_atom::value, quota_report{quotas_->snapshot()});
  // The lease need not wait for the next heartbeat.
  self_->send(remote, lease_ping_atom::value, cfg_.name,
              std::int64_t{node_lease::clock::now().time_since_epoch().count()});
}

void cluster_state::failed(const std::string& name, std::string why, bool refused) {
  auto& p = peers_[name];
  p.connecting = false;
  if (p.up) return;  // its join reached us meanwhile: it is up, whatever became of ours
  auto wait = std::max(backoff_.delay(p.attempt, rng_), backoff_.base / 2);
  if (p.attempt < 16) ++p.attempt;
  if (refused) cluster_metrics::get().refused_by_peer.with({name}).inc();
  if (why != p.last_failure) {  // a peer that stays away is not logged on every retry
    (refused ? log::warn : log::info)(
        "cluster", refused ? "join_refused" : "connect_failed",
        {{"node", name}, {"error", why}, {"retry_in_ms", wait.count()}});
    p.last_failure = why;
  }
  view_->set_state(name, p.was_up ? node_state::down : node_state::joining, std::move(why));
  self_->delayed_send(self_, wait, cluster_connect_atom::value, name);
}

void cluster_state::lost(const caf::actor_addr& source, const caf::error& reason) {
  for (auto& [name, p] : peers_) {
    if (!p.up || p.remote.address() != source) continue;
    std::erase_if(accepted_, [&](const auto& kv) { return kv.second == name; });
    p.up = false;
    p.remote = {};
    auto why = self_->system().render(reason);
    cluster_metrics::get().node_losses.with({name}).inc();
    log::warn("cluster", "node_down", {{"node", name}, {"reason", why}});
    if (view_->set_state(name, node_state::down, "lost: " + why)) membership_changed();
    tell_local_pools();                  // its pools are gone
    if (quotas_) quotas_->forget(name);  // and what its users run
    p.last_failure.clear();
    if (p.dials) self_->delayed_send(self_, backoff_.base, cluster_connect_atom::value, name);
    return;
  }
}

caf::result<void> cluster_state::on_join(const join_request& r) {
  const auto& name = r.node;
  const auto& proof = r.proof;
  const auto& joiner = r.cluster;
  auto from = self_->current_sender();
  if (!from) return make_error(ec::unauthorized, "anonymous");
  auto it = peers_.find(name);
  if (it == peers_.end()) {
    cluster_metrics::get().joins_refused.with({"unknown_node"}).inc();
    log::warn("cluster", "join_refused", {{"node", name}, {"reason", "unknown_node"}});
    return make_error(ec::unauthorized, "unknown_node");
  }
  if (!security::join_proof_matches(cfg_.secret, name, caf::to_string(from->node()), proof)) {
    cluster_metrics::get().joins_refused.with({"bad_secret"}).inc();
    log::warn("cluster", "join_refused", {{"node", name}, {"reason", "bad_secret"}});
    return make_error(ec::unauthorized, "bad_secret");
  }
  accepted_[from->node()] = name;
  auto& p = it->second;
  // A peer whose join we accept is up at once, whichever side dials: both
  // must see each other up together, or each could own a topic in its view.
  if (!p.up && joiner) joined(name, joiner);
  return caf::unit;
}

// The current message comes from the cluster actor of `name`, a peer that is up
// (whichever side dialed: over TLS only one does).
bool cluster_state::sent_by_peer(const std::string& name) const {
  auto it = peers_.find(name);
  auto from = self_->current_sender();
  return it != peers_.end() && it->second.up && from && it->second.remote &&
         it->second.remote.node() == from->node();
}

// The configured name of the node that sent the current message: one whose
// join this node accepted, or a peer that is up (its join reached us, or ours
// reached it: either proves the secret).
const std::string* cluster_state::joined_sender() const {
  auto from = self_->current_sender();
  if (!from) return nullptr;
  if (auto it = accepted_.find(from->node()); it != accepted_.end()) return &it->second;
  for (const auto& [name, p] : peers_)
    if (p.up && p.remote && p.remote.node() == from->node()) return &name;
  return nullptr;
}

caf::result<caf::actor> cluster_state::on_open(const std::string& topic, bool start) {
  if (joined_sender() == nullptr) return make_error(ec::unauthorized, "not joined");
  auto found = start ? topics_->open(topic) : topics_->find(topic);
  if (!found.topic) return make_error(found.error, found.message);
  return found.topic;
}

void cluster_state::on_pool(pool_report report) {
  const auto* node = joined_sender();
  if (node == nullptr) return;
  view_->set_pool(*node, report.upstream,
                  {std::move(report.pool), report.free, report.capacity, std::move(report.routes)});
  tell_local_pools(report.upstream);
}

void cluster_state::tell_local_pools(const std::string& upstream) {
  for (const auto& [name, p] : view_->local_pools())
    if (upstream.empty() || name == upstream) self_->send(p.pool, remote_pools_atom::value);
}

// Pools and quotas report every change here; peers hear of it at most once a tick.
void cluster_state::on_tick() {
  self_->delayed_send(self_, std::min(cfg_.heartbeat_interval, std::chrono::milliseconds(250)),
                      cluster_tick_atom::value);
  send_quotas();
  auto version = view_->local_version();
  if (version == pools_sent_) return;
  pools_sent_ = version;
  for (const auto& [name, p] : peers_)
    if (p.up) send_pools(p.remote);
}

// Every heartbeat: ping each peer that is up with this node's send time; a
// majority answering keeps this node's lease (node_lease.hpp).
void cluster_state::on_lease_tick() {
  self_->delayed_send(self_, cfg_.heartbeat_interval, lease_tick_atom::value);
  auto now = node_lease::clock::now().time_since_epoch().count();
  for (const auto& [name, p] : peers_)
    if (p.up) self_->send(p.remote, lease_ping_atom::value, cfg_.name, std::int64_t{now});
  check_lease();
}

// Answering grants the peer a lease from its send time: this node will not
// take the peer's topics over before that lease has surely run out.
void cluster_state::on_ping(const std::string& from, std::int64_t sent) {
  if (!sent_by_peer(from)) return;
  view_->lease_granted(from);
  self_->send(peers_[from].remote, lease_pong_atom::value,
              lease_answer{cfg_.name, sent, view_->reported()});
}

void cluster_state::on_pong(lease_answer answer) {
  if (!sent_by_peer(answer.from)) return;
  view_->lease_confirmed(answer.from, node_lease::time_point{node_lease::duration{answer.sent}},
                         std::move(answer.reported));
  check_lease();
}

// The topics learn when this node gains or loses its lease, as when
// membership changes: they look for their owners again.
void cluster_state::check_lease() {
  bool valid = view_->lease_valid();
  cluster_metrics::get().lease_valid.set(valid ? 1 : 0);
  if (valid == lease_valid_) return;
  lease_valid_ = valid;
  log::info("cluster", valid ? "lease_held" : "lease_lost", {{"node", cfg_.name}});
  tell_topics();
}

void cluster_state::send_quotas() {
  if (!quotas_) return;
  auto changes = quotas_->take_changes();
  if (changes.empty()) return;
  quota_report report{std::move(changes)};
  for (const auto& [name, p] : peers_)
    if (p.up) self_->send(p.remote, quota_atom::value, report);
}

void cluster_state::send_pools(const caf::actor& to) {
  for (const auto& [upstream, p] : view_->local_pools())
    self_->send(to, cluster_pool_atom::value,
                pool_report{upstream, p.pool, p.free, p.capacity, p.routes});
}

// The topics learn of it at once (to follow the owner their view names). The
// peers are told with the answers: both the committed view and the new one
// at first, then, lease + margin later, when every answer given with only
// the old view has run out, the new one alone (node_lease.hpp).
void cluster_state::membership_changed() {
  tell_topics();
  auto up = view_->up_nodes();
  std::sort(up.begin(), up.end());
  pending_view_ = up;
  view_->set_reported(up == committed_view_ ? node_lease::views{committed_view_}
                                            : node_lease::views{committed_view_, up});
  self_->delayed_send(self_, cfg_.lease + cfg_.heartbeat_interval, report_view_atom::value,
                      std::move(up));
}

// Commits `view` if it is still the newest (a later change commits later).
void cluster_state::commit_view(std::vector<std::string> view) {
  if (view != pending_view_) return;
  committed_view_ = std::move(view);
  view_->set_reported({committed_view_});
  tell_topics();  // owners may change now
}

void cluster_state::tell_topics() {
  self_->send(view_->changes(), membership_atom::value);
}

caf::behavior cluster(caf::stateful_actor<cluster_state>* self, config::cluster_config cfg,
                      std::shared_ptr<cluster_view> view, std::shared_ptr<topic_directory> topics,
                      caf::io::middleman_actor middleman, std::shared_ptr<quota_ledger> quotas) {
  ignore_strays(self, cluster_state::name);
  return self->state.make_behavior(std::move(cfg), std::move(view), std::move(topics),
                                   std::move(middleman), std::move(quotas));
}

}  // namespace sluice::actors
