#pragma once

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
  struct entry {
    std::string name;
    bool ready = true;
    std::string detail_json = "{}";  // a JSON object
  };

  static readiness_board& global();

  void publish(std::string name, bool ready, std::string detail_json);
  void remove(const std::string& name);
  std::vector<entry> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::vector<entry> entries_;  // in order of first publication
};

}  // namespace sluice
