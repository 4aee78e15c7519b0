#pragma once

#include <vector>

#include "config/loader.hpp"

namespace sluice {

// What the configuration names, loaded as the server will load it: JWT public
// keys, the server's TLS certificate and key, the cluster's certificates.
// Each that does not load is an error at its entry (config::file_check), so
// that one run of --check-config lists these with the YAML's own errors.
void check_named_files(const config::config& cfg, std::vector<config::error>& errors);

}  // namespace sluice
