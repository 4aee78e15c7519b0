#include "actors/cluster/node_lease.hpp"

#include <algorithm>
#include <functional>
#include <vector>

#include "core/rendezvous.hpp"

namespace sluice::actors {

node_lease::node_lease(std::size_t configured_nodes, duration lease, duration margin)
    : configured_(std::max<std::size_t>(configured_nodes, 1)), lease_(lease), margin_(margin) {
  recompute();
  if (valid(clock::now())) term_ = 1;  // a cluster of one node
}

void node_lease::confirmed(const std::string& peer, time_point sent, time_point now,
                           views reported) {
  bool held = valid(now);
  auto& latest = confirmed_[peer];
  if (sent >= latest) {  // answers may arrive out of order after a pause
    latest = sent;
    views_[peer] = std::move(reported);
  }
  recompute();
  if (!held && valid(now)) ++term_;
}

namespace {

// Whom `reported` votes for as the owner of `topic`: the owner all its views
// agree on, else nobody.
std::string vote(const node_lease::views& reported, std::string_view topic) {
  std::string owner;
  for (const auto& view : reported) {
    auto in_view = rendezvous_owner(view, topic);
    if (in_view.empty() || (!owner.empty() && in_view != owner)) return {};
    owner = std::move(in_view);
  }
  return owner;
}

}  // namespace

bool node_lease::owns(std::string_view topic, const std::string& self, time_point now) const {
  if (vote(reported_, topic) != self) return false;  // not even by its own views
  std::size_t votes = 1;
  for (const auto& [peer, sent] : confirmed_) {
    if (sent + lease_ <= now) continue;
    auto it = views_.find(peer);
    if (it != views_.end() && vote(it->second, topic) == self) ++votes;
  }
  return votes >= majority();
}

void node_lease::granted(const std::string& peer, time_point now) {
  auto& latest = granted_[peer];
  latest = std::max(latest, now);
}

node_lease::time_point node_lease::expired_for(const std::string& peer) const {
  auto it = granted_.find(peer);
  if (it == granted_.end()) return time_point{};
  return it->second + lease_ + margin_;
}

// The lease lasts while `majority() - 1` peers (this node counts for itself)
// answered a ping sent within `lease`: until the (majority - 1)-th most recent
// answered ping, plus `lease`.
void node_lease::recompute() {
  auto needed = majority() - 1;
  if (needed == 0) {  // a cluster of one node decides alone
    valid_until_ = time_point::max();
    return;
  }
  std::vector<time_point> sent;
  for (const auto& [peer, t] : confirmed_) sent.push_back(t);
  if (sent.size() < needed) {
    valid_until_ = time_point{};
    return;
  }
  std::nth_element(sent.begin(), sent.begin() + static_cast<std::ptrdiff_t>(needed - 1), sent.end(),
                   std::greater<>{});
  valid_until_ = sent[needed - 1] + lease_;
}

}  // namespace sluice::actors
