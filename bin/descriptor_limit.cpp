#include "bin/descriptor_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

#include "core/observe/log.hpp"

namespace sluice {
namespace {

constexpr rlim_t headroom = 128;  // the process itself, its listeners, cluster links, probes

rlim_t descriptors_needed(const config::config& cfg) {
  rlim_t n = cfg.server.max_connections + headroom;
  if (!cfg.topics.storage.path.empty()) n += cfg.topics.storage.max_open_files;
  for (const auto& u : cfg.upstreams) {
    if (u.kind == config::upstream_kind::process)  // three pipes and a pidfd per process
      n += 4 * static_cast<rlim_t>(u.process.max_concurrent > 0 ? u.process.max_concurrent : 64);
    if (u.kind == config::upstream_kind::websocket &&
        u.websocket.connections == config::connection_mode::pooled)
      n += u.websocket.pool_size;
  }
  return n;
}

}  // namespace

void check_descriptor_limit(const config::config& cfg) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  auto needed = descriptors_needed(cfg);
  if (limit.rlim_cur < needed && limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = std::min(needed, limit.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur >= needed) return;
  log::warn("main", "descriptor_limit_low",
            {{"soft_limit", static_cast<std::uint64_t>(limit.rlim_cur)},
             {"hard_limit", static_cast<std::uint64_t>(limit.rlim_max)},
             {"needed", static_cast<std::uint64_t>(needed)},
             {"hint",
              "raise `ulimit -n` (LimitNOFILE= under systemd), or lower server.max_connections "
              "or topics.storage.max_open_files"}});
}

}  // namespace sluice
