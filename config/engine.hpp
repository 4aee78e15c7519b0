#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "config/server.hpp"

namespace sluice::config {

// `engine:`: where topics keep their history and how they reach other nodes.
// `memory` (the default): in this process (and the CAF cluster, if any).
// `nats`: on NATS JetStream, one stream per topic (docs/engine.md).
enum class engine_kind : std::uint8_t { memory, nats };
enum class engine_storage : std::uint8_t { file, memory };

struct engine_tls_config {
  std::string ca_file;    // PEM CA the servers' certificates are checked against
  std::string cert_file;  // PEM client certificate (with key_file); empty: none
  std::string key_file;
  bool enabled() const { return !ca_file.empty() || !cert_file.empty(); }
};

struct engine_config {
  engine_kind kind = engine_kind::memory;
  std::vector<std::string> servers;  // nats:// or tls:// URLs
  // At most one way to log in: user and password, a token, or a creds file
  // (NKey seed and user JWT, as `nsc` writes it).
  std::string user;
  std::string password;
  std::string token;
  std::string creds_file;
  engine_tls_config tls;
  std::uint32_t replicas = 1;  // of each stream, 1-5
  engine_storage storage = engine_storage::file;
  // Topics that live in the engine (`*` matches any run of characters);
  // the others stay in memory. Default: all.
  std::vector<std::string> topics{"*"};
  std::string stream_prefix = "SLUICE";  // stream names: PREFIX_<topic, escaped>
  std::size_t max_in_flight = 4096;      // publishes sent and not yet acknowledged, per node
  std::chrono::milliseconds publish_timeout{5000};  // for the engine's acknowledgement
  std::chrono::milliseconds connect_timeout{2000};
  // The stream sends each topic's subscription a heartbeat this often when
  // idle; two to four missed ones (e.g. its NATS server died) make the
  // subscription start over.
  std::chrono::milliseconds subscription_heartbeat{1000};
  source_place place;  // of the `engine` section

  bool nats() const { return kind == engine_kind::nats; }
  // Whether `topic` lives in the engine.
  bool holds(std::string_view topic) const;
};

}  // namespace sluice::config
