#include "protocol/server_frames.hpp"

#include <memory>

#include "core/json.hpp"

namespace sluice::protocol::frames {

json::object typed(std::string_view type, std::string_view id) {
  json::object obj;
  obj.str("type", type);
  if (!id.empty()) obj.raw("id", id);
  return obj;
}

std::string welcome(const welcome_fields& w) {
  auto obj = typed("welcome", {});
  obj.str("session", w.session).str("node", w.node).num("protocol", std::int64_t{1});
  obj.raw("routes", json::string_array(w.routes));
  if (w.default_route.empty())
    obj.raw("default_route", "null");
  else
    obj.str("default_route", w.default_route);
  if (!w.inbox.empty()) obj.str("inbox", w.inbox);
  if (!w.resume.empty()) obj.str("resume", w.resume);
  if (!w.user.empty()) obj.str("user", w.user);
  if (!w.user_channel.empty()) obj.str("user_channel", w.user_channel);
  return obj.finish();
}

namespace {

// `frame` (an object) with `"key":value` added at its end.
std::string with_member(std::string frame, std::string_view key, std::string_view value_json) {
  if (frame.size() < 2 || frame.back() != '}') return frame;
  frame.pop_back();
  frame += ",\"";
  frame += key;
  frame += "\":";
  frame += value_json;
  frame += '}';
  return frame;
}

}  // namespace

std::string with_session(std::string frame, std::string_view session_id) {
  return with_member(std::move(frame), "session", json::quoted(session_id));
}

std::string with_timestamp(std::string frame, std::int64_t unix_ms) {
  return with_member(std::move(frame), "ts", std::to_string(unix_ms));
}

std::string accepted(std::string_view id, std::string_view server_id, std::uint32_t queued) {
  return typed("accepted", id)
      .str("request", server_id)
      .num("queued", std::int64_t{queued})
      .finish();
}

std::string progress(std::string_view id, std::uint32_t step, std::uint32_t steps) {
  return typed("progress", id)
      .num("step", std::int64_t{step})
      .num("steps", std::int64_t{steps})
      .finish();
}

std::string final_result(std::string_view id, std::string_view result) {
  return typed("final", id).str("result", result).finish();
}

std::string final_json(std::string_view id, std::string_view result_json) {
  return typed("final", id).raw("result", result_json).finish();
}

std::string fallback(std::string_view id, std::string_view result_json) {
  return typed("final", id).boolean("fallback", true).raw("result", result_json).finish();
}

std::string error(ec code, std::string_view message, std::string_view id) {
  return typed("error", id).str("code", to_string(code)).str("message", message).finish();
}

std::string error_with_status(ec code, std::string_view message, std::string_view id,
                              unsigned status) {
  return typed("error", id)
      .str("code", to_string(code))
      .str("message", message)
      .num("status", std::int64_t{status})
      .finish();
}

std::string rate_limited(std::string_view message, std::string_view id,
                         std::uint64_t retry_after_ms) {
  return typed("error", id)
      .str("code", to_string(ec::rate_limited))
      .str("message", message)
      .num("retry_after", static_cast<std::int64_t>(retry_after_ms))
      .finish();
}

std::string quota_exceeded(std::string_view message, std::string_view id,
                           std::uint64_t retry_after_ms, std::string_view limit) {
  return typed("error", id)
      .str("code", to_string(ec::quota_exceeded))
      .str("message", message)
      .num("retry_after", static_cast<std::int64_t>(retry_after_ms))
      .str("limit", limit)
      .finish();
}

std::string refreshed(std::string_view id, std::int64_t expires_at) {
  auto obj = typed("refreshed", id);
  if (expires_at > 0)
    obj.num("expires_at", expires_at);
  else
    obj.raw("expires_at", "null");
  return obj.finish();
}

std::string process_line(std::string_view id, bool from_stderr, std::string_view line) {
  auto obj = typed("progress", id);
  obj.str("stream", from_stderr ? "stderr" : "stdout");
  if (from_stderr) obj.str("level", "error");
  return obj.str("line", line).finish();
}

std::string with_data(std::string_view type, std::string_view id, std::string_view data_json,
                      std::string_view kind) {
  auto obj = typed(type, id);
  if (!kind.empty() && kind != type) obj.str("kind", kind);
  return obj.raw("data", data_json).finish();
}

std::string final_with_data(std::string_view id, std::string_view data_json) {
  return typed("final", id).raw("data", data_json).finish();
}

std::string upstream_error(std::string_view id, std::string_view data_json) {
  return typed("error", id)
      .str("code", to_string(ec::upstream_failed))
      .str("message", "the upstream reported an error")
      .raw("data", data_json)
      .finish();
}

std::string worker_error(std::string_view id, std::string_view message,
                         std::string_view data_json) {
  auto obj = typed("error", id);
  obj.str("code", to_string(ec::upstream_failed)).str("message", message);
  if (data_json != "null") obj.raw("data", data_json);
  return obj.finish();
}

std::string process_final(std::string_view id, std::string_view data_json) {
  auto obj = typed("final", id);
  obj.num("exit_code", std::int64_t{0});
  if (!data_json.empty()) obj.raw("data", data_json);
  return obj.finish();
}

std::string pong(std::string_view id) {
  return typed("pong", id).finish();
}

std::string service(std::string_view id, std::string_view status_json) {
  return typed("service", id).raw("service", status_json).finish();
}

std::string services(std::string_view id, std::string_view statuses_json,
                     std::string_view watches_json) {
  return typed("services", id).raw("services", statuses_json).raw("watches", watches_json).finish();
}

}  // namespace sluice::protocol::frames
