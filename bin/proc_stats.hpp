#pragma once

namespace sluice::bench {

// utime + stime of process `pid` from /proc, in seconds (0 when unavailable).
double cpu_seconds(long pid);

}  // namespace sluice::bench
