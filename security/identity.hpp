#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sluice::security {

// Who is on the other end of a connection, as its credentials say.
struct identity {
  std::string subject;   // JWT `sub`, or the API key's `sub`; empty: none
  std::string key_name;  // the API key that admitted it; empty: not an API key
  std::vector<std::string> roles;
  std::vector<std::pair<std::string, std::string>> claims;  // top-level scalar JWT claims, as text
  std::int64_t expires_at = 0;                              // unix seconds; 0: never

  bool anonymous() const { return subject.empty() && key_name.empty(); }
};

}  // namespace sluice::security
