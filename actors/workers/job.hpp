#pragma once

#include <string>

#include "actors/job/job.hpp"

namespace sluice::actors {

// Serves one request on a route of a `workers` upstream: asks the upstream's
// worker_pool for a worker, then relays what the worker sends for the job
// (its JSON untouched in `data`). When the worker goes away before anything
// was streamed the request is retried on another worker (see
// upstream_attempts); after that the client gets `worker_lost`. When the job
// ends early the worker actor, which monitors it, sends the worker `cancel`.
// Flow control: the worker may send `job_credit_window` frames ahead; the
// session's credit for them goes back to the worker as `credit` frames, so a
// client that reads slowly pauses the worker. A worker that ignores its window
// ends the request with upstream_protocol_error.
driver_factory worker_driver(std::string route);

}  // namespace sluice::actors
