#pragma once

#include <cstdint>
#include <string_view>

namespace sluice {

// Every error that crosses a boundary (an `error` frame, an HTTP error body, a
// log line, a metric label) is one of these. Wire names live in error_code.cpp.
enum class ec : std::uint8_t {
  invalid_json,             // the frame is not JSON
  invalid_frame,            // JSON, but not the shape of any client message
  unknown_type,             // `type` names no client message
  binary_unsupported,       // binary frames carry no protocol v1 message
  unknown_route,            // the request names a route that is not configured
  no_default_route,         // a {"text": …} frame, but no route is the default
  invalid_payload,          // the route cannot use the request's payload
  duplicate_id,             // a request id that is already in flight
  unknown_request,          // cancel of an id that is not in flight
  too_many_requests,        // over limits.max_requests_in_flight
  cancelled,                // the client cancelled the request
  deadline_exceeded,        // the route's timeout elapsed
  shutting_down,            // the server is draining
  upstream_unavailable,     // the upstream could not be reached or started
  upstream_failed,          // the upstream ended the request with a failure
  upstream_protocol_error,  // the upstream sent something Sluice cannot relay
  worker_lost,              // the worker serving the request went away after streaming
  unknown_job,              // a worker sent a frame for a job it does not hold
  not_registered,           // a worker sent a job frame before registering
  unauthorized,             // a worker's token or routes were refused
  internal,                 // a bug: the request's job failed
  frame_too_large,          // over server.max_frame_bytes (close 1009)
  slow_consumer,            // the outbound queue is full (close 1008)
  too_many_connections,     // over server.max_connections (HTTP 503)
  not_found,                // HTTP: unknown path
  method_not_allowed,       // HTTP: wrong method for a known path
  upgrade_required,         // HTTP: plain GET on the WebSocket path
  bad_request,              // HTTP: malformed request
  invalid_topic,            // a topic name outside the allowed charset or length
  topic_forbidden,          // no pattern allows this topic, or not for this client
  too_many_topics,          // over topics.max_topics
  not_subscribed,           // unsubscribe from a topic the session is not subscribed to
  invalid_offset,           // `since` is not a whole number, or past the last offset
  message_too_large,        // a publish over topics.max_message_bytes
  unknown_topic,            // HTTP: no topic of this name exists
  storage_failed,           // the topic's log could not be written: not acknowledged
  unauthenticated,          // no credential where one is required, or one that is not valid
  token_expired,            // the JWT's exp has passed (at connect, or during the session)
  forbidden,                // the identity may not use this route, topic or origin
  rate_limited,             // over a rate limit: retry after `retry_after` ms
  overloaded,               // a bounded queue (a topic's mailbox) is full: retry later
  owner_unavailable,        // the topic's owner node was lost with the publish in flight
  too_many_consumers,       // over a topic's consumers.max_consumers
  consumer_moved,           // another connection attached the same consumer
  quota_exceeded,           // over the route's per-user quota: retry after `retry_after` ms
  unknown_service,          // no service of this name is configured
  already_running,          // start of a service that runs (or is stopping)
  not_running,              // stop of a service that does not run
  start_failed,             // the service's command could not be started
  engine_unavailable,       // engine: nats is unreachable or without quorum: not published
};
constexpr ec last_ec = ec::engine_unavailable;  // keep it the last one above

std::string_view to_string(ec code) noexcept;

}  // namespace sluice
