#include "actors/quota/usage_json.hpp"

#include "core/json.hpp"

namespace sluice::actors {
namespace {

std::string counts_json(const quota_usage& u) {
  return json::object{}
      .num("in_flight", static_cast<std::int64_t>(u.in_flight))
      .num("requests", static_cast<std::int64_t>(u.requests))
      .num("units", static_cast<std::int64_t>(u.units))
      .finish();
}

json::object& limit(json::object& obj, std::string_view key, std::uint64_t value) {
  return value == 0 ? obj.raw(key, "null") : obj.num(key, static_cast<std::int64_t>(value));
}

std::string limits_json(const config::quota_config& q) {
  json::object obj;
  limit(obj, "max_in_flight", q.max_in_flight);
  limit(obj, "requests", q.requests);
  limit(obj, "units", q.units);
  return obj.finish();
}

}  // namespace

std::string usage_json(const std::string& principal,
                       const std::vector<quota_ledger::route_usage>& routes,
                       quota_ledger::unix_ms now) {
  std::string items;
  for (const auto& r : routes) {
    json::object nodes;
    for (const auto& [node, usage] : r.nodes) nodes.raw(node, counts_json(usage));
    if (!items.empty()) items += ',';
    items += json::object{}
                 .str("route", r.route)
                 .num("window_ms", static_cast<std::int64_t>(r.quota.window.count()))
                 .num("window_ends_in_ms", r.window_ends - now)
                 .raw("limits", limits_json(r.quota))
                 .raw("usage", counts_json(r.total))
                 .raw("nodes", nodes.finish())
                 .finish();
  }
  return json::object{}.str("principal", principal).raw("routes", "[" + items + "]").finish();
}

}  // namespace sluice::actors
