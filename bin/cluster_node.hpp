#pragma once

#include <caf/fwd.hpp>

#include <optional>
#include <string>

#include "actors/gateway/gateway.hpp"
#include "config/config.hpp"

namespace sluice::cluster_node {

// Loads CAF's network layer for a cluster node: the middleman with
// heartbeats (so a frozen peer is noticed), and the OpenSSL module when
// cluster.tls is set. Must run before the actor system is created.
void configure(caf::actor_system_config& caf_cfg, const config::cluster_config& cfg);

// Why cluster.tls cannot be used (a file that cannot be read), or nothing.
std::optional<std::string> check_tls(const config::cluster_config& cfg);

// Starts the gateway's cluster actor and publishes it on cluster.host:port
// (TLS when configured). False, with `error`, when the port cannot be opened.
bool start(caf::actor_system& system, actors::gateway& gateway, const config::cluster_config& cfg,
           std::string& error);

}  // namespace sluice::cluster_node
