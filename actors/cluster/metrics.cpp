#include "actors/cluster/metrics.hpp"

namespace sluice::actors {
cluster_metrics& cluster_metrics::get() {
  static cluster_metrics instance;
  return instance;
}

cluster_metrics::cluster_metrics()
    : node_up(metrics::registry::global().add_gauge_family(
          "sluice_cluster_node_up", "1 when the node is up (this node always), else 0", {"node"})),
      nodes(metrics::registry::global().add_gauge_family(
          "sluice_cluster_nodes", "Configured nodes by state (joining, up, down)", {"state"})),
      connect_attempts(metrics::registry::global().add_counter_family(
          "sluice_cluster_connect_attempts_total", "Attempts to connect and join a peer",
          {"node"})),
      joins_refused(metrics::registry::global().add_counter_family(
          "sluice_cluster_joins_refused_total",
          "Joins this node refused, by reason (bad_secret, unknown_node)", {"reason"})),
      refused_by_peer(metrics::registry::global().add_counter_family(
          "sluice_cluster_refused_by_peer_total", "Joins of this node that a peer refused",
          {"node"})),
      node_losses(metrics::registry::global().add_counter_family(
          "sluice_cluster_node_losses_total", "Times a node that was up was lost", {"node"})),
      forwarded(
          metrics::registry::global().add_counter("sluice_cluster_forwarded_publishes_total",
                                                  "Publishes sent on to the topic's owner node")),
      forward_failures(metrics::registry::global().add_counter(
          "sluice_cluster_forward_failures_total",
          "Forwarded publishes that failed because the owner node was lost")),
      replicated(metrics::registry::global().add_counter(
          "sluice_cluster_replicated_total", "Topic events sent to follower nodes (one per node)")),
      failovers(metrics::registry::global().add_counter(
          "sluice_cluster_failovers_total", "Topics this node took over with a new epoch")),
      handovers(metrics::registry::global().add_counter(
          "sluice_cluster_handovers_total", "Topics this node handed to their (re)joined owner")),
      remote_jobs(metrics::registry::global().add_counter_family(
          "sluice_cluster_remote_jobs_total", "Requests sent to a worker pool on another node",
          {"upstream"})),
      lease_valid(metrics::registry::global().add_gauge(
          "sluice_cluster_lease_valid",
          "1 while this node holds its lease: a majority of the nodes answered it recently")),
      fenced(metrics::registry::global().add_counter(
          "sluice_cluster_fenced_publishes_total",
          "Publishes answered owner_unavailable because this node had no lease to own topics")),
      lost_holders(metrics::registry::global().add_counter_family(
          "sluice_cluster_lost_job_holders_total",
          "Requests whose worker or queueing pool on another node was lost with its node",
          {"upstream"})) {}

}  // namespace sluice::actors
