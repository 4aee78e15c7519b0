#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::actors {

// Leases between the nodes of a cluster (docs/cluster.md, "Leases"). Every
// heartbeat a node pings its peers with the time it sent the ping (its own
// monotonic clock); a peer answers at once, and by answering grants the
// sender a lease for `lease` from that send time. A node holds a lease while
// a majority of the configured nodes, itself included, answered a ping it
// sent within the last `lease`: only then may it act as a topic's owner
// (acknowledge, number, deliver). A node that stops hearing from a peer takes
// that peer's topics over only once any lease it granted the peer has surely
// run out: the last grant, plus `lease`, plus `margin` for clocks that run at
// slightly different rates. Each time the lease is gained anew after it ran
// out, its term grows: an owner that saw its lease lapse (a pause, an
// isolation) steps down even when the lease is back before it looked.
//
// Ownership of a topic needs more than a lease: nodes may see different sets
// of nodes up for a while (one saw a peer rejoin, another not yet), and each
// would own the topic in its own view. So every answer carries the answering
// node's *reported views* of who is up: normally one, its committed view;
// for `lease` + `margin` after its own view changed, that and the new one. A
// node votes for the owner of a topic that all its reported views agree on
// (and for nobody while they disagree), and a node owns a topic only while a
// majority votes for it (its own vote included, each answer younger than
// `lease`). A voter's answers for an old owner have run out before it commits
// the view that names a new one, so two owners never hold a majority at once;
// topics whose owner the change does not move keep their votes throughout.
// Socket- and actor-free; not thread-safe (the cluster view guards it).
class node_lease {
 public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;
  using duration = clock::duration;

  // `configured_nodes`: every node of the cluster configuration, this one too.
  node_lease(std::size_t configured_nodes, duration lease, duration margin);

  using views = std::vector<std::vector<std::string>>;

  // `peer` answered (now) the ping this node sent at `sent`, reporting `reported`.
  void confirmed(const std::string& peer, time_point sent, time_point now, views reported = {});
  // This node answered `peer`'s ping at `now`.
  void granted(const std::string& peer, time_point now);

  bool valid(time_point now) const { return now < valid_until_; }
  // The term of the lease held at `now`; 0 when none is held.
  std::uint64_t term(time_point now) const { return valid(now) ? term_ : 0; }
  // Until when this node holds its lease (what it knows now).
  time_point valid_until() const { return valid_until_; }
  // The first moment at which every lease this node granted `peer` has run out.
  time_point expired_for(const std::string& peer) const;

  std::size_t majority() const { return configured_ / 2 + 1; }

  // This node's reported views (what it answers with).
  void set_reported(views reported) { reported_ = std::move(reported); }
  const views& reported() const { return reported_; }
  // Whether `self` owns `topic` at `now`: a majority of reported views, its
  // own and those of answers younger than `lease`, name it the owner.
  bool owns(std::string_view topic, const std::string& self, time_point now) const;
  duration length() const { return lease_; }

 private:
  void recompute();

  std::size_t configured_;
  duration lease_;
  duration margin_;
  std::map<std::string, time_point> confirmed_;  // the latest ping of ours each peer answered
  std::map<std::string, views> views_;           // reported with that answer
  views reported_;                               // this node's reported views
  std::map<std::string, time_point> granted_;    // our latest answer to each peer
  time_point valid_until_;
  std::uint64_t term_ = 0;
};

}  // namespace sluice::actors
