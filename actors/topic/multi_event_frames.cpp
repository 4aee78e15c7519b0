#include "actors/topic/multi_event_frames.hpp"

#include <memory>
#include <string>

namespace sluice::actors {

multi_event_frames::chunk multi_event_frames::frame_from(std::uint64_t from, std::uint64_t until,
                                                         const frame_at_fn& frame_at) {
  auto found = built_.find(from);
  if (found != built_.end() && found->second.next <= until + 1) return found->second;
  auto frame = std::make_shared<std::string>(*frame_at(from));
  auto o = from + 1;
  while (o <= until && frame->size() + 1 + frame_at(o)->size() <= max_bytes_)
    frame->append(1, '\n').append(*frame_at(o++));
  chunk made{std::move(frame), o};
  // A subscriber with less credit (an earlier `until`) gets a shorter frame, not kept.
  if (found == built_.end()) built_.emplace(from, made);
  return made;
}

}  // namespace sluice::actors
