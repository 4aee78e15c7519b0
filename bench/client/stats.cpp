#include "bench/client/stats.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace sluice::bench {

double cpu_seconds(long pid) {
  if (pid <= 0) return 0;
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields{line.substr(close + 2)};
  std::string field;
  double ticks = 0;
  for (int i = 3; fields >> field; ++i) {  // field 3 is the state
    if (i == 14 || i == 15) ticks += std::stod(field);
    if (i == 15) break;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double rss_bytes(long pid) {
  if (pid <= 0) return 0;
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) return std::stod(line.substr(6)) * 1024;
  return 0;
}

double percentile_ms(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)] / 1000.0;
}

void print_latency(const char* what, const std::vector<std::uint32_t>& sorted) {
  std::printf("%s: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms\n", what,
              percentile_ms(sorted, 50), percentile_ms(sorted, 99), percentile_ms(sorted, 99.9),
              percentile_ms(sorted, 100));
}

}  // namespace sluice::bench
