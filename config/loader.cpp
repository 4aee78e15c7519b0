// The YAML pass over the sections this file owns (server, upstreams, routes,
// limits, log) and the entry points that run every section's reader. Over
// 400 lines because the upstream kinds' readers (process, websocket, sse,
// workers) share one section and routes read their priorities and publish_to
// beside it, with the entry checks both use; cluster, security and topics
// have their own files. Moving routes to readers/ is the next split.
#include "config/loader.hpp"

#include <fstream>
#include <sstream>

#include "config/readers/cluster_reader.hpp"
#include "config/readers/security_reader.hpp"
#include "config/readers/topics_reader.hpp"
#include "config/readers/values.hpp"
#include "config/readers/yaml_reader.hpp"
#include "core/priority.hpp"
#include "core/topic_name.hpp"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t max_frame_limit = 64ULL << 20;

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return false;
  return true;
}

// True when `doc` has the mapping `section` and it holds `key`.
bool has_key(const YAML::Node& doc, const char* section, const char* key) {
  const YAML::Node& map = doc[section];
  return map.IsDefined() && map.IsMap() && map[key].IsDefined();
}

void read_server(yaml_reader& r, const YAML::Node& node, server_config& s) {
  const std::string p = "server";
  if (!r.open_map(
          node, p,
          {"host", "port", "node_name", "max_frame_bytes", "max_connections", "idle_timeout",
           "drain_timeout", "io_threads", "actor_threads", "request_timeout", "max_header_bytes",
           "max_connections_per_ip", "allowed_origins", "frame_timestamps", "tls"}))
    return;
  r.read_string(node, p, "host", s.host);
  if (s.host.empty()) r.fail(node["host"], "server.host", "must not be empty");
  r.read_unsigned(node, p, "port", s.port, 0, 65535);
  r.read_string(node, p, "node_name", s.node_name);
  if (!valid_name(s.node_name))
    r.fail(node["node_name"], "server.node_name",
           "must be 1-64 characters of letters, digits, '_', '-', '.'");
  r.read_size(node, p, "max_frame_bytes", s.max_frame_bytes, 64, max_frame_limit);
  r.read_unsigned(node, p, "max_connections", s.max_connections, 1, 1'000'000);
  r.read_duration(node, p, "idle_timeout", s.idle_timeout, 0ms, 24h);
  r.read_duration(node, p, "drain_timeout", s.drain_timeout, 0ms, 1h);
  r.read_unsigned(node, p, "io_threads", s.io_threads, 1, 64);
  r.read_unsigned(node, p, "actor_threads", s.actor_threads, 1, 64);
  r.read_duration(node, p, "request_timeout", s.request_timeout, 100ms, 1h);
  r.read_size(node, p, "max_header_bytes", s.max_header_bytes, 1024, 1ULL << 20);
  r.read_unsigned(node, p, "max_connections_per_ip", s.max_connections_per_ip, 0, 1'000'000);
  r.read_string_list(node, p, "allowed_origins", s.allowed_origins);
  r.read_bool(node, p, "frame_timestamps", s.frame_timestamps);
  if (node["tls"].IsDefined()) read_tls(r, node["tls"], s.tls);
}

// The path of the entry `key` names in `section`, after checking the name.
std::string checked_entry(yaml_reader& r, const YAML::Node& key, const std::string& section,
                          const std::string& what, bool duplicate) {
  auto path = section + "." + key.Scalar();
  if (!valid_name(key.Scalar()))
    r.fail(key, path, what + " names are 1-64 characters of letters, digits, '_', '-', '.'");
  if (duplicate) r.fail(key, path, "duplicate " + what);
  return path;
}

