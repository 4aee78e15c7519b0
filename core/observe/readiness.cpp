#include "core/observe/readiness.hpp"

#include <algorithm>

namespace sluice {

readiness_board& readiness_board::global() {
  static readiness_board board;
  return board;
}

void readiness_board::publish(std::string name, bool ready, std::string detail_json,
                              section where) {
  std::lock_guard lock{mutex_};
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const entry& e) { return e.name == name && e.where == where; });
  if (it == entries_.end()) {
    entries_.push_back({std::move(name), ready, std::move(detail_json), where});
    return;
  }
  it->ready = ready;
  it->detail_json = std::move(detail_json);
}

void readiness_board::remove(const std::string& name) {
  std::lock_guard lock{mutex_};
  std::erase_if(entries_, [&](const entry& e) { return e.name == name; });
}

std::vector<readiness_board::entry> readiness_board::snapshot() const {
  std::lock_guard lock{mutex_};
  return entries_;
}

}  // namespace sluice
