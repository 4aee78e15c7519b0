#include "actors/quota/ledger.hpp"

#include <algorithm>

namespace sluice::actors {
namespace {

using namespace std::chrono_literals;

std::int64_t window_of(const config::quota_config& q, quota_ledger::unix_ms now) {
  return now / q.window.count();
}

std::chrono::milliseconds until_window_ends(const config::quota_config& q,
                                            quota_ledger::unix_ms now) {
  auto ends = (window_of(q, now) + 1) * q.window.count();
  return std::chrono::milliseconds{std::max<std::int64_t>(1, ends - now)};
}

bool idle(const quota_usage& u) {
  return u.in_flight == 0 && u.requests == 0 && u.units == 0;
}

// What counts of `c` in `window`: what runs, and requests and units only if
// they were counted in that window.
quota_usage in_window(const quota_ledger::counts& c, std::int64_t window) {
  auto u = c.usage;
  if (c.window != window) u.requests = u.units = 0;
  return u;
}

// A new window starts this node's requests and units from zero.
void roll(quota_ledger::counts& c, std::int64_t window) {
  if (c.window == window) return;
  c.window = window;
  c.usage.requests = c.usage.units = 0;
}

}  // namespace

std::string_view to_string(quota_limit limit) {
  switch (limit) {
    case quota_limit::none:
      return "none";
    case quota_limit::max_in_flight:
      return "max_in_flight";
    case quota_limit::requests:
      return "requests";
    case quota_limit::units:
      return "units";
  }
  return "none";
}

quota_usage& quota_usage::operator+=(const quota_usage& other) {
  in_flight += other.in_flight;
  requests += other.requests;
  units += other.units;
  return *this;
}

quota_ledger::quota_ledger(std::vector<std::pair<std::string, config::quota_config>> routes,
                           std::string node, bool shared)
    : node_(std::move(node)), shared_(shared) {
  for (auto& [name, quota] : routes) routes_.emplace(std::move(name), quota);
}

bool quota_ledger::meters(std::string_view route) const {
  return routes_.contains(std::string{route});
}

quota_ledger::entry* quota_ledger::find_or_add(const std::string& route,
                                               const std::string& principal) {
  auto r = routes_.find(route);
  if (r == routes_.end()) return nullptr;
  std::string key;
  key.reserve(route.size() + 1 + principal.size());
  key.append(route).append(1, '\n').append(principal);
  auto [it, added] = entries_.try_emplace(std::move(key));
  if (added) {
    it->second.quota = &r->second;
    it->second.route = route;
    it->second.principal = principal;
  }
  return &it->second;
}

// This node's counts in `window` (older windows' requests and units are
// over) plus every other node's report for that window.
quota_usage quota_ledger::total(const entry& e, std::int64_t window) const {
  auto sum = in_window(e.local, window);
  for (const auto& [node, c] : e.remote) sum += in_window(c, window);
  return sum;
}

void quota_ledger::changed(entry& e) {
  if (shared_) e.dirty = true;
}

quota_ledger::verdict quota_ledger::admit(const std::string& route, const std::string& principal,
                                          unix_ms now) {
  std::lock_guard lock{mutex_};
  sweep(now);
  auto* e = find_or_add(route, principal);
  verdict v;
  v.tracked = entries_.size();
  if (e == nullptr) return v;
  const auto& q = *e->quota;
  auto window = window_of(q, now);
  roll(e->local, window);
  auto sum = total(*e, window);
  auto refuse = [&](quota_limit limit, std::chrono::milliseconds retry_after) {
    v.refused = limit;
    v.retry_after = retry_after;
    return v;
  };
  if (q.max_in_flight > 0 && sum.in_flight >= q.max_in_flight)
    return refuse(quota_limit::max_in_flight, std::min<std::chrono::milliseconds>(1s, q.window));
  if (q.requests > 0 && sum.requests >= q.requests)
    return refuse(quota_limit::requests, until_window_ends(q, now));
  if (q.units > 0 && sum.units >= q.units)
    return refuse(quota_limit::units, until_window_ends(q, now));
  ++e->local.usage.in_flight;
  ++e->local.usage.requests;
  changed(*e);
  return v;
}

void quota_ledger::finished(const std::string& route, const std::string& principal) {
  std::lock_guard lock{mutex_};
  auto* e = find_or_add(route, principal);
  if (e == nullptr || e->local.usage.in_flight == 0) return;
  --e->local.usage.in_flight;
  changed(*e);
}

quota_ledger::verdict quota_ledger::charge(const std::string& route, const std::string& principal,
                                           std::uint64_t units, unix_ms now) {
  std::lock_guard lock{mutex_};
  auto* e = find_or_add(route, principal);
  if (e == nullptr) return {};
  const auto& q = *e->quota;
  auto window = window_of(q, now);
  roll(e->local, window);
  if (units > 0) {
    e->local.usage.units += units;
    changed(*e);
  }
  if (q.units > 0 && total(*e, window).units > q.units)
    return {quota_limit::units, until_window_ends(q, now)};
  return {};
}

std::vector<quota_ledger::route_usage> quota_ledger::usage_of(const std::string& principal,
                                                              unix_ms now) const {
  std::lock_guard lock{mutex_};
  std::vector<route_usage> out;
  for (const auto& [route, quota] : routes_) {
    auto window = window_of(quota, now);
    route_usage u{route, quota, (window + 1) * quota.window.count(), {}, {}};
    auto it = entries_.find(route + '\n' + principal);
    u.nodes.emplace_back(
        node_, it == entries_.end() ? quota_usage{} : in_window(it->second.local, window));
    if (it != entries_.end()) {
      for (const auto& [node, c] : it->second.remote)
        u.nodes.emplace_back(node, in_window(c, window));
      u.total = total(it->second, window);
    }
    out.push_back(std::move(u));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.route < b.route; });
  return out;
}