void read_process_upstream(yaml_reader& r, const YAML::Node& node, const std::string& path,
                           process_upstream_config& p) {
  if (!node["command"].IsDefined()) r.fail(node, path + ".command", "missing");
  r.read_string(node, path, "command", p.command);
  r.read_string_list(node, path, "args", p.args);
  r.read_string_map(node, path, "env", p.env);
  r.read_string(node, path, "cwd", p.cwd);
  if (auto v = r.read_choice(node, path, "output", {"lines", "json_lines"}))
    p.output = static_cast<process_output>(*v);
  r.read_size(node, path, "max_line_bytes", p.max_line_bytes, 64, 64ULL << 20);
  r.read_duration(node, path, "kill_grace", p.kill_grace, 0ms, 1h);
  r.read_unsigned(node, path, "max_concurrent", p.max_concurrent, 0, 100'000);
}

// Reads the required `url` key, of `scheme`, and splits it into `endpoint`.
void read_url(yaml_reader& r, const YAML::Node& node, const std::string& path,
              std::string_view scheme, std::string& url, url_parts& endpoint) {
  if (!node["url"].IsDefined()) return r.fail(node, path + ".url", "missing");
  r.read_string(node, path, "url", url);
  if (url.empty()) return;
  if (auto parts = parse_url(url, scheme)) {
    endpoint = std::move(*parts);
  } else {
    r.fail(node["url"], path + ".url",
           "expected " + std::string{scheme} + "://HOST:PORT/PATH, got \"" + url + "\" (" +
               std::string{scheme == "ws" ? "wss" : "https"} + ":// is not supported yet)");
  }
}

void read_websocket_upstream(yaml_reader& r, const YAML::Node& node, const std::string& path,
                             websocket_upstream_config& w) {
  r.read_duration(node, path, "connect_timeout", w.connect_timeout, 1ms, 5min);
  r.read_size(node, path, "max_message_bytes", w.max_message_bytes, 64, 64ULL << 20);
  r.read_string(node, path, "message", w.message);
  r.read_string(node, path, "type_field", w.type_field);
  if (w.type_field.empty()) r.fail(node["type_field"], path + ".type_field", "must not be empty");
  if (auto m = r.read_choice(node, path, "connections", {"per_request", "pooled"}))
    w.connections = static_cast<connection_mode>(*m);
  r.read_unsigned(node, path, "pool_size", w.pool_size, 1, 10'000);
  read_url(r, node, path, "ws", w.url, w.endpoint);
}

void read_sse_upstream(yaml_reader& r, const YAML::Node& node, const std::string& path,
                       sse_upstream_config& e) {
  if (auto m = r.read_choice(node, path, "method", {"POST", "GET"}))
    e.method = *m == 0 ? "POST" : "GET";
  r.read_string_map(node, path, "headers", e.headers);
  r.read_string(node, path, "body", e.body);
  r.read_string(node, path, "token_field", e.token_field);
  r.read_string(node, path, "final_field", e.final_field);
  r.read_duration(node, path, "connect_timeout", e.connect_timeout, 1ms, 5min);
  r.read_size(node, path, "max_event_bytes", e.max_event_bytes, 64, 64ULL << 20);
  read_url(r, node, path, "http", e.url, e.endpoint);
}

void read_workers_upstream(yaml_reader& r, const YAML::Node& node, const std::string& path,
                           workers_upstream_config& w) {
  r.read_string(node, path, "token", w.token);
  r.read_string(node, path, "token_sha256", w.token_sha256);
  if (!w.token.empty() && !w.token_sha256.empty())
    r.fail(node["token_sha256"], path + ".token_sha256",
           "give `token` or `token_sha256`, not both");
  if (node["token_sha256"].IsDefined() && w.token_sha256.size() != 64)
    r.fail(node["token_sha256"], path + ".token_sha256",
           "expected 64 lowercase hex digits (printf %s TOKEN | sha256sum)");
  r.read_unsigned(node, path, "max_concurrency", w.max_concurrency, 1, 100'000);
  r.read_duration(node, path, "heartbeat_timeout", w.heartbeat_timeout, 100ms, 1h);
}

// `publish`: where a process or the workers may publish while a request runs.
void read_publish_patterns(yaml_reader& r, const YAML::Node& node, const std::string& path,
                           std::vector<std::string>& out) {
  r.read_string_list(node, path, "publish", out);
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto sample = out[i];
    if (auto star = sample.find('*'); star != std::string::npos) sample.replace(star, 1, "x");
    if (!topic_name::valid(sample))
      r.fail(node["publish"][i], path + ".publish[" + std::to_string(i) + "]",
             "expected a topic name pattern (at most one `*`), got \"" + out[i] + "\"");
  }
}

// `retries`, `failure_threshold`, `backoff` and `health`: keys of every kind.
void read_supervision(yaml_reader& r, const YAML::Node& node, const std::string& path,
                      supervision_config& s) {
  r.read_unsigned(node, path, "retries", s.retries, 0, 100);
  r.read_unsigned(node, path, "failure_threshold", s.failure_threshold, 1, 1000);
  auto backoff = node["backoff"];
  auto bpath = path + ".backoff";
  if (r.open_map(backoff, bpath, {"base", "max", "multiplier"})) {
    r.read_duration(backoff, bpath, "base", s.backoff_base, 1ms, 1h);
    r.read_duration(backoff, bpath, "max", s.backoff_max, 1ms, 24h);
    r.read_decimal(backoff, bpath, "multiplier", s.backoff_multiplier, 1.0, 100.0);
    if (s.backoff_max < s.backoff_base)
      r.fail(backoff, bpath + ".max", "must not be shorter than backoff.base");
  }
  if (!node["health"].IsDefined()) return;
  auto health = node["health"];
  auto hpath = path + ".health";
  if (r.open_map(health, hpath, {"url", "interval", "timeout"})) {
    if (health["url"].IsDefined())
      read_url(r, health, hpath, "http", s.health_url, s.health_endpoint);
    r.read_duration(health, hpath, "interval", s.health_interval, 100ms, 24h);
    r.read_duration(health, hpath, "timeout", s.probe_timeout, 1ms, 5min);
  }
}

void read_upstream_body(yaml_reader& r, const YAML::Node& body, const std::string& path,
                        upstream_config& up) {
  auto kind = r.read_choice(body, path, "kind", {"process", "websocket", "sse", "workers"});
  if (!kind) return;
  up.kind = static_cast<upstream_kind>(*kind);
  // Each kind's own keys, then the supervision keys: all of them for
  // upstreams on the network, only the circuit's for processes (a process is
  // not retried, and its probe is whether its command can run).
  auto keys = [&up](std::initializer_list<std::string_view> own) {
    std::vector<std::string_view> all{"kind", "failure_threshold", "backoff"};
    if (up.kind != upstream_kind::process) all.insert(all.end(), {"retries", "health"});
    all.insert(all.end(), own.begin(), own.end());
    return all;
  };
  bool open = false;
  switch (up.kind) {
    case upstream_kind::process:
      open = r.open_map(body, path,
                        keys({"command", "args", "env", "cwd", "output", "max_line_bytes",
                              "kill_grace", "max_concurrent", "publish"}));
      if (open) read_process_upstream(r, body, path, up.process);
      if (open) read_publish_patterns(r, body, path, up.publish);
      break;
    case upstream_kind::websocket:
      open = r.open_map(body, path,
                        keys({"url", "connect_timeout", "max_message_bytes", "message",
                              "type_field", "connections", "pool_size"}));
      if (open) read_websocket_upstream(r, body, path, up.websocket);
      break;
    case upstream_kind::sse:
      open = r.open_map(body, path,
                        keys({"url", "method", "headers", "body", "token_field", "final_field",
                              "connect_timeout", "max_event_bytes"}));
      if (open) read_sse_upstream(r, body, path, up.sse);
      break;
    case upstream_kind::workers:
      open = r.open_map(
          body, path,
          keys({"token", "token_sha256", "max_concurrency", "heartbeat_timeout", "publish"}));
      if (open) read_workers_upstream(r, body, path, up.workers);
      if (open) read_publish_patterns(r, body, path, up.publish);
      break;
  }
  if (open) read_supervision(r, body, path, up.supervision);
}

void read_upstreams(yaml_reader& r, const YAML::Node& node, config& cfg) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) return r.fail(node, "upstreams", "expected a mapping of upstream names");
  for (const auto& kv : node) {
    auto name = kv.first.Scalar();
    auto path = checked_entry(r, kv.first, "upstreams", "upstream", cfg.find_upstream(name));
    upstream_config up;
    up.name = name;
    const auto& body = kv.second;
    if (!body.IsDefined() || body.IsNull())
      r.fail(body, path, "expected a mapping with at least `kind`");
    else if (!body.IsMap() || !body["kind"].IsDefined())
      r.fail(body, path + ".kind", "missing (known kinds: process, websocket, sse, workers)");
    else
      read_upstream_body(r, body, path, up);
    cfg.upstreams.push_back(std::move(up));
  }
}

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

