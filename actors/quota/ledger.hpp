#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/quota.hpp"

namespace sluice::actors {

// Which limit of a quota refused a request or ended a stream; none: within it.
enum class quota_limit : std::uint8_t { none, max_in_flight, requests, units };
std::string_view to_string(quota_limit limit);

struct quota_usage {
  std::uint64_t in_flight = 0;
  std::uint64_t requests = 0;  // in the current window
  std::uint64_t units = 0;     // in the current window

  quota_usage& operator+=(const quota_usage& other);
};

// One principal's counts on one route at one node, as nodes tell each other:
// absolute values, so a repeated or reordered report does no harm.
struct quota_entry {
  std::string route;
  std::string principal;
  std::int64_t window = 0;  // which window: Unix ms / the route's window length
  std::uint64_t in_flight = 0;
  std::uint64_t requests = 0;
  std::uint64_t units = 0;
};

// The per-principal counts behind routes' `quota:` (config/quota.hpp), shared
// by every session of the node and summed with what the other nodes of a
// cluster report. Socket-free and thread-safe; time comes in as Unix ms.
//
// A principal's usage is its own node's counts plus the latest counts every
// other node reported for the same window (in flight: whatever the window).
// Between two reports a node may admit a little more than the limit; the
// cluster converges within one report interval.
class quota_ledger {
 public:
  using unix_ms = std::int64_t;

  struct verdict {
    quota_limit refused = quota_limit::none;
    std::chrono::milliseconds retry_after{0};
    std::size_t tracked = 0;  // admit: the principal-route entries held, for the gauge
    explicit operator bool() const { return refused == quota_limit::none; }
  };

  struct route_usage {
    std::string route;
    config::quota_config quota;
    unix_ms window_ends = 0;
    quota_usage total;
    std::vector<std::pair<std::string, quota_usage>> nodes;  // this node first
  };

  // `routes`: every route with a quota. `node`: this node's name in
  // usage_of. `shared`: a cluster takes changes.
  quota_ledger(std::vector<std::pair<std::string, config::quota_config>> routes, std::string node,
               bool shared);

  bool meters(std::string_view route) const;
  // One more request of `principal` on `route` runs, or the limit that refuses it.
  verdict admit(const std::string& route, const std::string& principal, unix_ms now);
  // A request admitted earlier ended.
  void finished(const std::string& route, const std::string& principal);
  // Counts `units` used; refused (units) once the window's total is over the limit.
  verdict charge(const std::string& route, const std::string& principal, std::uint64_t units,
                 unix_ms now);
  // What `principal` uses of each metered route now, over every node.
  std::vector<route_usage> usage_of(const std::string& principal, unix_ms now) const;

  // Cluster: this node's entries changed since the last call (shared only).
  std::vector<quota_entry> take_changes();
  // Cluster: every entry of this node, for a peer that just joined.
  std::vector<quota_entry> snapshot() const;
  // Cluster: counts `node` reported (they replace what it reported before).
  void merge(const std::string& node, const std::vector<quota_entry>& entries);
  // Cluster: `node` is gone; its counts no longer count.
  void forget(const std::string& node);

  std::size_t tracked() const;

  struct counts {
    std::int64_t window = 0;
    quota_usage usage;
  };

 private:
  struct entry {
    const config::quota_config* quota = nullptr;
    std::string route;
    std::string principal;
    counts local;
    bool dirty = false;
    std::map<std::string, counts, std::less<>> remote;
  };

  entry* find_or_add(const std::string& route, const std::string& principal);
  quota_usage total(const entry& e, std::int64_t window) const;
  void changed(entry& e);
  void sweep(unix_ms now);
  static quota_entry to_entry(const entry& e);

  std::unordered_map<std::string, config::quota_config> routes_;  // node-stable: entries point in
  std::string node_;
  bool shared_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry> entries_;  // key: route '\n' principal
  std::size_t sweep_at_ = 1024;
};

}  // namespace sluice::actors