quota_entry quota_ledger::to_entry(const entry& e) {
  return {e.route,
          e.principal,
          e.local.window,
          e.local.usage.in_flight,
          e.local.usage.requests,
          e.local.usage.units};
}

std::vector<quota_entry> quota_ledger::take_changes() {
  std::lock_guard lock{mutex_};
  std::vector<quota_entry> out;
  for (auto& [key, e] : entries_) {
    if (!e.dirty) continue;
    e.dirty = false;
    out.push_back(to_entry(e));
  }
  return out;
}

std::vector<quota_entry> quota_ledger::snapshot() const {
  std::lock_guard lock{mutex_};
  std::vector<quota_entry> out;
  for (const auto& [key, e] : entries_)
    if (!idle(e.local.usage)) out.push_back(to_entry(e));
  return out;
}

void quota_ledger::merge(const std::string& node, const std::vector<quota_entry>& entries) {
  std::lock_guard lock{mutex_};
  for (const auto& in : entries) {
    quota_usage usage{in.in_flight, in.requests, in.units};
    auto* e = find_or_add(in.route, in.principal);
    if (e == nullptr) continue;  // a route this node does not meter
    if (idle(usage))
      e->remote.erase(node);
    else
      e->remote[node] = {in.window, usage};
  }
}

void quota_ledger::forget(const std::string& node) {
  std::lock_guard lock{mutex_};
  for (auto& [key, e] : entries_) e.remote.erase(node);
}

std::size_t quota_ledger::tracked() const {
  std::lock_guard lock{mutex_};
  return entries_.size();
}

// Entries that count nothing any more (nothing running, their windows over,
// nothing left to tell the other nodes) are forgotten once the map has grown,
// so it holds about the principals active in one window.
void quota_ledger::sweep(unix_ms now) {
  if (entries_.size() < sweep_at_) return;
  std::erase_if(entries_, [&](const auto& kv) {
    const auto& e = kv.second;
    auto window = window_of(*e.quota, now);
    auto over = [&](const counts& c) { return c.usage.in_flight == 0 && c.window != window; };
    return !e.dirty && (over(e.local) || idle(e.local.usage)) &&
           std::all_of(e.remote.begin(), e.remote.end(),
                       [&](const auto& r) { return over(r.second); });
  });
  sweep_at_ = std::max<std::size_t>(1024, entries_.size() * 2);
}

}  // namespace sluice::actors
