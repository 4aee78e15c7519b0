#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "security/token_bucket.hpp"
#include "transport/server/shared_state.hpp"

namespace sluice::transport {

// The rate limits one connection's frames pass: its own buckets (per
// session) and the shared ones of its user and its address.
class inbound_limits {
 public:
  inbound_limits(shared_state& state, std::string ip, std::string user);

  struct refusal {
    std::chrono::milliseconds retry_after;
    const char* limit;  // rate_limits.<name> that refused
  };
  // Takes a point for one frame (and one more from the request limits when
  // it is a request). Nothing when the frame may go on.
  std::optional<refusal> admit(bool is_request);

 private:
  shared_state& state_;
  const config::rate_limits_config& cfg_;
  std::string ip_;
  std::string user_;  // empty: no per-user limits (anonymous, or no sub)
  std::optional<security::token_bucket> session_messages_;
  std::optional<security::token_bucket> session_requests_;
  bool any_limit_;  // false: admit() needs no clock and no lock (the common case)
};

}  // namespace sluice::transport
