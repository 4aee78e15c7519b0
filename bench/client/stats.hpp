#pragma once

#include <cstdint>
#include <vector>

// What the benchmark tools share.
namespace sluice::bench {

// utime + stime of process `pid` from /proc, in seconds (0 when unavailable).
double cpu_seconds(long pid);

// Resident set size of process `pid` from /proc, in bytes (0 when unavailable).
double rss_bytes(long pid);

// The `p`th percentile (0-100) of `sorted` microsecond samples, in milliseconds.
double percentile_ms(const std::vector<std::uint32_t>& sorted, double p);

// Prints "<what>: p50 …, p99 …, p99.9 …, max … ms" of `sorted` microsecond samples.
void print_latency(const char* what, const std::vector<std::uint32_t>& sorted);

}  // namespace sluice::bench
