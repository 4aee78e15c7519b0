#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace sluice::log {

enum class level : std::uint8_t { debug, info, warn, error };
enum class format : std::uint8_t { text, json };

// One key=value pair of a structured log line. Never pass secrets.
struct field {
  field(std::string_view k, std::string_view v) : key(k), value(v) {}
  field(std::string_view k, const char* v) : key(k), value(v) {}
  field(std::string_view k, const std::string& v) : key(k), value(v) {}
  field(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  template <class Int>
  requires std::is_integral_v<Int> field(std::string_view k, Int v)
      : key(k), value(std::to_string(v)) {}
  field(std::string_view k, double v);

  std::string_view key;
  std::string value;
};

void configure(level min_level, format fmt);
bool enabled(level lvl);

// Writes one line to stderr: logfmt (`ts=… level=… component=… event=… k=v`)
// in text format, or one JSON object per line in json format.
void write(level lvl, std::string_view component, std::string_view event,
           std::initializer_list<field> fields = {});

inline void debug(std::string_view c, std::string_view e, std::initializer_list<field> f = {}) {
  if (enabled(level::debug)) write(level::debug, c, e, f);
}
inline void info(std::string_view c, std::string_view e, std::initializer_list<field> f = {}) {
  write(level::info, c, e, f);
}
inline void warn(std::string_view c, std::string_view e, std::initializer_list<field> f = {}) {
  write(level::warn, c, e, f);
}
inline void error(std::string_view c, std::string_view e, std::initializer_list<field> f = {}) {
  write(level::error, c, e, f);
}

std::string_view to_string(level lvl);

}  // namespace sluice::log
