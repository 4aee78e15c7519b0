#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "actors/topic/store/history_budget.hpp"
#include "core/storage/append_log.hpp"
#include "protocol/shared_frame.hpp"

namespace sluice::actors {

// A message as a topic keeps it: the record (what the log stores) and the
// frame rendered once for every subscriber.
struct stored_message {
  log_record record;
  protocol::shared_frame frame;
};

// The bounded history of one topic. Offsets are consecutive from 1; the
// oldest messages leave when there are more than `max_size`, when they hold
// more than `max_bytes` together (the newest always stays), or when they are
// older than `max_age`. The last message is remembered even when history is
// empty (retain_last, and the next offset after a restart), unless memory
// pressure took it (evict_to). What it holds is charged to `account` when
// there is one (history_budget).
class topic_history {
 public:
  topic_history(std::string topic, std::size_t max_size, std::chrono::milliseconds max_age,
                std::size_t max_bytes = 0, std::shared_ptr<history_budget::account> account = {});
  ~topic_history();
  topic_history(const topic_history&) = delete;
  topic_history& operator=(const topic_history&) = delete;

  // Assigns the next offset to `record` and keeps it.
  const stored_message& append(log_record record);

  // Takes records read back from the log (in offset order).
  void restore(std::vector<log_record> records);
  // Forgets everything and takes `records` (in offset order; another node's
  // history), whose newest offset is `last` (records may be empty).
  void reset(std::vector<log_record> records, std::uint64_t last);

  // Drops messages older than max_age (relative to `now_ms`).
  void expire(std::int64_t now_ms);

  // Drops the oldest messages (the newest too, if need be) while `more()`
  // says so; returns how many went.
  template <class More>
  std::size_t evict_while(More more);
  std::size_t bytes() const { return bytes_; }
  history_budget::account* account() const { return account_.get(); }

  // Offset of the oldest message kept; last() + 1 when none is kept.
  std::uint64_t first() const { return last_offset_ + 1 - messages_.size(); }
  // Offset of the newest message ever appended; 0 when there was none.
  std::uint64_t last() const { return last_offset_; }
  std::size_t size() const { return messages_.size(); }

  // The message at `offset`, or null when history does not hold it.
  const stored_message* find(std::uint64_t offset) const;
  const stored_message* newest() const {
    if (!messages_.empty()) return &messages_.back();
    return newest_ ? &*newest_ : nullptr;
  }

  // What a compacted log must hold: every kept record, or at least the newest
  // (or a marker of its offset), so that offsets continue after a restart.
  std::vector<const log_record*> durable_records() const;

 private:
  stored_message render(log_record record) const;
  void trim();
  void pop_oldest();  // keeps the newest in newest_ when it is the last to go
  void charge(const stored_message& m);
  void refund(const stored_message& m);

  std::string topic_;
  std::size_t max_size_;
  std::chrono::milliseconds max_age_;
  std::size_t max_bytes_;  // 0: no bound
  std::shared_ptr<history_budget::account> account_;
  std::deque<stored_message> messages_;
  std::optional<stored_message> newest_;  // only while messages_ is empty
  std::uint64_t last_offset_ = 0;
  std::size_t bytes_ = 0;      // held by messages_ and newest_
  mutable log_record marker_;  // durable_records() when nothing is held
};

template <class More>
std::size_t topic_history::evict_while(More more) {
  std::size_t evicted = 0;
  for (; !messages_.empty() && more(); ++evicted) {
    refund(messages_.front());
    messages_.pop_front();
  }
  if (newest_ && more()) {
    refund(*newest_);
    newest_.reset();
  }
  return evicted;
}

// What one message costs in memory: its data, its rendered frame and the
// bookkeeping around them.
std::size_t message_cost(const stored_message& m);

}  // namespace sluice::actors
