#include "actors/services/records.hpp"

#include <simdjson.h>

#include "core/json.hpp"

namespace sluice::actors::service_records {
namespace {

json::object event(std::string_view service, std::string_view name, std::int64_t ts_ms) {
  json::object obj;
  obj.str("service", service).str("event", name).num("ts", ts_ms);
  return obj;
}

std::string_view restart_name(config::restart_policy p) {
  switch (p) {
    case config::restart_policy::never:
      return "never";
    case config::restart_policy::on_failure:
      return "on_failure";
    case config::restart_policy::always:
      return "always";
  }
  return "never";
}

std::string_view format_name(config::watch_format format) {
  switch (format) {
    case config::watch_format::json:
      return "json";
    case config::watch_format::text:
      return "text";
    case config::watch_format::event:
      return "event";
  }
  return "json";
}

std::string nullable(int value) {
  return value < 0 ? "null" : std::to_string(value);
}

std::string exit_json(const exit_info& e) {
  return json::object{}
      .raw("code", nullable(e.code))
      .raw("signal", nullable(e.signal))
      .num("at", e.at_ms)
      .num("duration_ms", e.duration_ms)
      .boolean("stopped", e.stopped)
      .finish();
}

// The line as JSON when it is a whole JSON object or array, else nothing.
std::optional<std::string> json_of(std::string_view line) {
  auto first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || (line[first] != '{' && line[first] != '[')) return {};
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(line.data(), line.size()).get(doc)) return {};
  return simdjson::minify(doc);
}

}  // namespace

std::string log_line(std::string_view service, bool from_stderr, std::string_view line, bool cut,
                     std::int64_t ts_ms) {
  json::object obj;
  obj.str("service", service).str("stream", from_stderr ? "stderr" : "stdout").num("ts", ts_ms);
  if (auto as_json = cut ? std::nullopt : json_of(line))
    obj.raw("json", *as_json);
  else
    obj.str("line", line);
  if (cut) obj.boolean("cut", true);
  return obj.finish();
}

std::string started(std::string_view service, int pid, std::int64_t ts_ms) {
  return event(service, "started", ts_ms).num("pid", std::int64_t{pid}).finish();
}

std::string exited(std::string_view service, const exit_info& e) {
  return event(service, "exited", e.at_ms)
      .raw("code", nullable(e.code))
      .raw("signal", nullable(e.signal))
      .num("duration_ms", e.duration_ms)
      .boolean("stopped", e.stopped)
      .finish();
}

std::string restarting(std::string_view service, std::uint32_t attempt, std::int64_t in_ms,
                       std::int64_t ts_ms) {
  return event(service, "restarting", ts_ms)
      .num("attempt", std::int64_t{attempt})
      .num("in_ms", in_ms)
      .finish();
}

std::string failed(std::string_view service, std::string_view reason, std::int64_t ts_ms) {
  return event(service, "failed", ts_ms).str("reason", reason).finish();
}

std::string status_json(const config::service_config& cfg, const status& s) {
  json::object obj;
  obj.str("name", cfg.name).str("state", s.state);
  obj.raw("pid", s.pid > 0 ? std::to_string(s.pid) : "null");
  obj.raw("started_at", s.started_at_ms > 0 ? std::to_string(s.started_at_ms) : "null");
  obj.num("restarts", std::int64_t{s.restarts});
  obj.raw("last_exit", s.last_exit ? exit_json(*s.last_exit) : "null");
  obj.raw("last_error", s.last_error.empty() ? "null" : json::quoted(s.last_error));
  obj.str("restart", restart_name(cfg.restart));
  obj.raw("log_topic", cfg.log_topic.empty() ? "null" : json::quoted(cfg.log_topic));
  obj.raw("events_topic", cfg.events_topic.empty() ? "null" : json::quoted(cfg.events_topic));
  return obj.finish();
}

std::string watches(const std::vector<config::watch_config>& watches) {
  std::string array = "[";
  for (const auto& w : watches) {
    if (array.size() > 1) array += ',';
    array += json::object{}
                 .str("path", w.path)
                 .str("topic", w.topic)
                 .str("format", format_name(w.format))
                 .finish();
  }
  return array + "]";
}

}  // namespace sluice::actors::service_records
