#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"
#include "config/readers/yaml_reader.hpp"

namespace sluice::config {

// The `services` section (after `topics`, whose patterns must allow the
// services' topics): `allow`, and every other key a service.
void read_services(yaml_reader& r, const YAML::Node& node, config& cfg);

// The `watch` section: files whose changes are published to topics.
void read_watches(yaml_reader& r, const YAML::Node& node, config& cfg);

}  // namespace sluice::config
