#pragma once

#include "actors/job/job.hpp"
#include "transport/upstream/websocket_upstream.hpp"

namespace sluice::actors {

// Serves one request over its own WebSocket connection to a `websocket`
// upstream: sends the payload as one text message and relays every message
// back (the upstream's JSON untouched in `data`) until the upstream's `final`
// or `error`. Messages are acknowledged to the connector only as the session
// acknowledges their frames, so a slow client stops the socket being read.
// When the job ends for any other reason than the upstream's own final or
// error the connection is closed; after those it is released, and a `pooled`
// upstream keeps it for the next request. A connection that fails before the
// upstream's first message is retried (see upstream_attempts).
driver_factory websocket_driver(transport::websocket_connector* connector);

}  // namespace sluice::actors
