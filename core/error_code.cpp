#include "core/error_code.hpp"

namespace sluice {

std::string_view to_string(ec code) noexcept {
  switch (code) {
    case ec::invalid_json:
      return "invalid_json";
    case ec::invalid_frame:
      return "invalid_frame";
    case ec::unknown_type:
      return "unknown_type";
    case ec::binary_unsupported:
      return "binary_unsupported";
    case ec::unknown_route:
      return "unknown_route";
    case ec::no_default_route:
      return "no_default_route";
    case ec::invalid_payload:
      return "invalid_payload";
    case ec::duplicate_id:
      return "duplicate_id";
    case ec::unknown_request:
      return "unknown_request";
    case ec::too_many_requests:
      return "too_many_requests";
    case ec::cancelled:
      return "cancelled";
    case ec::deadline_exceeded:
      return "deadline_exceeded";
    case ec::shutting_down:
      return "shutting_down";
    case ec::upstream_unavailable:
      return "upstream_unavailable";
    case ec::upstream_failed:
      return "upstream_failed";
    case ec::upstream_protocol_error:
      return "upstream_protocol_error";
    case ec::worker_lost:
      return "worker_lost";
    case ec::unknown_job:
      return "unknown_job";
    case ec::not_registered:
      return "not_registered";
    case ec::unauthorized:
      return "unauthorized";
    case ec::internal:
      return "internal";
    case ec::frame_too_large:
      return "frame_too_large";
    case ec::slow_consumer:
      return "slow_consumer";
    case ec::too_many_connections:
      return "too_many_connections";
    case ec::not_found:
      return "not_found";
    case ec::method_not_allowed:
      return "method_not_allowed";
    case ec::upgrade_required:
      return "upgrade_required";
    case ec::bad_request:
      return "bad_request";
    case ec::invalid_topic:
      return "invalid_topic";
    case ec::topic_forbidden:
      return "topic_forbidden";
    case ec::too_many_topics:
      return "too_many_topics";
    case ec::not_subscribed:
      return "not_subscribed";
    case ec::invalid_offset:
      return "invalid_offset";
    case ec::message_too_large:
      return "message_too_large";
    case ec::unknown_topic:
      return "unknown_topic";
    case ec::storage_failed:
      return "storage_failed";
    case ec::unauthenticated:
      return "unauthenticated";
    case ec::token_expired:
      return "token_expired";
    case ec::forbidden:
      return "forbidden";
    case ec::rate_limited:
      return "rate_limited";
    case ec::overloaded:
      return "overloaded";
    case ec::owner_unavailable:
      return "owner_unavailable";
  }
  return "internal";
}

}  // namespace sluice
