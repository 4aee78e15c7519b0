#include "bin/cluster_node.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include <fstream>

#include "actors/messages.hpp"
#include "transport/server/server.hpp"

namespace sluice::cluster_node {

void configure(caf::actor_system_config& caf_cfg, const config::cluster_config& cfg) {
  caf_cfg.load<caf::io::middleman>();
  caf_cfg.set("middleman.heartbeat-interval", caf::timespan{cfg.heartbeat_interval});
  caf_cfg.set("middleman.connection-timeout", caf::timespan{cfg.heartbeat_timeout});
  if (cfg.tls.cert_file.empty()) return;
  caf_cfg.openssl_certificate = cfg.tls.cert_file;
  caf_cfg.openssl_key = cfg.tls.key_file;
  caf_cfg.openssl_cafile = cfg.tls.ca_file;
  caf_cfg.load<caf::openssl::manager>();
}

std::optional<std::string> check_tls(const config::cluster_config& cfg) {
  if (cfg.tls.cert_file.empty()) return std::nullopt;
  // The certificate and key load as the server's own TLS loads them.
  config::tls_config pair;
  pair.cert_file = cfg.tls.cert_file;
  pair.key_file = cfg.tls.key_file;
  if (auto error = transport::check_tls(pair)) {
    // It names the file as the server's own TLS would ("server.tls.cert_file …").
    std::string_view what = *error;
    if (what.starts_with("server.tls.")) what.remove_prefix(std::string_view{"server.tls."}.size());
    return "cluster.tls." + std::string{what};
  }
  if (!std::ifstream{cfg.tls.ca_file})
    return "cluster.tls: cannot read \"" + cfg.tls.ca_file + "\"";
  return std::nullopt;
}

bool start(caf::actor_system& system, actors::gateway& gateway, const config::cluster_config& cfg,
           std::string& error) {
  bool tls = !cfg.tls.cert_file.empty();
  auto middleman =
      tls ? system.openssl_manager().actor_handle() : system.middleman().actor_handle();
  auto actor = gateway.start_cluster(middleman);
  auto published = tls ? caf::openssl::publish(actor, cfg.port, cfg.host.c_str(), true)
                       : system.middleman().publish(actor, cfg.port, cfg.host.c_str(), true);
  if (!published) {
    error = system.render(published.error());
    return false;
  }
  caf::anon_send(actor, actors::cluster_listening_atom::value);
  return true;
}

}  // namespace sluice::cluster_node
