#pragma once

#include "config/config.hpp"

namespace sluice {

// Every client connection, open topic log and upstream connection takes a
// file descriptor. Raises the soft RLIMIT_NOFILE towards what `cfg` may use
// (up to the hard limit) and warns, with what to change, when it stays lower:
// past it the server can no longer accept connections.
void check_descriptor_limit(const config::config& cfg);

}  // namespace sluice
