#pragma once

#include <yaml-cpp/yaml.h>

#include "config/engine.hpp"
#include "config/readers/yaml_reader.hpp"

namespace sluice::config {

// The `engine` section: memory or NATS JetStream, its servers, credentials,
// TLS, replication and which topics live there.
void read_engine(yaml_reader& r, const YAML::Node& node, engine_config& e);

}  // namespace sluice::config
