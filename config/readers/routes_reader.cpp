#include "config/readers/routes_reader.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

#include "core/json.hpp"

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

// A YAML value as JSON: mappings are objects, sequences arrays; a scalar in
// quotes is a string, a plain one true, false, null or a number when it reads
// as one (a fallback at the top is always a string: `fallback: busy`).
void append_json(const YAML::Node& node, std::string& out, bool top) {
  if (node.IsMap()) {
    out += '{';
    bool first = true;
    for (const auto& kv : node) {
      if (!std::exchange(first, false)) out += ',';
      json::append_string(out, kv.first.Scalar());
      out += ':';
      append_json(kv.second, out, false);
    }
    out += '}';
  } else if (node.IsSequence()) {
    out += '[';
    for (std::size_t i = 0; i < node.size(); ++i) {
      if (i > 0) out += ',';
      append_json(node[i], out, false);
    }
    out += ']';
  } else if (node.IsNull()) {
    out += "null";
  } else {
    const auto& text = node.Scalar();
    bool plain = node.Tag() == "?";
    double number = 0;
    bool numeric = !text.empty() && YAML::convert<double>::decode(node, number) &&
                   text.find_first_not_of("0123456789+-.eE") == std::string::npos;
    if (!top && plain && (text == "true" || text == "false" || text == "null" || numeric))
      out += text;
    else
      json::append_string(out, text);
  }
}

void read_fallback(yaml_reader& r, const YAML::Node& node, const std::string& path,
                   route_config& rt) {
  if (node["fallback"].IsDefined()) {
    std::string value;
    append_json(node["fallback"], value, true);
    rt.fallback = std::move(value);
  }
  if (node["fallback_on"].IsDefined()) {
    std::vector<std::string> names;
    r.read_string_list(node, path, "fallback_on", names);
    rt.fallback_on = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
      auto known =
          std::find(std::begin(fallback_trigger_names), std::end(fallback_trigger_names), names[i]);
      if (known == std::end(fallback_trigger_names))
        r.fail(node["fallback_on"][i], path + ".fallback_on[" + std::to_string(i) + "]",
               "expected one of circuit_open, retries_exhausted, timeout, upstream_error");
      else
        rt.fallback_on |=
            static_cast<std::uint8_t>(1u << (known - std::begin(fallback_trigger_names)));
    }
    if (!rt.fallback)
      r.fail(node["fallback_on"], path + ".fallback_on", "there is no `fallback` to answer with");
  }
  r.read_duration(node, path, "attempt_timeout", rt.attempt_timeout, 0ms, 24h);
}

// `units_field: usage.tokens`: the path's steps, each non-empty.
void read_units_field(yaml_reader& r, const YAML::Node& node, const std::string& path,
                      quota_config& q) {
  std::string text;
  r.read_string(node, path, "units_field", text);
  if (text.empty()) return;
  std::size_t start = 0;
  while (true) {
    auto dot = text.find('.', start);
    auto step = text.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (step.empty()) {
      q.units_field.clear();
      return r.fail(node["units_field"], path + ".units_field",
                    "expected a field path such as usage.tokens (names joined by dots)");
    }
    q.units_field.push_back(std::move(step));
    if (dot == std::string::npos) return;
    start = dot + 1;
  }
}

void read_quota(yaml_reader& r, const YAML::Node& node, const std::string& route_path,
                quota_config& q) {
  auto path = route_path + ".quota";
  if (!r.open_map(node, path,
                  {"window", "max_in_flight", "requests", "units", "units_field",
                   "when_units_run_out", "anonymous"}))
    return;
  r.read_duration(node, path, "window", q.window, 1s, 24h * 31);
  r.read_unsigned(node, path, "max_in_flight", q.max_in_flight, 1, 1'000'000);
  r.read_unsigned(node, path, "requests", q.requests, 1, 1ULL << 40);
  r.read_unsigned(node, path, "units", q.units, 1, 1ULL << 50);
  read_units_field(r, node, path, q);
  if (auto v = r.read_choice(node, path, "when_units_run_out", {"end_stream", "finish"}))
    q.end_stream = *v == 0;
  if (auto v = r.read_choice(node, path, "anonymous", {"address", "refuse"}))
    q.refuse_anonymous = *v == 1;
  if (!q.enabled())
    r.fail(node, path, "a quota needs at least one of max_in_flight, requests, units");
  for (const char* key : {"units_field", "when_units_run_out"})
    if (node[key].IsDefined() && q.units == 0)
      r.fail(node[key], path + "." + key, "only a quota with `units` counts units");
}

void read_route(yaml_reader& r, const YAML::Node& node, const std::string& path, route_config& rt,
                bool& is_default, const config& cfg) {
  if (!node.IsDefined() || node.IsNull()) {
    r.fail(node, path, "expected a mapping with `kind` or `upstream`");
    return;
  }
  if (!r.open_map(node, path,
                  {"kind", "upstream", "default", "timeout", "steps", "interval", "fallback",
                   "fallback_on", "attempt_timeout", "allow", "priorities", "publish_to", "quota"}))
    return;
  if (node["upstream"].IsDefined()) {
    rt.kind = route_kind::upstream;
    r.read_string(node, path, "upstream", rt.upstream);
    if (node["kind"].IsDefined())
      r.fail(node["kind"], path + ".kind", "a route has either `kind` or `upstream`, not both");
    else if (cfg.find_upstream(rt.upstream) == nullptr)
      r.fail(node["upstream"], path + ".upstream",
             "no upstream named \"" + rt.upstream + "\" under `upstreams`");
    read_fallback(r, node, path, rt);
    const auto* up = cfg.find_upstream(rt.upstream);
    if (up && rt.attempt_timeout.count() > 0 &&
        (up->kind == upstream_kind::process || up->kind == upstream_kind::workers))
      r.fail(node["attempt_timeout"], path + ".attempt_timeout",
             "attempts time out on network upstreams (websocket, sse); a process or a worker "
             "runs until the route's timeout");
  } else {
    if (!node["kind"].IsDefined())
      r.fail(node, path + ".kind", "missing (known kinds: uppercase; or name an `upstream`)");
    if (auto kind = r.read_choice(node, path, "kind", {"uppercase"}))
      rt.kind = static_cast<route_kind>(*kind);
    for (const char* key : {"fallback", "fallback_on", "attempt_timeout"})
      if (node[key].IsDefined())
        r.fail(node[key], path + "." + key,
               "only a route with an `upstream` has a fallback or attempts");
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
  read_quota(r, node["quota"], path, rt.quota);
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
