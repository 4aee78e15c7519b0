#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "security/identity.hpp"

// Which inbox a client id names, and who may open it (docs/security.md,
// "What isolates what"). A client id never selects another principal's inbox:
//  - an identity with a principal (a JWT `sub`, or an API key) has its client
//    ids in its own namespace: inbox.<tag>:<client id>, where the tag stands
//    for the principal and nothing else;
//  - a client without one (anonymous, or a token without `sub`) uses
//    inbox.<client id>, which it claims on first use; resuming it later needs
//    the resume credential handed out then (inbox_claim).
// Client ids may not contain ':', so the two kinds of names never meet.
namespace sluice::security {

// The principal an identity's client ids belong to: its `sub`, else its API
// key ("key:<name>"); nothing for anonymous clients and tokens without `sub`.
std::optional<std::string> principal_of(const identity& who);

// The tag of `principal` in inbox names: the principal itself when it is 1-48
// letters, digits, '_' or '-' (and does not start with "h-"), else "h-"
// followed by 32 hex digits of its SHA-256.
std::string principal_tag(std::string_view principal);

// The inbox topic of `client_id` (a valid client id) for `who`.
std::string client_inbox(const identity& who, std::string_view client_id);

// The SHA-256 (hex) under which an inbox keeps its resume credential: the
// credential itself is never stored.
std::string credential_digest(std::string_view credential);

// Whether two digests are equal, in time independent of where they differ.
bool same_digest(std::string_view a, std::string_view b);

}  // namespace sluice::security
