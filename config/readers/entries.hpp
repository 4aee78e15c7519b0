#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

#include "config/readers/yaml_reader.hpp"

// Names of the entries a config defines (routes, upstreams, this node).
namespace sluice::config {

// 1-64 characters of letters, digits, '_', '-', '.'.
bool valid_name(std::string_view name);

// The path of the entry `key` names in `section` (e.g. "routes.ask"), after
// checking the name; `duplicate`: an entry of that name came before.
std::string checked_entry(yaml_reader& r, const YAML::Node& key, const std::string& section,
                          const std::string& what, bool duplicate);

}  // namespace sluice::config
