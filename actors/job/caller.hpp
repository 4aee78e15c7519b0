#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/request_template.hpp"

namespace sluice::actors {

// Who is asking, as a request's backend may learn it (docs/protocol.md, "Who
// is asking"): filled in the upstream's templates, sent to workers as the job
// frame's `client`, given to processes as SLUICE_* variables.
struct caller_info {
  std::string sub;  // empty: anonymous (or an API key without a sub)
  std::vector<std::string> roles;
  std::string client_id;                                    // empty: the connection named none
  std::vector<std::pair<std::string, std::string>> claims;  // the JWT's scalar claims
  std::string route;
};
using caller_ptr = std::shared_ptr<const caller_info>;

// The template values of a request: `payload` and `request_id` with the caller's.
config::request_template::values template_values(const caller_info* caller,
                                                 std::string_view payload,
                                                 std::string_view request_id);

// The worker job frame's `client`: {"sub":…,"roles":[…],"client_id":…} (null when absent).
std::string client_json(const caller_info* caller);

}  // namespace sluice::actors
