#include "bin/file_checks.hpp"

#include <fstream>
#include <string>

#include "bin/cluster_node.hpp"
#include "security/jwt/jwt_keys.hpp"
#include "transport/http/static_pages.hpp"
#include "transport/server/server.hpp"
#include "transport/upstream/tls_client.hpp"

namespace sluice {
namespace {

// The engine's files are read by the NATS client when it connects: a file it
// cannot read is a config error here, not a failed start later.
std::optional<std::string> check_engine_files(const config::engine_config& e) {
  if (!e.nats()) return std::nullopt;
  for (auto [key, file] :
       {std::pair{"creds_file", &e.creds_file}, std::pair{"tls.ca_file", &e.tls.ca_file},
        std::pair{"tls.cert_file", &e.tls.cert_file}, std::pair{"tls.key_file", &e.tls.key_file}})
    if (!file->empty() && !std::ifstream{*file})
      return "engine." + std::string{key} + ": cannot read \"" + *file + "\"";
  return std::nullopt;
}

}  // namespace

void check_named_files(const config::config& cfg, std::vector<config::error>& errors) {
  auto at = [&](config::source_place place, std::string key, std::string message) {
    errors.push_back({cfg.source, place.line, place.column, std::move(key), std::move(message)});
  };
  for (std::size_t i = 0; i < cfg.auth.jwt_keys.size(); ++i) {
    const auto& key = cfg.auth.jwt_keys[i];
    if (auto why = security::jwt_keys::check(key))
      at(key.place, "auth.jwt.keys[" + std::to_string(i) + "]", std::move(*why));
  }
  if (!cfg.server.tls.cert_file.empty())
    if (auto why = transport::check_tls(cfg.server.tls))
      at(cfg.server.tls.place, "", std::move(*why));  // names server.tls.<file> itself
  if (!cfg.server.static_site.path.empty())
    if (auto why = transport::check_static_root(cfg.server.static_site))
      at(cfg.server.static_site.place, "", std::move(*why));
  if (auto why = cluster_node::check_tls(cfg.cluster))
    at(cfg.cluster.tls.place, "", std::move(*why));
  if (auto why = check_engine_files(cfg.engine)) at(cfg.engine.place, "", std::move(*why));
  for (const auto& up : cfg.upstreams) {
    bool https = (up.kind == config::upstream_kind::http && up.http.endpoint.tls) ||
                 (up.kind == config::upstream_kind::sse && up.sse.endpoint.tls) ||
                 (up.kind == config::upstream_kind::websocket && up.websocket.endpoint.tls) ||
                 up.supervision.health_endpoint.tls;
    if (!https) continue;
    if (auto why = transport::tls_client_context::check(up.tls))
      at(up.tls.place, "", "upstreams." + up.name + "." + *why);
  }
}

}  // namespace sluice
