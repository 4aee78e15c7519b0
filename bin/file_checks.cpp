#include "bin/file_checks.hpp"

#include <string>

#include "bin/cluster_node.hpp"
#include "security/jwt/jwt_keys.hpp"
#include "transport/http/static_pages.hpp"
#include "transport/server/server.hpp"
#include "transport/upstream/tls_client.hpp"

namespace sluice {

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
