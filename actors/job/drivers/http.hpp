#pragma once

#include "actors/job/job.hpp"
#include "transport/upstream/http_upstream.hpp"

namespace sluice::actors {

// Serves one request with one HTTP request to an `http` upstream (path,
// headers and body filled in from the request and who is asking); its whole
// JSON answer is the `final` frame's `result`. No answer, or a 5xx, is the
// upstream's failure (retried, see upstream_attempts); a 3xx (redirects are
// not followed) or 4xx ends the request with upstream_failed and the status;
// an answer that is not JSON or is over max_response_bytes with
// upstream_protocol_error. The exchange is aborted when the job ends.
driver_factory http_driver(transport::http_client* client);

}  // namespace sluice::actors
