#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"
#include "config/readers/yaml_reader.hpp"

namespace sluice::config {

// The `upstreams` section: each upstream's kind (process, websocket, sse,
// workers), its kind's keys and its supervision.
void read_upstreams(yaml_reader& r, const YAML::Node& node, config& cfg);

}  // namespace sluice::config
