#pragma once

#include <caf/all.hpp>
#include <caf/io/middleman_actor.hpp>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "actors/cluster/view.hpp"
#include "actors/messages.hpp"
#include "actors/quota/ledger.hpp"
#include "actors/topic/directory.hpp"
#include "actors/upstream/backoff.hpp"
#include "config/config.hpp"

namespace sluice::actors {

// One per node, published on the middleman's port. Connects to every
// configured peer without blocking (retrying with backoff and jitter), joins
// it with a proof of the shared secret, and monitors it: a peer is up from
// its accepted join until its cluster actor is lost (the middleman's
// heartbeats notice a peer that froze). Answers peers that joined: it opens
// topics for their followers and passes worker pools' capacity both ways.
// Tells the view's group whenever the set of nodes that are up changes.
class cluster_state {
 public:
  static inline const char* name = "sluice.cluster";

  explicit cluster_state(caf::event_based_actor* self) : self_(self) {}

  caf::behavior make_behavior(config::cluster_config cfg, std::shared_ptr<cluster_view> view,
                              std::shared_ptr<topic_directory> topics,
                              caf::io::middleman_actor middleman,
                              std::shared_ptr<quota_ledger> quotas);

 private:
  struct peer {
    std::string host;
    std::uint16_t port = 0;
    bool dials = true;  // this node connects to it (else it connects to us)
    bool connecting = false;
    bool up = false;
    bool was_up = false;
    unsigned attempt = 0;
    std::string last_failure;  // logged once per distinct reason
    caf::actor remote;         // its cluster actor, while up
  };

  void connect(const std::string& name);
  void join(const std::string& name, caf::actor remote);
  void joined(const std::string& name, caf::actor remote);
  void failed(const std::string& name, std::string why, bool refused);
  void lost(const caf::actor_addr& source, const caf::error& reason);
  caf::result<void> on_join(const join_request& r);
  caf::result<caf::actor> on_open(const std::string& topic, bool start);
  // A peer's pool reported its capacity.
  void on_pool(pool_report report);
  void on_tick();
  void on_lease_tick();
  void on_ping(const std::string& from, std::int64_t sent);
  void on_pong(lease_answer answer);
  void commit_view(std::vector<std::string> view);
  void check_lease();
  void tell_local_pools(const std::string& upstream = {});
  // The configured name of the node that sent the current message, if it joined.
  const std::string* joined_sender() const;
  bool sent_by_peer(const std::string& name) const;
  void send_pools(const caf::actor& to);
  void membership_changed();
  void tell_topics();
  // Passes this node's quota counts that changed to the peers that are up.
  void send_quotas();

  caf::event_based_actor* self_;
  config::cluster_config cfg_;
  std::shared_ptr<cluster_view> view_;
  std::shared_ptr<topic_directory> topics_;
  caf::io::middleman_actor middleman_;
  std::shared_ptr<quota_ledger> quotas_;  // may be null
  backoff_policy backoff_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::map<std::string, peer> peers_;
  std::map<caf::node_id, std::string> accepted_;  // processes whose join we accepted
  std::uint64_t pools_sent_ = 0;                  // the view's local_version() last passed on
  bool lease_valid_ = false;                      // as last announced to the topics
  std::vector<std::string> committed_view_;       // reported to peers (sorted)
  std::vector<std::string> pending_view_;         // the newest, committed lease + margin later
};

// `quotas`: may be null (no route has a quota).
caf::behavior cluster(caf::stateful_actor<cluster_state>* self, config::cluster_config cfg,
                      std::shared_ptr<cluster_view> view, std::shared_ptr<topic_directory> topics,
                      caf::io::middleman_actor middleman, std::shared_ptr<quota_ledger> quotas);

}  // namespace sluice::actors
