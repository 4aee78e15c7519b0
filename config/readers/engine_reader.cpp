#include "config/readers/engine_reader.hpp"

#include <string_view>

#include "core/topic_name.hpp"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool valid_server_url(std::string_view url) {
  for (std::string_view scheme : {"nats://", "tls://"})
    if (url.starts_with(scheme) && url.size() > scheme.size() &&
        url.find_first_of(" \t/", scheme.size()) == std::string_view::npos)
      return true;
  return false;
}

bool valid_stream_prefix(std::string_view p) {
  if (p.empty() || p.size() > 32) return false;
  for (char c : p)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

// A list of URLs, or one string of comma-separated URLs (as NATS_URL is
// usually given, e.g. "${NATS_URL}").
void read_servers(yaml_reader& r, const YAML::Node& node, engine_config& e) {
  const std::string p = "engine.servers";
  const YAML::Node& list = node["servers"];
  bool one_string = list.IsDefined() && list.IsScalar();
  if (one_string) {
    e.servers.clear();
    if (auto text = r.scalar(list, p)) {
      std::string_view rest = *text;
      while (!rest.empty()) {
        auto comma = rest.find(',');
        if (auto url = trimmed(rest.substr(0, comma)); !url.empty()) e.servers.emplace_back(url);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    }
  } else {
    r.read_string_list(node, "engine", "servers", e.servers);
  }
  for (std::size_t i = 0; i < e.servers.size(); ++i)
    if (!valid_server_url(e.servers[i]))
      r.fail(one_string ? list : list[i], p + "[" + std::to_string(i) + "]",
             "expected a nats://HOST:PORT or tls://HOST:PORT URL, got \"" + e.servers[i] + "\"");
  if (e.nats() && e.servers.empty())
    r.fail(node["servers"].IsDefined() ? node["servers"] : node, p,
           "`kind: nats` needs `servers` (e.g. [\"nats://127.0.0.1:4222\"])");
}

void read_credentials(yaml_reader& r, const YAML::Node& node, engine_config& e) {
  r.read_string(node, "engine", "user", e.user);
  r.read_string(node, "engine", "password", e.password);
  r.read_string(node, "engine", "token", e.token);
  r.read_string(node, "engine", "creds_file", e.creds_file);
  if (e.user.empty() != e.password.empty())
    r.fail(node, "engine.user", "`user` and `password` go together");
  int ways = !e.user.empty() + !e.token.empty() + !e.creds_file.empty();
  if (ways > 1)
    r.fail(node, "engine", "choose one way to log in: user/password, token or creds_file");
}

void read_tls(yaml_reader& r, const YAML::Node& node, engine_tls_config& t) {
  const std::string p = "engine.tls";
  if (!r.open_map(node, p, {"ca_file", "cert_file", "key_file"})) return;
  r.read_string(node, p, "ca_file", t.ca_file);
  if (node["cert_file"].IsDefined() || node["key_file"].IsDefined())
    r.read_together(node, p, {{"cert_file", &t.cert_file}, {"key_file", &t.key_file}});
  if (!t.enabled()) r.fail(node, p, "needs `ca_file`, or `cert_file` and `key_file`");
}

void read_topics(yaml_reader& r, const YAML::Node& node, engine_config& e) {
  if (!node["topics"].IsDefined()) return;
  std::vector<std::string> patterns;
  r.read_string_list(node, "engine", "topics", patterns);
  for (std::size_t i = 0; i < patterns.size(); ++i)
    if (!topic_name::valid_pattern(patterns[i]))
      r.fail(node["topics"][i], "engine.topics[" + std::to_string(i) + "]",
             "not a topic pattern: \"" + patterns[i] + "\"");
  e.topics = std::move(patterns);
}

}  // namespace

void read_engine(yaml_reader& r, const YAML::Node& node, engine_config& e) {
  const std::string p = "engine";
  if (!r.open_map(node, p,
                  {"kind", "servers", "user", "password", "token", "creds_file", "tls", "replicas",
                   "storage", "topics", "stream_prefix", "max_in_flight", "publish_timeout",
                   "connect_timeout", "subscription_heartbeat"}))
    return;
  e.place = r.place(node);
  if (auto kind = r.read_choice(node, p, "kind", {"memory", "nats"}))
    e.kind = static_cast<engine_kind>(*kind);
  read_servers(r, node, e);
  read_credentials(r, node, e);
  if (node["tls"].IsDefined()) read_tls(r, node["tls"], e.tls);
  r.read_unsigned(node, p, "replicas", e.replicas, 1, 5);
  if (auto storage = r.read_choice(node, p, "storage", {"file", "memory"}))
    e.storage = static_cast<engine_storage>(*storage);
  read_topics(r, node, e);
  r.read_string(node, p, "stream_prefix", e.stream_prefix);
  if (!valid_stream_prefix(e.stream_prefix))
    r.fail(node["stream_prefix"], "engine.stream_prefix",
           "1-32 letters, digits, '-' or '_' (a JetStream stream name starts with it)");
  r.read_unsigned(node, p, "max_in_flight", e.max_in_flight, 1, 1000000);
  r.read_duration(node, p, "publish_timeout", e.publish_timeout, 10ms, 5min);
  r.read_duration(node, p, "connect_timeout", e.connect_timeout, 10ms, 5min);
  r.read_duration(node, p, "subscription_heartbeat", e.subscription_heartbeat, 100ms, 1min);
}

}  // namespace sluice::config
