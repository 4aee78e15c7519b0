#pragma once

#include <chrono>
#include <cstdint>

namespace sluice {

// Wall-clock time as Unix milliseconds (message timestamps, epochs, "since" times).
inline std::int64_t unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace sluice
