#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/access_list.hpp"

namespace sluice::config {

// When a service's process is started again after it exits by itself.
enum class restart_policy { never, on_failure, always };

// A named long-running process under `services:`: at most one instance,
// started on boot or over the control plane, restarted by its policy, its
// output published line by line to `log_topic` and its life to `events_topic`.
struct service_config {
  std::string name;
  std::string command;  // absolute or relative path; no shell, no PATH lookup
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;                             // empty: Sluice's working directory
  std::chrono::milliseconds kill_grace{5000};  // SIGTERM, then SIGKILL after this long
  bool start_on_boot = false;
  restart_policy restart = restart_policy::never;
  // Restarts in a row (each run shorter than backoff_max) before it is `failed`.
  std::uint32_t restart_limit = 5;
  std::chrono::milliseconds backoff_base{1000};
  std::chrono::milliseconds backoff_max{30000};
  std::string log_topic;                   // empty: output is only logged
  std::string events_topic;                // empty: events are only logged
  std::size_t max_line_bytes = 64 * 1024;  // longer lines are cut and marked
  std::vector<std::string> on_success;     // services started when it exits with 0
  std::vector<std::string> on_failure;     // ... when it exits otherwise (not when stopped)
};

// What a watched file's change publishes: its content as JSON, as text, or
// only an event naming the file.
enum class watch_format { json, text, event };

// A `watch:` entry: files (a path, or a glob in its last part) whose changes
// are published to `topic`.
struct watch_config {
  std::string path;       // as configured
  std::string directory;  // the part before the last '/' ("." when none)
  std::string pattern;    // the last part: a name or a glob
  std::string topic;
  watch_format format = watch_format::json;
  std::chrono::milliseconds debounce{200};
  std::size_t max_bytes = 1024 * 1024;
};

struct services_config {
  // Who may control services with WebSocket frames (the HTTP API uses its keys).
  access_list allow = access_list::no_one();
  std::vector<service_config> services;
  std::vector<watch_config> watches;  // `watch:`, a top-level section

  const service_config* find(std::string_view name) const {
    for (const auto& s : services)
      if (s.name == name) return &s;
    return nullptr;
  }
};

}  // namespace sluice::config
