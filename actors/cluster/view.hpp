#pragma once

#include <caf/actor.hpp>
#include <caf/group.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "actors/cluster/node_lease.hpp"
#include "config/config.hpp"

namespace sluice::actors {

enum class node_state : std::uint8_t { joining, up, down };
std::string_view to_string(node_state s);

// What this node knows of the cluster: which nodes are up (with their
// cluster actors) and the worker pools of the others. Written by the cluster
// actor, read by topics, worker pools and the HTTP API from any thread.
class cluster_view {
 public:
  // `changes`: the group the cluster actor tells (membership_atom) when the
  // set of nodes that are up changes.
  cluster_view(const config::cluster_config& cfg, caf::group changes);

  const std::string& self() const { return self_; }
  const caf::group& changes() const { return changes_; }

  // A peer's new state; `cluster` is its cluster actor while it is up.
  // True when the set of nodes that are up changed.
  bool set_state(const std::string& node, node_state state, std::string reason,
                 caf::actor cluster = {});
  node_state state_of(const std::string& node) const;
  // This node and every peer that is up.
  std::vector<std::string> up_nodes() const;
  caf::actor cluster_of(const std::string& node) const;
  // The owner of `topic` among the nodes that are up, leaving out `excluded`.
  std::string owner_of(std::string_view topic, std::string_view excluded = {}) const;

  // Worker pools on other nodes, as they report themselves.
  struct remote_pool {
    caf::actor pool;
    std::uint32_t free = 0;
    std::uint32_t capacity = 0;
    std::vector<std::string> routes;
    bool serves(const std::string& route) const;
  };
  void set_pool(const std::string& node, const std::string& upstream, remote_pool pool);
  // The pool on another node that serves `route` with the most free slots:
  // with room first (`with_room`), else any that serves it; null if none.
  caf::actor pick_pool(const std::string& upstream, const std::string& route, bool with_room) const;

  // This node's worker pools, as they report themselves; the cluster actor
  // passes them on to the peers when `local_version()` moved.
  void set_local_pool(const std::string& upstream, remote_pool pool);
  std::map<std::string, remote_pool> local_pools() const;
  std::uint64_t local_version() const;
  // True when a pool on another node that is up has workers for `upstream`.
  bool remote_capacity(const std::string& upstream) const;

  // Leases (node_lease.hpp). The cluster actor records pings answered both
  // ways; topics ask whether this node may act as an owner now, and how long
  // to wait before taking over from `lost`.
  void lease_confirmed(const std::string& peer, node_lease::time_point sent,
                       node_lease::views reported);
  void lease_granted(const std::string& peer);
  bool lease_valid() const;
  // A majority of the configured nodes (this one included).
  std::size_t majority() const { return lease_.majority(); }
  // The term of the lease this node holds now; 0 when it holds none.
  std::uint64_t lease_term() const;
  node_lease::time_point takeover_allowed_at(const std::string& lost) const;
  // The views of who is up that this node reports with its answers (see
  // node_lease.hpp; the cluster actor commits a new one lease + margin after
  // up_nodes() changed), and whether a majority votes for this node as the
  // owner of `topic` now.
  void set_reported(node_lease::views reported);
  node_lease::views reported() const;
  bool owns(std::string_view topic) const;
  // Whether this node reports one view, the nodes it sees up, and holds its lease.
  bool settled() const;

  // GET /api/cluster.
  std::string json() const;

 private:
  struct node {
    std::string host;
    std::uint16_t port = 0;
    node_state state = node_state::joining;
    std::string reason;
    std::int64_t since_ms = 0;
    caf::actor cluster;
    std::map<std::string, remote_pool> pools;  // by upstream
  };

  void publish_locked() const;
  bool settled_locked(node_lease::time_point now) const;

  const std::string self_;
  const std::string self_address_;
  const caf::group changes_;
  mutable std::mutex mutex_;
  std::map<std::string, node> peers_;
  std::map<std::string, remote_pool> local_pools_;  // by upstream
  std::uint64_t local_version_ = 0;
  node_lease lease_;
};

}  // namespace sluice::actors
