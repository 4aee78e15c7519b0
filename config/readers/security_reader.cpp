#include "config/readers/security_reader.hpp"

#include <array>

namespace sluice::config {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t min_hs256_secret_bytes = 32;  // RFC 7518 3.2: at least the hash size

bool valid_principal(std::string_view p, bool owner_allowed) {
  if (p == "authenticated") return true;
  if (p == "owner") return owner_allowed;
  for (std::string_view prefix : {"role:", "sub:", "key:"})
    if (p.starts_with(prefix)) return p.size() > prefix.size();
  if (p.starts_with("claim:")) {
    auto eq = p.find('=');
    return eq != std::string_view::npos && eq > 6;
  }
  return false;
}

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

void read_jwt_key(yaml_reader& r, const YAML::Node& node, const std::string& path,
                  jwt_key_config& key) {
  if (!r.open_map(node, path, {"algorithm", "kid", "secret", "public_key", "public_key_file"}))
    return;
  key.place = r.place(node);
  if (!node["algorithm"].IsDefined())
    return r.fail(node, path + ".algorithm", "missing (HS256, RS256 or ES256)");
  auto alg = r.read_choice(node, path, "algorithm", {"HS256", "RS256", "ES256"});
  if (!alg) return;
  key.algorithm = std::array{"HS256", "RS256", "ES256"}[*alg];
  r.read_string(node, path, "kid", key.kid);
  r.read_string(node, path, "secret", key.secret);
  r.read_string(node, path, "public_key", key.public_key);
  r.read_string(node, path, "public_key_file", key.public_key_file);
  if (*alg == 0) {
    if (!node["secret"].IsDefined())
      r.fail(node, path + ".secret", "missing: HS256 needs a shared secret");
    else if (key.secret.size() < min_hs256_secret_bytes)
      r.fail(node["secret"], path + ".secret",
             "an HS256 secret must be at least 32 bytes (it is " +
                 std::to_string(key.secret.size()) + ")");
    if (!key.public_key.empty() || !key.public_key_file.empty())
      r.fail(node, path, "HS256 takes a `secret`, not a public key");
  } else {
    if (key.public_key.empty() == key.public_key_file.empty())
      r.fail(node, path, key.algorithm + " takes one of `public_key` or `public_key_file`");
    if (node["secret"].IsDefined())
      r.fail(node["secret"], path + ".secret", key.algorithm + " verifies with a public key");
  }
}

void read_jwt(yaml_reader& r, const YAML::Node& node, auth_config& a) {
  const std::string p = "auth.jwt";
  if (!r.open_map(node, p, {"issuer", "audience", "roles_claim", "keys"})) return;
  r.read_string(node, p, "issuer", a.issuer);
  r.read_string(node, p, "audience", a.audience);
  r.read_string(node, p, "roles_claim", a.roles_claim);
  auto keys = node["keys"];
  if (!keys.IsDefined() || !keys.IsSequence() || keys.size() == 0)
    return r.fail(keys.IsDefined() ? keys : node, p + ".keys",
                  "expected a list of at least one key");
  for (std::size_t i = 0; i < keys.size(); ++i) {
    jwt_key_config key;
    read_jwt_key(r, keys[i], p + ".keys[" + std::to_string(i) + "]", key);
    a.jwt_keys.push_back(std::move(key));
  }
}

void read_api_keys(yaml_reader& r, const YAML::Node& node, const std::string& path,
                   std::vector<api_key_config>& out) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) return r.fail(node, path, "expected a mapping of key names");
  for (const auto& kv : node) {
    api_key_config key;
    key.name = kv.first.Scalar();
    auto kpath = path + "." + key.name;
    if (!r.open_map(kv.second, kpath, {"sha256", "sub", "roles"})) {
      r.fail(kv.second, kpath, "expected a mapping with `sha256`");
      continue;
    }
    r.read_string(kv.second, kpath, "sha256", key.sha256);
    if (key.sha256.size() != 64 || !is_lower_hex(key.sha256))
      r.fail(kv.second["sha256"].IsDefined() ? kv.second["sha256"] : kv.second, kpath + ".sha256",
             "expected the key's SHA-256 as 64 lowercase hex digits "
             "(printf %s KEY | sha256sum); the key itself never goes in the config");
    r.read_string(kv.second, kpath, "sub", key.subject);
    r.read_string_list(kv.second, kpath, "roles", key.roles);
    out.push_back(std::move(key));
  }
}

