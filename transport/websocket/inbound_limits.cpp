#include "transport/websocket/inbound_limits.hpp"

namespace sluice::transport {
namespace {

using clock = std::chrono::steady_clock;

std::optional<security::token_bucket> bucket_for(const config::rate_limit& limit) {
  if (limit.points == 0) return std::nullopt;
  return security::token_bucket{limit, clock::now()};
}

}  // namespace

inbound_limits::inbound_limits(shared_state& state, std::string ip, std::string user)
    : state_(state),
      cfg_(state.options.rate_limits),
      ip_(std::move(ip)),
      user_(std::move(user)),
      session_messages_(bucket_for(cfg_.session_messages)),
      session_requests_(bucket_for(cfg_.session_requests)),
      any_limit_(cfg_.session_messages.points || cfg_.user_messages.points ||
                 cfg_.ip_messages.points || cfg_.session_requests.points ||
                 cfg_.user_requests.points || cfg_.ip_requests.points) {}

std::optional<inbound_limits::refusal> inbound_limits::admit(bool is_request) {
  if (!any_limit_) return std::nullopt;
  auto now = clock::now();
  auto& shared = state_.limits;
  auto check = [&](std::optional<security::token_bucket>& own, const config::rate_limit& limit,
                   security::rate_limiter& by_user, security::rate_limiter& by_ip,
                   const char* names[3]) -> std::optional<refusal> {
    if (own)
      if (auto wait = own->take(limit, now); wait.count() > 0) return refusal{wait, names[0]};
    if (!user_.empty())
      if (auto wait = by_user.take(user_, now); wait.count() > 0) return refusal{wait, names[1]};
    if (auto wait = by_ip.take(ip_, now); wait.count() > 0) return refusal{wait, names[2]};
    return std::nullopt;
  };
  static const char* message_limits[3] = {"session_messages", "user_messages", "ip_messages"};
  static const char* request_limits[3] = {"session_requests", "user_requests", "ip_requests"};
  if (auto r = check(session_messages_, cfg_.session_messages, shared.user_messages,
                     shared.ip_messages, message_limits))
    return r;
  if (!is_request) return std::nullopt;
  return check(session_requests_, cfg_.session_requests, shared.user_requests, shared.ip_requests,
               request_limits);
}

}  // namespace sluice::transport