void read_limits(yaml_reader& r, const YAML::Node& node, limits_config& l) {
  const std::string p = "limits";
  if (!r.open_map(node, p,
                  {"mailbox", "outbound_messages", "outbound_bytes", "max_requests_in_flight",
                   "topic_mailbox", "upstream_queue", "priority_aging"}))
    return;
  r.read_unsigned(node, p, "mailbox", l.mailbox, 1, 1'000'000);
  r.read_unsigned(node, p, "outbound_messages", l.outbound_messages, 1, 1'000'000);
  r.read_size(node, p, "outbound_bytes", l.outbound_bytes, 1024, 1ULL << 30);
  r.read_unsigned(node, p, "max_requests_in_flight", l.max_requests_in_flight, 1, 100'000);
  r.read_unsigned(node, p, "topic_mailbox", l.topic_mailbox, 1, 10'000'000);
  r.read_unsigned(node, p, "upstream_queue", l.upstream_queue, 1, 10'000'000);
  r.read_duration(node, p, "priority_aging", l.priority_aging, 0ms, 24h);
}

void read_log(yaml_reader& r, const YAML::Node& node, log_config& l) {
  const std::string p = "log";
  if (!r.open_map(node, p, {"level", "format"})) return;
  if (auto v = r.read_choice(node, p, "level", {"debug", "info", "warn", "error"}))
    l.level = static_cast<log::level>(*v);
  if (auto v = r.read_choice(node, p, "format", {"text", "json"}))
    l.format = static_cast<log::format>(*v);
}

}  // namespace

