#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "core/append_log.hpp"
#include "transport/protocol.hpp"

namespace sluice::actors {

// A message as a topic keeps it: the record (what the log stores) and the
// frame rendered once for every subscriber.
struct stored_message {
  log_record record;
  transport::shared_frame frame;
};

// The bounded history of one topic. Offsets are consecutive from 1; the
// oldest messages leave when there are more than `max_size` or they are
// older than `max_age`. The last message is remembered even when history is
// empty (retain_last, and the next offset after a restart).
class topic_history {
 public:
  topic_history(std::string topic, std::size_t max_size, std::chrono::milliseconds max_age);

  // Assigns the next offset to `record` and keeps it.
  const stored_message& append(log_record record);

  // Takes records read back from the log (in offset order).
  void restore(std::vector<log_record> records);
  // Forgets everything and takes `records` (in offset order; another node's
  // history), whose newest offset is `last` (records may be empty).
  void reset(std::vector<log_record> records, std::uint64_t last);

  // Drops messages older than max_age (relative to `now_ms`).
  void expire(std::int64_t now_ms);

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
  // (so that offsets continue after a restart).
  std::vector<const log_record*> durable_records() const;

 private:
  stored_message render(log_record record) const;
  void trim();
  void pop_oldest();  // keeps the newest in newest_ when it is the last to go

  std::string topic_;
  std::size_t max_size_;
  std::chrono::milliseconds max_age_;
  std::deque<stored_message> messages_;
  std::optional<stored_message> newest_;  // only while messages_ is empty
  std::uint64_t last_offset_ = 0;
};

}  // namespace sluice::actors
