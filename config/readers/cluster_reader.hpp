#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"
#include "config/readers/yaml_reader.hpp"

namespace sluice::config {

// The `cluster` section: this node's name and middleman address, its peers,
// the shared secret, heartbeats and TLS between nodes.
void read_cluster(yaml_reader& r, const YAML::Node& node, cluster_config& c);

}  // namespace sluice::config
