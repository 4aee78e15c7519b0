#include "config/readers/routes_reader.hpp"

#include "config/readers/entries.hpp"
#include "config/readers/security_reader.hpp"
#include "core/priority.hpp"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;

// `priorities:` maps a priority to who may ask for it (an access list).
void read_priorities(yaml_reader& r, const YAML::Node& node, const std::string& path,
                     route_config& rt) {
  auto map = node["priorities"];
  auto p = path + ".priorities";
  if (!map.IsDefined() || !r.open_map(map, p, {"low", "normal", "high", "critical"})) return;
  for (int level = 0; level < priority_levels; ++level) {
    auto name = std::string{to_string(static_cast<priority>(level))};
    read_access(r, map, p, name.c_str(), rt.priorities[static_cast<std::size_t>(level)], false);
  }
}

void read_route(yaml_reader& r, const YAML::Node& node, const std::string& path, route_config& rt,
                bool& is_default, const config& cfg) {
  if (!node.IsDefined() || node.IsNull()) {
    r.fail(node, path, "expected a mapping with `kind` or `upstream`");
    return;
  }
  if (!r.open_map(node, path,
                  {"kind", "upstream", "default", "timeout", "steps", "interval", "fallback",
                   "allow", "priorities", "publish_to"}))
    return;
  if (node["upstream"].IsDefined()) {
    rt.kind = route_kind::upstream;
    r.read_string(node, path, "upstream", rt.upstream);
    if (node["kind"].IsDefined())
      r.fail(node["kind"], path + ".kind", "a route has either `kind` or `upstream`, not both");
    else if (cfg.find_upstream(rt.upstream) == nullptr)
      r.fail(node["upstream"], path + ".upstream",
             "no upstream named \"" + rt.upstream + "\" under `upstreams`");
    std::string fallback;
    r.read_string(node, path, "fallback", fallback);
    if (node["fallback"].IsDefined()) rt.fallback = fallback;
  } else {
    if (!node["kind"].IsDefined())
      r.fail(node, path + ".kind", "missing (known kinds: uppercase; or name an `upstream`)");
    if (auto kind = r.read_choice(node, path, "kind", {"uppercase"}))
      rt.kind = static_cast<route_kind>(*kind);
    if (node["fallback"].IsDefined())
      r.fail(node["fallback"], path + ".fallback",
             "only a route with an `upstream` has a fallback");
  }
  r.read_bool(node, path, "default", is_default);
  r.read_duration(node, path, "timeout", rt.timeout, 1ms, 24h);
  r.read_unsigned(node, path, "steps", rt.uppercase.steps, 0, 1'000'000);
  r.read_duration(node, path, "interval", rt.uppercase.interval, 0ms, 1h);
  read_access(r, node, path, "allow", rt.allow, false);
  read_priorities(r, node, path, rt);
  r.read_string(node, path, "publish_to", rt.publish_to.text);
  if (auto problem = topic_template::problem(rt.publish_to.text);
      node["publish_to"].IsDefined() && !problem.empty())
    r.fail(node["publish_to"], path + ".publish_to", problem);
}

}  // namespace

void read_routes(yaml_reader& r, const YAML::Node& node, config& cfg) {
  if (!node.IsDefined() || node.IsNull()) {
    r.fail(node, "routes", "at least one route is required");
    return;
  }
  if (!node.IsMap() || node.size() == 0) {
    r.fail(node, "routes", "expected a mapping of route names to routes");
    return;
  }
  std::vector<std::pair<std::string, YAML::Mark>> defaults;
  for (const auto& kv : node) {
    auto name = kv.first.Scalar();
    auto path = checked_entry(r, kv.first, "routes", "route", cfg.find_route(name));
    route_config rt;
    rt.name = name;
    bool is_default = false;
    read_route(r, kv.second, path, rt, is_default, cfg);
    if (is_default) defaults.emplace_back(name, kv.second["default"].Mark());
    cfg.routes.push_back(std::move(rt));
  }
  if (defaults.size() > 1) {
    for (const auto& [name, mark] : defaults)
      r.fail(mark, "routes." + name + ".default", "more than one route is marked default");
  } else if (defaults.size() == 1) {
    cfg.default_route = defaults.front().first;
  } else if (cfg.routes.size() == 1) {
    cfg.default_route = cfg.routes.front().name;  // a single route is the default
  }
}

}  // namespace sluice::config
