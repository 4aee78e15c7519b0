#pragma once

#include "actors/job/job.hpp"
#include "transport/upstream/process_launcher.hpp"

namespace sluice::actors {

class topic_directory;

// Serves one request with one child process of a `process` upstream: the
// payload goes to its stdin; each stdout line becomes a `progress` frame
// (`json_lines`: its JSON object travels untouched in `data`, as `progress`,
// `token`, or kept for the `final`), stderr lines are `progress` frames marked
// level "error"; exit status 0 ends with `final`, anything else with
// `upstream_failed`. Lines are acknowledged to the launcher only as the
// session acknowledges their frames (flow_control.hpp), so when the client is
// behind the launcher stops reading and the process blocks on its own writes.
// When the job ends for any reason (cancel, disconnect, deadline) the process
// group gets SIGTERM, then SIGKILL after kill_grace. With `max_concurrent` the
// job first waits for a slot from the upstream's supervisor (the wait counts
// toward the deadline). A process that cannot start is not retried.
// `topics`: where the process's publish lines go (json_lines output); may be null.
driver_factory process_driver(transport::process_launcher* launcher, topic_directory* topics);

}  // namespace sluice::actors
