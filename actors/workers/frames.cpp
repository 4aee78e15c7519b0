#include "actors/workers/frames.hpp"

#include "core/json.hpp"

namespace sluice::actors::worker_frames {

std::string registered(std::string_view worker_id, const std::vector<std::string>& routes,
                       std::uint32_t capacity, std::chrono::milliseconds heartbeat_interval) {
  return json::object{}
      .str("type", "registered")
      .str("worker", worker_id)
      .raw("routes", json::string_array(routes))
      .num("capacity", std::int64_t{capacity})
      .num("heartbeat_interval_ms", static_cast<std::int64_t>(heartbeat_interval.count()))
      .finish();
}

std::string job(std::string_view job, std::string_view route, std::string_view payload_json,
                std::uint32_t window) {
  return json::object{}
      .str("type", "job")
      .raw("job", job)
      .str("route", route)
      .raw("payload", payload_json)
      .num("window", std::int64_t{window})
      .finish();
}

std::string credit(std::string_view job, std::uint32_t n) {
  return json::object{}.str("type", "credit").raw("job", job).num("n", std::int64_t{n}).finish();
}

std::string cancel(std::string_view job) {
  return json::object{}.str("type", "cancel").raw("job", job).finish();
}

std::string error(ec code, std::string_view message, std::string_view job) {
  json::object obj;
  obj.str("type", "error").str("code", to_string(code)).str("message", message);
  if (!job.empty()) obj.raw("job", job);
  return obj.finish();
}

}  // namespace sluice::actors::worker_frames
