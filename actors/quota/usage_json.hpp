#pragma once

#include <string>
#include <vector>

#include "actors/quota/ledger.hpp"

namespace sluice::actors {

// The body of GET /api/quotas/{principal}: per metered route its limits
// (null: none), the principal's usage summed over the nodes, and each node's.
std::string usage_json(const std::string& principal,
                       const std::vector<quota_ledger::route_usage>& routes,
                       quota_ledger::unix_ms now);

}  // namespace sluice::actors
