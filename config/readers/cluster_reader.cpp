#include "config/readers/cluster_reader.hpp"

#include <set>

namespace sluice::config {
namespace {

using namespace std::chrono_literals;

bool valid_node_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

void read_name(yaml_reader& r, const YAML::Node& node, const std::string& path, std::string& out) {
  r.read_string(node, path, "name", out);
  if (node["name"].IsDefined() && !valid_node_name(out))
    r.fail(node["name"], join_path(path, "name"),
           "a node name is 1-64 letters, digits, '-', '_' or '.'");
}

void read_peers(yaml_reader& r, const YAML::Node& node, cluster_config& c) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsSequence()) return r.fail(node, "cluster.peers", "expected a list of peers");
  std::set<std::string> seen{c.name};
  for (std::size_t i = 0; i < node.size(); ++i) {
    auto item = node[i];
    auto path = "cluster.peers[" + std::to_string(i) + "]";
    if (!r.open_map(item, path, {"name", "host", "port"})) {
      if (!item.IsMap()) r.fail(item, path, "expected a mapping with name, host and port");
      continue;
    }
    cluster_peer peer;
    read_name(r, item, path, peer.name);
    r.read_string(item, path, "host", peer.host);
    r.read_unsigned(item, path, "port", peer.port, 1, 65535);
    if (peer.name.empty() || peer.host.empty() || peer.port == 0) {
      r.fail(item, path, "a peer needs `name`, `host` and `port`");
      continue;
    }
    if (peer.name == c.name) {
      r.fail(item["name"], path + ".name", "node \"" + peer.name + "\" is this node, not a peer");
      continue;
    }
    if (!seen.insert(peer.name).second) {
      r.fail(item["name"], path + ".name", "duplicate node name \"" + peer.name + "\"");
      continue;
    }
    c.peers.push_back(std::move(peer));
  }
}

void read_cluster_tls(yaml_reader& r, const YAML::Node& node, cluster_tls_config& t) {
  const std::string p = "cluster.tls";
  if (!r.open_map(node, p, {"cert_file", "key_file", "ca_file"})) return;
  t.place = r.place(node);
  r.read_together(
      node, p, {{"cert_file", &t.cert_file}, {"key_file", &t.key_file}, {"ca_file", &t.ca_file}});
}

}  // namespace

void read_cluster(yaml_reader& r, const YAML::Node& node, cluster_config& c) {
  const std::string p = "cluster";
  if (!r.open_map(node, p,
                  {"name", "host", "port", "peers", "secret", "heartbeat_interval",
                   "heartbeat_timeout", "lease", "retry_min", "retry_max", "tls"}))
    return;
  read_name(r, node, p, c.name);
  if (c.name.empty()) return r.fail(node, p, "needs this node's `name`");
  r.read_string(node, p, "host", c.host);
  r.read_unsigned(node, p, "port", c.port, 1, 65535);
  if (c.port == 0) r.fail(node, p, "needs the `port` this node's cluster link listens on");
  read_peers(r, node["peers"], c);
  r.read_string(node, p, "secret", c.secret);
  const YAML::Node& secret = node["secret"];
  bool unexpanded = secret.IsDefined() && secret.IsScalar() &&
                    secret.Scalar().find("${") != std::string::npos && c.secret.empty();
  if (c.secret.size() < 16 && !unexpanded)  // an unset variable is reported already
    r.fail(secret.IsDefined() ? secret : node, p + ".secret",
           "needs a shared `secret` of at least 16 characters (e.g. \"${SLUICE_CLUSTER_SECRET}\")");
  r.read_duration(node, p, "heartbeat_interval", c.heartbeat_interval, 50ms, 1min);
  r.read_duration(node, p, "heartbeat_timeout", c.heartbeat_timeout, 100ms, 10min);
  if (c.heartbeat_timeout <= c.heartbeat_interval)
    r.fail(node, p + ".heartbeat_timeout", "must be longer than heartbeat_interval");
  c.lease = c.heartbeat_timeout / 2;
  r.read_duration(node, p, "lease", c.lease, 10ms, 10min);
  if (c.lease <= c.heartbeat_interval)
    r.fail(node["lease"].IsDefined() ? node["lease"] : node, p + ".lease",
           "must be longer than heartbeat_interval (each heartbeat renews it)");
  r.read_duration(node, p, "retry_min", c.retry_min, 10ms, 1min);
  r.read_duration(node, p, "retry_max", c.retry_max, 10ms, 1h);
  if (c.retry_max < c.retry_min) r.fail(node, p + ".retry_max", "must not be below retry_min");
  if (node["tls"].IsDefined()) read_cluster_tls(r, node["tls"], c.tls);
}

}  // namespace sluice::config