std::string error::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += ':';
    out += std::to_string(line);
    out += ':';
    out += std::to_string(column);
  }
  out += ": ";
  if (!key.empty()) {
    out += key;
    out += ": ";
  }
  out += message;
  return out;
}

load_result load_string(std::string_view yaml, std::string source_name, const file_check& check) {
  std::vector<error> errors;
  YAML::Node root;
  try {
    root = YAML::Load(std::string{yaml});
  } catch (const YAML::Exception& e) {
    errors.push_back({source_name, e.mark.line + 1, e.mark.column + 1, "", e.msg});
    return errors;
  }
  const YAML::Node& doc = root;  // const access never inserts keys into the tree
  yaml_reader reader{source_name, errors};
  config cfg;
  cfg.source = source_name;
  if (!doc.IsMap()) {
    reader.fail(doc, "", "the configuration must be a mapping with `server`, `routes`, ...");
    return errors;
  }
  reader.open_map(doc, "",
                  {"server", "upstreams", "routes", "limits", "topics", "auth", "rate_limits",
                   "log", "cluster"});
  try {
    read_server(reader, doc["server"], cfg.server);
    read_upstreams(reader, doc["upstreams"], cfg);
    read_routes(reader, doc["routes"], cfg);
    read_limits(reader, doc["limits"], cfg.limits);
    read_topics(reader, doc["topics"], cfg.topics);
    read_auth(reader, doc["auth"], cfg.auth);
    read_rate_limits(reader, doc["rate_limits"], cfg.rate_limits);
    read_log(reader, doc["log"], cfg.log);
    if (doc["cluster"].IsDefined()) read_cluster(reader, doc["cluster"], cfg.cluster);
    // A cluster node is known by its cluster name unless the server names it.
    if (cfg.cluster.enabled() && !has_key(doc, "server", "node_name"))
      cfg.server.node_name = cfg.cluster.name;
  } catch (const YAML::Exception& e) {  // defensive: a shape the checks above missed
    errors.push_back({source_name, e.mark.line + 1, e.mark.column + 1, "", e.msg});
  }
  if (check) check(cfg, errors);
  if (!errors.empty()) return errors;
  return cfg;
}

load_result load_file(const std::string& path, const file_check& check) {
  std::ifstream in{path, std::ios::binary};
  if (!in) return std::vector<error>{{path, 0, 0, "", "cannot read the file"}};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return load_string(buffer.str(), path, check);
}

load_result load_embedded_default(const file_check& check) {
  return load_string(embedded_default_yaml(), "<embedded default>", check);
}

const route_config* config::find_route(std::string_view name) const {
  for (const auto& r : routes)
    if (r.name == name) return &r;
  return nullptr;
}

const topic_rule* topics_config::find_rule(std::string_view topic) const {
  if (topic_name::is_inbox(topic)) return &inbox;
  if (topic_name::is_user_channel(topic)) return &user;
  for (const auto& r : rules)
    if (topic_name::matches(r.match, topic)) return &r;
  return nullptr;
}

const upstream_config* config::find_upstream(std::string_view name) const {
  for (const auto& u : upstreams)
    if (u.name == name) return &u;
  return nullptr;
}

std::string_view to_string(route_kind kind) {
  switch (kind) {
    case route_kind::uppercase:
      return "uppercase";
    case route_kind::upstream:
      return "upstream";
  }
  return "unknown";
}

std::string_view to_string(upstream_kind kind) {
  switch (kind) {
    case upstream_kind::process:
      return "process";
    case upstream_kind::websocket:
      return "websocket";
    case upstream_kind::sse:
      return "sse";
    case upstream_kind::workers:
      return "workers";
  }
  return "unknown";
}

}  // namespace sluice::config
