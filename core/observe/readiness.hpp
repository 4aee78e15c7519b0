#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace sluice {

// What the parts of a process behind the gateway report about themselves, for
// /readyz: each named component publishes whether it can serve and a JSON
// object describing its state. Written by whoever owns the component, read by
// the HTTP endpoint; safe from any thread.
class readiness_board {
 public:
  // Where /readyz shows an entry: under "upstreams", or as a field of its own.
  enum class section : std::uint8_t { upstreams, top };

  struct entry {
    std::string name;
    bool ready = true;
    std::string detail_json = "{}";  // a JSON object
    section where = section::upstreams;
  };

  static readiness_board& global();

  void publish(std::string name, bool ready, std::string detail_json,
               section where = section::upstreams);
  void remove(const std::string& name);
  std::vector<entry> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::vector<entry> entries_;  // in order of first publication
};

}  // namespace sluice
