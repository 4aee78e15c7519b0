#pragma once

#include <string_view>

#include "config/config.hpp"
#include "security/identity.hpp"

namespace sluice::security {

// Whether `who` is on `list`. `owner` is the part of a topic name that its
// pattern's `*` matched (empty for routes): the principal `owner` admits the
// identity whose `sub` equals it.
bool allows(const config::access_list& list, const identity& who, std::string_view owner = {});

// The part of `name` that the single `*` of `pattern` matches; empty if the
// pattern has no single `*`.
std::string_view owner_part(std::string_view pattern, std::string_view name);

}  // namespace sluice::security
