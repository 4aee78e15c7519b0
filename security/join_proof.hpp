#pragma once

#include <string>
#include <string_view>

namespace sluice::security {

// What a node shows when it joins a cluster: HMAC-SHA256 over its name and
// its process's identity (CAF node id), keyed with the cluster's shared
// secret, in hex. Bound to the process, a proof seen on the wire cannot be
// replayed by another process; the secret itself never crosses.
std::string join_proof(std::string_view secret, std::string_view node_name,
                       std::string_view process_id);

// Compares in constant time.
bool join_proof_matches(std::string_view secret, std::string_view node_name,
                        std::string_view process_id, std::string_view proof);

}  // namespace sluice::security
