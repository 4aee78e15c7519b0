#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::actors {

// The stream frames a request asked for with `kinds` (docs/protocol.md,
// "Typed events"). A frame's kind is its upstream's own name for the event
// (`kind`), else its type (progress, token). `accepted`, `final` and `error`
// always go out: they start and end the request.
class kind_filter {
 public:
  explicit kind_filter(std::vector<std::string> kinds) : kinds_(std::move(kinds)) {}
  bool passes(std::string_view kind) const {
    return std::find(kinds_.begin(), kinds_.end(), kind) != kinds_.end();
  }

 private:
  std::vector<std::string> kinds_;
};

// Null: the request takes every kind.
using kind_filter_ptr = std::shared_ptr<const kind_filter>;

inline bool wanted(const kind_filter_ptr& filter, std::string_view kind) {
  return !filter || filter->passes(kind);
}

// On the reply shortcut: whether a frame of `kind` is dropped here, counted
// in sluice_stream_frames_filtered_total.
bool dropped_on_shortcut(const kind_filter_ptr& filter, std::string_view kind);

}  // namespace sluice::actors
