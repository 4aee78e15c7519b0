#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/services.hpp"

// What a service publishes and answers, as JSON: a line of its output (to
// log_topic), an event of its life (to events_topic), and its status (the
// control plane). docs/services.md shows each.
namespace sluice::actors::service_records {

// How a run of the service ended.
struct exit_info {
  int code = -1;    // -1: ended by `signal`
  int signal = -1;  // -1: exited with `code`
  std::int64_t at_ms = 0;
  std::int64_t duration_ms = 0;
  bool stopped = false;  // a stop (or restart, or shutdown) asked for it
};

struct status {
  std::string_view state;
  int pid = 0;  // 0: not running
  std::int64_t started_at_ms = 0;
  std::uint32_t restarts = 0;  // automatic restarts since the last start asked for
  std::optional<exit_info> last_exit;
  std::string last_error;
};

// A JSON object or array on the line is kept as JSON ("json"), other text as "line".
std::string log_line(std::string_view service, bool from_stderr, std::string_view line, bool cut,
                     std::int64_t ts_ms);
std::string started(std::string_view service, int pid, std::int64_t ts_ms);
std::string exited(std::string_view service, const exit_info& e);
std::string restarting(std::string_view service, std::uint32_t attempt, std::int64_t in_ms,
                       std::int64_t ts_ms);
std::string failed(std::string_view service, std::string_view reason, std::int64_t ts_ms);
std::string status_json(const config::service_config& cfg, const status& s);
// The watched files, as the JSON array a `services` frame carries.
std::string watches(const std::vector<config::watch_config>& watches);

}  // namespace sluice::actors::service_records
