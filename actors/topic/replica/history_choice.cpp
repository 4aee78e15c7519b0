#include "actors/topic/replica/history_choice.hpp"

#include <algorithm>

#include "protocol/topic_frames.hpp"

namespace sluice::actors {

bool newer(std::uint64_t a_epoch, std::uint64_t a_last, std::uint64_t b_epoch,
           std::uint64_t b_last) {
  if (a_last == 0) return false;
  if (b_last == 0) return true;
  return a_epoch > b_epoch || (a_epoch == b_epoch && a_last > b_last);
}

std::string take_claim(std::vector<log_record>& records) {
  std::string claim;
  std::erase_if(records, [&](log_record& r) {
    if (static_cast<protocol::frames::record_kind>(r.kind) != protocol::frames::record_kind::claim)
      return false;
    claim = std::move(r.data);
    return true;
  });
  return claim;
}

std::uint64_t diverges_at(const topic_history& mine, const std::vector<log_record>& theirs,
                          std::uint64_t their_last) {
  for (const auto& r : theirs) {
    if (r.offset > mine.last()) break;
    const auto* m = mine.find(r.offset);
    if (m == nullptr) continue;  // not held here any more: nothing to compare
    const auto& own = m->record;
    if (own.ts_ms != r.ts_ms || own.kind != r.kind || own.data != r.data) return r.offset;
  }
  return std::min(mine.last(), their_last) + 1;
}

void takeover_round::consider(history_copy theirs, bool was_owner) {
  ++answers;
  if (auto their_claim = take_claim(theirs.records);
      !their_claim.empty() && (claim.empty() || was_owner))
    claim = std::move(their_claim);
  take_consumers(theirs.records, consumers);
  bool better = !from_owner && (was_owner || newer(theirs.epoch, theirs.last, epoch, last));
  if (!better) return;
  from_owner = was_owner;
  found = true;
  epoch = theirs.epoch;
  last = theirs.last;
  records = std::move(theirs.records);
}

}  // namespace sluice::actors
