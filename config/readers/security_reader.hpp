#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"
#include "config/readers/yaml_reader.hpp"

// The security keys: `auth`, `rate_limits`, and the access lists (`allow`,
// `subscribe`, `publish`) of routes and topic patterns.
namespace sluice::config {

void read_auth(yaml_reader& r, const YAML::Node& node, auth_config& a);
void read_rate_limits(yaml_reader& r, const YAML::Node& node, rate_limits_config& l);
void read_tls(yaml_reader& r, const YAML::Node& node, tls_config& t);

// `true`, `false`, or a list of principals (see access_list). `owner` is
// accepted only where `owner_allowed` (a topic pattern with exactly one `*`).
void read_access(yaml_reader& r, const YAML::Node& map, const std::string& path, const char* key,
                 access_list& out, bool owner_allowed);

}  // namespace sluice::config
