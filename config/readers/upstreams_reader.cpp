#include "config/readers/upstreams_reader.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "config/readers/entries.hpp"
#include "config/readers/values.hpp"
#include "core/topic_name.hpp"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;

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

// Reads the required `url` key, of `scheme` (or, with `secure`, the scheme
// with TLS: https), and splits it into `endpoint`.
void read_url(yaml_reader& r, const YAML::Node& node, const std::string& path,
              std::string_view scheme, std::string& url, url_parts& endpoint,
              std::string_view secure = {}) {
  if (!node["url"].IsDefined()) return r.fail(node, path + ".url", "missing");
  r.read_string(node, path, "url", url);
  if (url.empty()) return;
  if (auto parts = parse_url(url, scheme)) {
    endpoint = std::move(*parts);
  } else if (auto tls = secure.empty() ? std::nullopt : parse_url(url, secure)) {
    endpoint = std::move(*tls);
  } else if (!secure.empty()) {
    r.fail(node["url"], path + ".url",
           "expected " + std::string{scheme} + "://HOST:PORT/PATH or " + std::string{secure} +
               "://HOST:PORT/PATH, got \"" + url + "\"");
  } else {
    r.fail(node["url"], path + ".url",
           "expected " + std::string{scheme} + "://HOST:PORT/PATH, got \"" + url + "\" (" +
               std::string{scheme == "ws" ? "wss" : "https"} + ":// is not supported yet)");
  }
}

// A template (request_template.hpp) at `key`, when given.
void read_template(yaml_reader& r, const YAML::Node& node, const std::string& path, const char* key,
                   request_template& out) {
  if (!node[key].IsDefined()) return;
  std::string text;
  r.read_string(node, path, key, text);
  std::string problem;
  out = request_template::parse(std::move(text), problem);
  if (!problem.empty()) r.fail(node[key], path + "." + key, problem);
}

bool valid_header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) ||
           std::string_view{"!#$%&'*+-.^_`|~"}.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

// `headers:` name → value template. A value may not hold CR or LF (a field
// filled in may: it is percent-encoded then).
void read_headers(yaml_reader& r, const YAML::Node& node, const std::string& path,
                  templated_headers& out) {
  std::vector<std::pair<std::string, std::string>> plain;
  r.read_string_map(node, path, "headers", plain);
  for (auto& [name, value] : plain) {
    auto where = path + ".headers." + name;
    const auto& at = node["headers"][name];
    if (!valid_header_name(name)) r.fail(at, where, "not a valid HTTP header name");
    if (value.find_first_of("\r\n") != std::string::npos)
      r.fail(at, where, "a header value may not hold a line break");
    std::string problem;
    auto t = request_template::parse(std::move(value), problem);
    if (!problem.empty()) r.fail(at, where, problem);
    out.emplace_back(std::move(name), std::move(t));
  }
}

// The URL's path as a template: its fields are filled in per request.
void read_path_template(yaml_reader& r, const YAML::Node& node, const std::string& path,
                        const url_parts& endpoint, request_template& out) {
  std::string problem;
  out = request_template::parse(endpoint.path, problem);
  if (!problem.empty()) r.fail(node["url"], path + ".url", problem);
}

