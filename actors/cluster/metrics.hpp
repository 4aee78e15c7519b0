#pragma once

#include "core/observe/metrics.hpp"

namespace sluice::actors {

// Metrics of the cluster: membership, the join handshake, and what crosses
// between nodes for topics and worker requests.
struct cluster_metrics {
  static cluster_metrics& get();

  metrics::family<metrics::gauge>& node_up;             // {node}: 1 up, 0 not
  metrics::family<metrics::gauge>& nodes;               // {state}
  metrics::family<metrics::counter>& connect_attempts;  // {node}
  metrics::family<metrics::counter>& joins_refused;     // {reason}: joins we refused
  metrics::family<metrics::counter>& refused_by_peer;   // {node}: our joins a peer refused
  metrics::family<metrics::counter>& node_losses;       // {node}
  metrics::counter& forwarded;                          // publishes sent on to the owner node
  metrics::counter& forward_failures;                   // forwarded publishes failed (owner lost)
  metrics::counter& replicated;                         // events sent to follower nodes
  metrics::counter& failovers;                          // topics taken over with a new epoch
  metrics::counter& handovers;                          // topics handed to a (re)joined owner
  metrics::family<metrics::counter>& remote_jobs;       // {upstream}: requests sent to another node
  metrics::gauge& lease_valid;  // 1 while this node holds its lease (may act as an owner)
  metrics::counter& fenced;     // publishes refused because this node had no lease
  metrics::family<metrics::counter>&
      lost_holders;  // {upstream}: a remote worker or pool lost with a job

 private:
  cluster_metrics();
};

}  // namespace sluice::actors
