#include "core/priority.hpp"

#include <array>

namespace sluice {
namespace {
constexpr std::array<std::string_view, priority_levels> names{"low", "normal", "high", "critical"};
}

std::string_view to_string(priority p) {
  return names[static_cast<std::size_t>(p)];
}

std::optional<priority> parse_priority(std::string_view text) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return static_cast<priority>(i);
  return std::nullopt;
}

}  // namespace sluice
