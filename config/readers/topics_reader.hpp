#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"
#include "config/readers/yaml_reader.hpp"

namespace sluice::config {

// The `topics` section: patterns with their options, the inbox, storage.
void read_topics(yaml_reader& r, const YAML::Node& node, topics_config& t);

}  // namespace sluice::config
