#include "core/observe/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "core/json.hpp"

namespace sluice::log {
namespace {

std::atomic<level> min_level_{level::info};
std::atomic<format> format_{format::text};
std::mutex write_mutex_;

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buf;
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  return false;
}

void append_pair(std::string& line, std::string_view key, std::string_view value) {
  if (!line.empty()) line += ' ';
  line += key;
  line += '=';
  if (needs_quotes(value))
    json::append_string(line, value);
  else
    line += value;
}

// logfmt: every part of the line is key=value.
std::string text_line(level lvl, std::string_view component, std::string_view event,
                      std::initializer_list<field> fields) {
  std::string line;
  append_pair(line, "ts", timestamp());
  append_pair(line, "level", to_string(lvl));
  append_pair(line, "component", component);
  append_pair(line, "event", event);
  for (const auto& f : fields) append_pair(line, f.key, f.value);
  line += '\n';
  return line;
}

std::string json_line(level lvl, std::string_view component, std::string_view event,
                      std::initializer_list<field> fields) {
  json::object obj;
  obj.str("ts", timestamp()).str("level", to_string(lvl)).str("component", component);
  obj.str("event", event);
  for (const auto& f : fields) obj.str(f.key, f.value);
  auto line = obj.finish();
  line += '\n';
  return line;
}

}  // namespace

field::field(std::string_view k, double v) : key(k) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  value = buf;
}

void configure(level min, format fmt) {
  min_level_ = min;
  format_ = fmt;
}

bool enabled(level lvl) {
  return lvl >= min_level_.load(std::memory_order_relaxed);
}

void write(level lvl, std::string_view component, std::string_view event,
           std::initializer_list<field> fields) {
  if (!enabled(lvl)) return;
  auto line = format_.load(std::memory_order_relaxed) == format::json
                  ? json_line(lvl, component, event, fields)
                  : text_line(lvl, component, event, fields);
  std::lock_guard lock{write_mutex_};
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

std::string_view to_string(level lvl) {
  switch (lvl) {
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warn:
      return "warn";
    case level::error:
      return "error";
  }
  return "info";
}

}  // namespace sluice::log
