#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"
#include "config/readers/yaml_reader.hpp"

namespace sluice::config {

// The `routes` section (after `upstreams`, which routes name): each route's
// kind or upstream, access, priorities, publish_to, and the default route.
void read_routes(yaml_reader& r, const YAML::Node& node, config& cfg);

}  // namespace sluice::config
