#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::transport {

// What a client may say in the query of its WebSocket URL:
//   /ws?client_id=alice&since=41&epoch=1732480000000&resume=<credential>
// `client_id` gives the session an inbox topic shared by every connection of
// that client (security/client_ids.hpp says which); `since` (and `epoch`)
// resume that inbox after the given offset; `resume` is the credential a
// client without a principal got when it first used its client id.
struct connect_params {
  std::string client_id;  // empty: an anonymous session, without an inbox
  std::int64_t since = -1;
  std::uint64_t epoch = 0;
  std::string resume;  // 32 hex digits, or empty
};

constexpr std::size_t max_client_id_bytes = 64;
constexpr std::size_t resume_credential_digits = 32;

// Parses the query (without '?'). Other parameters are ignored. Returns
// nothing, with `error`, for a malformed client_id, since or epoch.
std::optional<connect_params> parse_connect_params(std::string_view query, std::string& error);

}  // namespace sluice::transport
