#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice {

// A request's claim on capacity (worker queues, process slots): the order in
// which waiting requests are admitted, never the order of a stream's frames.
enum class priority : std::uint8_t { low = 0, normal = 1, high = 2, critical = 3 };

inline constexpr int priority_levels = 4;

std::string_view to_string(priority p);
// A priority carried between actors as a number; out of range reads as normal.
inline priority to_priority(std::uint8_t level) {
  return level < priority_levels ? static_cast<priority>(level) : priority::normal;
}

// "low", "normal", "high" or "critical"; nullopt for anything else.
std::optional<priority> parse_priority(std::string_view text);

}  // namespace sluice
