// The YAML pass over the sections this file owns (server, limits, log) and
// the entry points that run every section's reader (readers/: upstreams,
// routes, topics, security, cluster).
#include "config/loader.hpp"

#include <fstream>
#include <sstream>

#include "config/readers/cluster_reader.hpp"
#include "config/readers/engine_reader.hpp"
#include "config/readers/entries.hpp"
#include "config/readers/routes_reader.hpp"
#include "config/readers/security_reader.hpp"
#include "config/readers/services_reader.hpp"
#include "config/readers/topics_reader.hpp"
#include "config/readers/upstreams_reader.hpp"
#include "config/readers/values.hpp"
#include "config/readers/yaml_reader.hpp"
#include "core/priority.hpp"
#include "core/topic_name.hpp"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t max_frame_limit = 64ULL << 20;

// True when `doc` has the mapping `section` and it holds `key`.
bool has_key(const YAML::Node& doc, const char* section, const char* key) {
  const YAML::Node& map = doc[section];
  return map.IsDefined() && map.IsMap() && map[key].IsDefined();
}

// server.static: {path, prefix}; whether the directory exists is checked with
// the other named files (bin/file_checks.cpp).
void read_static_site(yaml_reader& r, const YAML::Node& node, static_site_config& site) {
  const std::string p = "server.static";
  if (!r.open_map(node, p, {"path", "prefix"})) return;
  site.place = r.place(node);
  r.read_string(node, p, "path", site.path);
  if (site.path.empty()) r.fail(node, p + ".path", "is required: the directory to serve");
  r.read_string(node, p, "prefix", site.prefix);
  const auto& prefix = site.prefix;
  if (prefix.empty() || prefix.front() != '/' || prefix.find("..") != std::string::npos ||
      prefix.find_first_of("?#% ") != std::string::npos)
    r.fail(node["prefix"], p + ".prefix", "must be a URL path starting with '/', e.g. /app");
  for (std::string_view taken : {"/ws", "/workers", "/api", "/healthz", "/readyz", "/metrics"})
    if (prefix == taken || prefix.starts_with(std::string{taken} + "/"))
      r.fail(node["prefix"], p + ".prefix", std::string{taken} + " is the server's own path");
}

void read_server(yaml_reader& r, const YAML::Node& node, server_config& s) {
  const std::string p = "server";
  if (!r.open_map(node, p,
                  {"host", "port", "node_name", "max_frame_bytes", "max_connections",
                   "idle_timeout", "drain_timeout", "io_threads", "actor_threads",
                   "request_timeout", "max_header_bytes", "max_connections_per_ip",
                   "allowed_origins", "frame_timestamps", "tls", "dashboard", "static"}))
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
  r.read_bool(node, p, "dashboard", s.dashboard);
  if (node["static"].IsDefined()) read_static_site(r, node["static"], s.static_site);
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
                   "log", "cluster", "engine", "services", "watch"});
  try {
    read_server(reader, doc["server"], cfg.server);
    read_upstreams(reader, doc["upstreams"], cfg);
    read_routes(reader, doc["routes"], cfg);
    read_limits(reader, doc["limits"], cfg.limits);
    read_topics(reader, doc["topics"], cfg.topics);
    read_services(reader, doc["services"], cfg);
    read_watches(reader, doc["watch"], cfg);
    read_auth(reader, doc["auth"], cfg.auth);
    read_rate_limits(reader, doc["rate_limits"], cfg.rate_limits);
    read_log(reader, doc["log"], cfg.log);
    if (doc["cluster"].IsDefined()) read_cluster(reader, doc["cluster"], cfg.cluster);
    // A cluster node is known by its cluster name unless the server names it.
    if (cfg.cluster.enabled() && !has_key(doc, "server", "node_name"))
      cfg.server.node_name = cfg.cluster.name;
    if (doc["engine"].IsDefined()) read_engine(reader, doc["engine"], cfg.engine);
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
    case upstream_kind::http:
      return "http";
  }
  return "unknown";
}

}  // namespace sluice::config
