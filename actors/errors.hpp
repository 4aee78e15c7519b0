#pragma once

#include <caf/all.hpp>

#include <optional>
#include <string>

#include "core/error_code.hpp"

// `ec` as a caf::error, for the errors actors answer each other with, on one
// node or across the cluster (as Zeek Broker's error.hh does): a handler
// returns or delivers `make_error(ec::…)`, and the requester's error handler
// reads the code back with `ec_of`. Never a code name in a string.
namespace sluice {

// Found by ADL: caf::error{ec::storage_failed} works too. `message`, for
// humans, travels with it (message_of).
caf::error make_error(ec code);
caf::error make_error(ec code, std::string message);

}  // namespace sluice

namespace sluice::actors {

// The category of those errors ("sluice"); CAF's own errors have others.
constexpr caf::atom_value ec_category = caf::atom("sluice");

// The code an error carries, when it is one of ours (not, say, a timeout).
std::optional<ec> ec_of(const caf::error& error);
// The message an error of ours was made with; empty otherwise.
std::string message_of(const caf::error& error);

// Why a publish failed, as its publisher is told (storage_failed when the
// topic did not answer at all).
struct publish_failure {
  ec code;
  std::string message;
};
publish_failure publish_failure_of(const caf::error& error);

// Renders our errors by their wire name (for logs: system().render(e)).
void register_error_category(caf::actor_system_config& cfg);

}  // namespace sluice::actors
