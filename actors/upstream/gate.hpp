#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

namespace sluice::actors {

enum class circuit_state : std::uint8_t {
  closed,     // requests go through
  half_open,  // a probe is deciding; requests fail fast meanwhile
  open,       // requests fail fast until the next probe
};

constexpr std::string_view to_string(circuit_state s) {
  switch (s) {
    case circuit_state::closed:
      return "closed";
    case circuit_state::half_open:
      return "half_open";
    case circuit_state::open:
      return "open";
  }
  return "unknown";
}

// The circuit of one upstream as jobs read it, without a message round trip:
// the supervisor writes it, a job checks it before reaching for the upstream.
class upstream_gate {
 public:
  bool admits() const { return state_.load(std::memory_order_acquire) == circuit_state::closed; }
  circuit_state state() const { return state_.load(std::memory_order_acquire); }
  void set(circuit_state s) { state_.store(s, std::memory_order_release); }

 private:
  std::atomic<circuit_state> state_{circuit_state::closed};
};

}  // namespace sluice::actors