void read_websocket_upstream(yaml_reader& r, const YAML::Node& node, const std::string& path,
                             websocket_upstream_config& w) {
  r.read_duration(node, path, "connect_timeout", w.connect_timeout, 1ms, 5min);
  r.read_size(node, path, "max_message_bytes", w.max_message_bytes, 64, 64ULL << 20);
  read_template(r, node, path, "message", w.message);
  read_headers(r, node, path, w.headers);
  r.read_string(node, path, "type_field", w.type_field);
  if (w.type_field.empty()) r.fail(node["type_field"], path + ".type_field", "must not be empty");
  if (auto m = r.read_choice(node, path, "connections", {"per_request", "pooled"}))
    w.connections = static_cast<connection_mode>(*m);
  r.read_unsigned(node, path, "pool_size", w.pool_size, 1, 10'000);
  read_url(r, node, path, "ws", w.url, w.endpoint, "wss");
  for (const auto& [name, value] : w.headers)
    if (w.connections == connection_mode::pooled && value.uses_caller())
      r.fail(node["headers"][name], path + ".headers." + name,
             "a pooled connection serves every caller: its headers cannot name who is asking "
             "(use connections: per_request, or put the field in `message`)");
}

void read_sse_upstream(yaml_reader& r, const YAML::Node& node, const std::string& path,
                       sse_upstream_config& e) {
  if (auto m = r.read_choice(node, path, "method", {"POST", "GET"}))
    e.method = *m == 0 ? "POST" : "GET";
  read_headers(r, node, path, e.headers);
  read_template(r, node, path, "body", e.body);
  r.read_string(node, path, "token_field", e.token_field);
  r.read_string(node, path, "final_field", e.final_field);
  r.read_duration(node, path, "connect_timeout", e.connect_timeout, 1ms, 5min);
  r.read_size(node, path, "max_event_bytes", e.max_event_bytes, 64, 64ULL << 20);
  read_url(r, node, path, "http", e.url, e.endpoint, "https");
  read_path_template(r, node, path, e.endpoint, e.path);
}

void read_http_upstream(yaml_reader& r, const YAML::Node& node, const std::string& path,
                        http_upstream_config& h) {
  if (auto m = r.read_choice(node, path, "method", {"POST", "GET", "PUT", "PATCH", "DELETE"}))
    h.method = std::array{"POST", "GET", "PUT", "PATCH", "DELETE"}[*m];
  read_headers(r, node, path, h.headers);
  read_template(r, node, path, "body", h.body);
  r.read_duration(node, path, "connect_timeout", h.connect_timeout, 1ms, 5min);
  r.read_size(node, path, "max_response_bytes", h.max_response_bytes, 64, 64ULL << 20);
  read_url(r, node, path, "http", h.url, h.endpoint, "https");
  read_path_template(r, node, path, h.endpoint, h.path);
}

// `tls:` of an upstream reached over https.
void read_upstream_tls(yaml_reader& r, const YAML::Node& node, const std::string& path,
                       const url_parts& endpoint, upstream_tls& t) {
  auto tls = node["tls"];
  if (!tls.IsDefined()) return;
  auto tpath = path + ".tls";
  if (!endpoint.tls) r.fail(tls, tpath, "only an https:// or wss:// url is reached over TLS");
  if (!r.open_map(tls, tpath, {"ca_file", "cert_file", "key_file"})) return;
  t.place = r.place(tls);
  r.read_string(tls, tpath, "ca_file", t.ca_file);
  if (tls["cert_file"].IsDefined() || tls["key_file"].IsDefined())  // a client certificate
    r.read_together(tls, tpath, {{"cert_file", &t.cert_file}, {"key_file", &t.key_file}});
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
    if (auto star = sample.find('*'); star != std::string::npos) sample[star] = 'x';
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
      read_url(r, health, hpath, "http", s.health_url, s.health_endpoint, "https");
    r.read_duration(health, hpath, "interval", s.health_interval, 100ms, 24h);
    r.read_duration(health, hpath, "timeout", s.probe_timeout, 1ms, 5min);
  }
}

void read_upstream_body(yaml_reader& r, const YAML::Node& body, const std::string& path,
                        upstream_config& up) {
  auto kind = r.read_choice(body, path, "kind", {"process", "websocket", "sse", "workers", "http"});
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
                        keys({"url", "connect_timeout", "max_message_bytes", "message", "headers",
                              "tls", "type_field", "connections", "pool_size"}));
      if (open) read_websocket_upstream(r, body, path, up.websocket);
      if (open) read_upstream_tls(r, body, path, up.websocket.endpoint, up.tls);
      break;
    case upstream_kind::sse:
      open = r.open_map(body, path,
                        keys({"url", "method", "headers", "body", "tls", "token_field",
                              "final_field", "connect_timeout", "max_event_bytes"}));
      if (open) read_sse_upstream(r, body, path, up.sse);
      if (open) read_upstream_tls(r, body, path, up.sse.endpoint, up.tls);
      break;
    case upstream_kind::http:
      open = r.open_map(body, path,
                        keys({"url", "method", "headers", "body", "tls", "connect_timeout",
                              "max_response_bytes"}));
      if (open) read_http_upstream(r, body, path, up.http);
      if (open) read_upstream_tls(r, body, path, up.http.endpoint, up.tls);
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

}  // namespace

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
      r.fail(body, path + ".kind", "missing (known kinds: process, websocket, sse, http, workers)");
    else
      read_upstream_body(r, body, path, up);
    cfg.upstreams.push_back(std::move(up));
  }
}

}  // namespace sluice::config