void read_bucket(yaml_reader& r, const YAML::Node& node, const std::string& path,
                 rate_limit& limit) {
  if (!r.open_map(node, path, {"points", "per", "block_for"})) return;
  if (!node["points"].IsDefined()) r.fail(node, path + ".points", "missing");
  r.read_unsigned(node, path, "points", limit.points, 1, 100'000'000);
  r.read_duration(node, path, "per", limit.per, 1ms, 24h);
  r.read_duration(node, path, "block_for", limit.block_for, 0ms, 24h);
}

}  // namespace

void read_access(yaml_reader& r, const YAML::Node& map, const std::string& path, const char* key,
                 access_list& out, bool owner_allowed) {
  auto node = map[key];
  if (!node.IsDefined()) return;
  auto full = path + "." + key;
  if (node.IsScalar()) {
    bool everyone = true;
    r.read_bool(map, path, key, everyone);
    out = everyone ? access_list{} : access_list::no_one();
    return;
  }
  if (!node.IsSequence())
    return r.fail(node, full, "expected true, false or a list such as [\"role:admin\"]");
  access_list list{false, {}};
  for (std::size_t i = 0; i < node.size(); ++i) {
    auto item = full + "[" + std::to_string(i) + "]";
    auto v = r.scalar(node[i], item);
    if (!v) continue;
    if (!valid_principal(*v, owner_allowed))
      r.fail(node[i], item,
             "expected authenticated, role:NAME, sub:SUBJECT, key:NAME, claim:NAME=VALUE" +
                 std::string{owner_allowed ? " or owner" : ""} + ", got \"" + *v + "\"");
    list.principals.push_back(std::move(*v));
  }
  out = std::move(list);
}

void read_auth(yaml_reader& r, const YAML::Node& node, auth_config& a) {
  const std::string p = "auth";
  if (!r.open_map(node, p,
                  {"anonymous", "clock_skew", "require_exp", "max_token_lifetime", "jwt",
                   "api_keys", "http_api_keys", "user_channels"}))
    return;
  r.read_bool(node, p, "anonymous", a.anonymous);
  r.read_duration(node, p, "clock_skew", a.clock_skew, 0ms, 1h);
  r.read_bool(node, p, "require_exp", a.require_exp);
  r.read_duration(node, p, "max_token_lifetime", a.max_token_lifetime, 0ms, 24h * 3650);
  if (node["jwt"].IsDefined()) read_jwt(r, node["jwt"], a);
  read_api_keys(r, node["api_keys"], "auth.api_keys", a.api_keys);
  read_api_keys(r, node["http_api_keys"], "auth.http_api_keys", a.http_api_keys);
  r.read_bool(node, p, "user_channels", a.user_channels);
  if (!a.anonymous && a.jwt_keys.empty() && a.api_keys.empty())
    r.fail(node, "auth.anonymous",
           "anonymous access is off, but no jwt keys or api_keys could admit anyone");
}

void read_rate_limits(yaml_reader& r, const YAML::Node& node, rate_limits_config& l) {
  const std::string p = "rate_limits";
  static constexpr std::array<std::string_view, 8> keys{
      "session_messages", "user_messages", "ip_messages",    "session_requests",
      "user_requests",    "ip_requests",   "ip_connections", "close_after"};
  if (!r.open_map(node, p, std::span<const std::string_view>{keys})) return;
  std::array<rate_limit*, 7> buckets{&l.session_messages, &l.user_messages, &l.ip_messages,
                                     &l.session_requests, &l.user_requests, &l.ip_requests,
                                     &l.ip_connections};
  for (std::size_t i = 0; i < buckets.size(); ++i)
    if (node[keys[i].data()].IsDefined())
      read_bucket(r, node[keys[i].data()], p + "." + std::string{keys[i]}, *buckets[i]);
  r.read_unsigned(node, p, "close_after", l.close_after, 1, 1'000'000);
}

void read_tls(yaml_reader& r, const YAML::Node& node, tls_config& t) {
  const std::string p = "server.tls";
  if (!r.open_map(node, p, {"cert_file", "key_file", "require"})) return;
  t.place = r.place(node);
  r.read_together(node, p, {{"cert_file", &t.cert_file}, {"key_file", &t.key_file}});
  r.read_bool(node, p, "require", t.require);
}

}  // namespace sluice::config
