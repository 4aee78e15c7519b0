#include "actors/cluster/view.hpp"

#include <algorithm>
#include <chrono>

#include "actors/cluster/metrics.hpp"
#include "core/clock.hpp"
#include "core/json.hpp"
#include "core/observe/readiness.hpp"
#include "core/rendezvous.hpp"

namespace sluice::actors {
std::string_view to_string(node_state s) {
  switch (s) {
    case node_state::joining:
      return "joining";
    case node_state::up:
      return "up";
    case node_state::down:
      return "down";
  }
  return "?";
}

cluster_view::cluster_view(const config::cluster_config& cfg, caf::group changes)
    : self_(cfg.name),
      self_address_(cfg.host + ":" + std::to_string(cfg.port)),
      changes_(std::move(changes)),
      lease_(cfg.peers.size() + 1, cfg.lease, cfg.heartbeat_interval) {
  lease_.set_reported({{self_}});  // alone, until peers are up for a while
  auto now = unix_ms();
  for (const auto& p : cfg.peers) {
    auto& n = peers_[p.name];
    n.host = p.host;
    n.port = p.port;
    n.since_ms = now;
  }
  std::lock_guard lock{mutex_};
  publish_locked();
}

bool cluster_view::set_state(const std::string& name, node_state state, std::string reason,
                             caf::actor cluster) {
  std::lock_guard lock{mutex_};
  auto it = peers_.find(name);
  if (it == peers_.end()) return false;
  auto& n = it->second;
  bool was_up = n.state == node_state::up;
  if (n.state != state) n.since_ms = unix_ms();
  n.state = state;
  n.reason = std::move(reason);
  n.cluster = state == node_state::up ? std::move(cluster) : caf::actor{};
  if (state != node_state::up) n.pools.clear();
  publish_locked();
  return was_up != (state == node_state::up);
}

node_state cluster_view::state_of(const std::string& name) const {
  std::lock_guard lock{mutex_};
  auto it = peers_.find(name);
  return it == peers_.end() ? node_state::down : it->second.state;
}

std::vector<std::string> cluster_view::up_nodes() const {
  std::lock_guard lock{mutex_};
  std::vector<std::string> out{self_};
  for (const auto& [name, n] : peers_)
    if (n.state == node_state::up) out.push_back(name);
  return out;
}

caf::actor cluster_view::cluster_of(const std::string& name) const {
  std::lock_guard lock{mutex_};
  auto it = peers_.find(name);
  return it == peers_.end() ? caf::actor{} : it->second.cluster;
}

std::string cluster_view::owner_of(std::string_view topic, std::string_view excluded) const {
  auto nodes = up_nodes();
  std::erase(nodes, std::string{excluded});
  return rendezvous_owner(nodes, topic);
}

bool cluster_view::remote_pool::serves(const std::string& route) const {
  return std::find(routes.begin(), routes.end(), route) != routes.end();
}

void cluster_view::set_pool(const std::string& node, const std::string& upstream,
                            remote_pool pool) {
  std::lock_guard lock{mutex_};
  auto it = peers_.find(node);
  if (it == peers_.end() || it->second.state != node_state::up) return;
  it->second.pools[upstream] = std::move(pool);
}

caf::actor cluster_view::pick_pool(const std::string& upstream, const std::string& route,
                                   bool with_room) const {
  std::lock_guard lock{mutex_};
  const remote_pool* best = nullptr;
  for (const auto& [name, n] : peers_) {
    auto it = n.pools.find(upstream);
    if (n.state != node_state::up || it == n.pools.end() || !it->second.serves(route)) continue;
    const auto& p = it->second;
    if (with_room && p.free == 0) continue;
    if (best == nullptr || p.free > best->free) best = &p;
  }
  return best != nullptr ? best->pool : caf::actor{};
}

void cluster_view::set_local_pool(const std::string& upstream, remote_pool pool) {
  std::lock_guard lock{mutex_};
  auto& mine = local_pools_[upstream];
  if (mine.pool == pool.pool && mine.free == pool.free && mine.capacity == pool.capacity &&
      mine.routes == pool.routes)
    return;
  mine = std::move(pool);
  ++local_version_;
}

std::map<std::string, cluster_view::remote_pool> cluster_view::local_pools() const {
  std::lock_guard lock{mutex_};
  return local_pools_;
}

std::uint64_t cluster_view::local_version() const {
  std::lock_guard lock{mutex_};
  return local_version_;
}

bool cluster_view::remote_capacity(const std::string& upstream) const {
  std::lock_guard lock{mutex_};
  for (const auto& [name, n] : peers_) {
    auto it = n.pools.find(upstream);
    if (n.state == node_state::up && it != n.pools.end() && it->second.capacity > 0) return true;
  }
  return false;
}

void cluster_view::lease_confirmed(const std::string& peer, node_lease::time_point sent,
                                   node_lease::views reported) {
  auto now = node_lease::clock::now();
  std::lock_guard lock{mutex_};
  lease_.confirmed(peer, sent, now, std::move(reported));
}

void cluster_view::set_reported(node_lease::views reported) {
  std::lock_guard lock{mutex_};
  lease_.set_reported(std::move(reported));
}

node_lease::views cluster_view::reported() const {
  std::lock_guard lock{mutex_};
  return lease_.reported();
}

bool cluster_view::settled() const {
  auto now = node_lease::clock::now();
  std::lock_guard lock{mutex_};
  return settled_locked(now);
}

bool cluster_view::settled_locked(node_lease::time_point now) const {
  if (!lease_.valid(now) || lease_.reported().size() != 1) return false;
  std::vector<std::string> up{self_};
  for (const auto& [name, n] : peers_)
    if (n.state == node_state::up) up.push_back(name);
  auto committed = lease_.reported().front();
  std::sort(up.begin(), up.end());
  std::sort(committed.begin(), committed.end());
  return committed == up;
}

bool cluster_view::owns(std::string_view topic) const {
  auto now = node_lease::clock::now();
  std::lock_guard lock{mutex_};
  return lease_.owns(topic, self_, now);
}

void cluster_view::lease_granted(const std::string& peer) {
  std::lock_guard lock{mutex_};
  lease_.granted(peer, node_lease::clock::now());
}

bool cluster_view::lease_valid() const {
  auto now = node_lease::clock::now();
  std::lock_guard lock{mutex_};
  return lease_.valid(now);
}

std::uint64_t cluster_view::lease_term() const {
  auto now = node_lease::clock::now();
  std::lock_guard lock{mutex_};
  return lease_.term(now);
}

node_lease::time_point cluster_view::takeover_allowed_at(const std::string& lost) const {
  std::lock_guard lock{mutex_};
  return lease_.expired_for(lost);
}

std::string cluster_view::json() const {
  auto now = node_lease::clock::now();
  std::lock_guard lock{mutex_};
  std::string nodes = "[";
  nodes += json::object{}
               .str("name", self_)
               .str("address", self_address_)
               .str("state", "up")
               .boolean("self", true)
               .finish();
  for (const auto& [name, n] : peers_) {
    json::object o;
    o.str("name", name).str("address", n.host + ":" + std::to_string(n.port));
    o.str("state", to_string(n.state)).boolean("self", false).num("since_ms", n.since_ms);
    if (!n.reason.empty()) o.str("reason", n.reason);
    nodes += ',' + o.finish();
  }
  nodes += ']';
  std::int64_t up = 1;
  for (const auto& [name, n] : peers_) up += n.state == node_state::up ? 1 : 0;
  return json::object{}
      .str("node", self_)
      .num("up", up)
      .num("configured", static_cast<std::int64_t>(peers_.size() + 1))
      .boolean("lease", lease_.valid(now))
      .boolean("settled", settled_locked(now))
      .raw("nodes", nodes)
      .finish();
}

void cluster_view::publish_locked() const {
  auto& m = cluster_metrics::get();
  m.node_up.with({self_}).set(1);
  std::int64_t counts[3] = {0, 1, 0};  // joining, up (this node), down
  std::string detail = "{";
  for (const auto& [name, n] : peers_) {
    m.node_up.with({name}).set(n.state == node_state::up ? 1 : 0);
    ++counts[static_cast<int>(n.state)];
    if (detail.size() > 1) detail += ',';
    json::append_string(detail, name);
    detail += ':';
    json::append_string(detail, to_string(n.state));
  }
  detail += '}';
  for (auto s : {node_state::joining, node_state::up, node_state::down})
    m.nodes.with({std::string{to_string(s)}}).set(counts[static_cast<int>(s)]);
  // A node serves its own clients whatever its peers do: always ready.
  readiness_board::global().publish(
      "cluster", true,
      json::object{}.str("node", self_).num("up", counts[1]).raw("peers", detail).finish(),
      readiness_board::section::top);
}

}  // namespace sluice::actors
