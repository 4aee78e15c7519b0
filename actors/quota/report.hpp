#pragma once

#include <caf/all.hpp>

#include <vector>

#include "actors/quota/ledger.hpp"

// What nodes of a cluster tell each other about quotas (ledger.hpp): the
// quota counts of their own principals that changed, or all of them for a
// peer that just joined. The sender is the peer that sent it.
namespace sluice::actors {

using quota_atom = caf::atom_constant<caf::atom("quota")>;

struct quota_report {
  std::vector<quota_entry> entries;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, quota_entry& x) {
  return f(caf::meta::type_name("sluice.quota_entry"), x.route, x.principal, x.window, x.in_flight,
           x.requests, x.units);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, quota_report& x) {
  return f(caf::meta::type_name("sluice.quota_report"), x.entries);
}

}  // namespace sluice::actors
