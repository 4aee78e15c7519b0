#include "actors/topic/subscriber_set.hpp"

#include <algorithm>
#include <utility>

namespace sluice::actors {

void subscriber_set::subscribe(key who, std::uint64_t next, std::uint64_t asked_until,
                               std::uint64_t credit, window held, instructions& out) {
  auto& c = subs_[who];
  c.next = next;
  c.asked_until = asked_until;
  c.credit = credit;
  c.skipped_from.reset();
  c.waiting = false;
  pump(who, c, held, out);
}

bool subscriber_set::unsubscribe(key who) {
  return subs_.erase(who) != 0;
}

void subscriber_set::appended(window held, instructions& out) {
  for (auto it = subs_.begin(); it != subs_.end();) {
    auto& [who, c] = *it;
    if (!c.waiting) pump(who, c, held, out);
    if (c.next <= held.last && !within_lag(who, c, held, out)) {
      it = subs_.erase(it);
      continue;
    }
    ++it;
  }
}

void subscriber_set::grant(key who, std::uint64_t credit, window held, instructions& out) {
  auto it = subs_.find(who);
  if (it == subs_.end()) return;
  it->second.credit = credit;
  it->second.waiting = false;
  pump(who, it->second, held, out);
}

void subscriber_set::block(key who, std::uint64_t resume_from) {
  auto it = subs_.find(who);
  if (it == subs_.end()) return;
  auto& c = it->second;
  if (resume_from < c.next) {
    c.next = resume_from;
    // A skip for lag decided after the messages it cut short is void: the
    // lag is measured again from here.
    if (c.skipped_from && *c.skipped_from > resume_from) c.skipped_from.reset();
  }
  c.credit = 0;
  c.waiting = true;
}

void subscriber_set::rewind(std::uint64_t diverged, std::uint64_t old_last, std::string_view reason,
                            window held, instructions& out) {
  for (auto& [who, c] : subs_) {
    out.push_back({instruction::kind::gap, who, diverged, old_last, reason});
    c.next = std::min(c.next, diverged);
    // Offsets it skipped for lag below `diverged` are the same messages in the
    // new epoch: that skip is still owed its gap.
    if (c.skipped_from && *c.skipped_from >= c.next) c.skipped_from.reset();
    if (!c.waiting) pump(who, c, held, out);
  }
}

void subscriber_set::pump_all(window held, instructions& out) {
  for (auto& [who, c] : subs_)
    if (!c.waiting) pump(who, c, held, out);
}

std::uint64_t subscriber_set::next_of(key who) const {
  auto it = subs_.find(who);
  return it == subs_.end() ? 0 : it->second.next;
}

bool subscriber_set::within_lag(key who, cursor& c, window held, instructions& out) {
  auto owed_from = std::max(c.next, c.asked_until + 1);  // history it asked for is not lag
  if (policy_.max_lag == 0 || held.last < owed_from || held.last - owed_from + 1 <= policy_.max_lag)
    return true;
  if (policy_.disconnect) {
    out.push_back({instruction::kind::close, who, c.next, held.last, "slow"});
    return false;
  }
  // Drop the oldest: keep the newest max_lag; the rest is announced as a gap.
  if (!c.skipped_from) c.skipped_from = c.next;
  c.next = held.last - policy_.max_lag + 1;
  return true;
}

void subscriber_set::pump(key who, cursor& c, window held, instructions& out) {
  while (c.next <= held.last || c.skipped_from) {
    if (c.credit == 0) {
      c.waiting = true;
      out.push_back({instruction::kind::wait, who, c.next, c.next, {}});
      return;
    }
    --c.credit;  // a gap is a frame too
    if (c.skipped_from) {
      out.push_back({instruction::kind::gap, who, *std::exchange(c.skipped_from, std::nullopt),
                     c.next - 1, "slow"});
      continue;
    }
    if (c.next < held.first) {
      out.push_back({instruction::kind::gap, who, c.next, held.first - 1, "history"});
      c.next = held.first;
      continue;
    }
    auto until = std::min(held.last, c.next + c.credit);  // the one taken above, and credit more
    c.credit -= until - c.next;
    out.push_back({instruction::kind::messages, who, c.next, until, {}});
    c.next = until + 1;
  }
}

}  // namespace sluice::actors
