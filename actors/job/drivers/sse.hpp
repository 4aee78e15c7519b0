#pragma once

#include "actors/job/job.hpp"
#include "transport/upstream/sse_upstream.hpp"

namespace sluice::actors {

// Serves one request with one HTTP request to an `sse` upstream: the body is
// the configured template filled from the payload; each event's JSON object
// travels untouched in `data`, as `token` when it has the token field, as the
// `final` frame when its final field is true, as `progress` otherwise. Events
// are acknowledged to the client as the session acknowledges their frames.
// When the job ends for any reason the HTTP request is aborted. A request
// refused, answered 5xx or ended before its first event is retried (see
// upstream_attempts); a 4xx answer is not.
driver_factory sse_driver(transport::sse_client* client);

}  // namespace sluice::actors
