#include "actors/topic_history.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include "actors/topic_frames.hpp"

namespace sluice::actors {

topic_history::topic_history(std::string topic, std::size_t max_size,
                             std::chrono::milliseconds max_age)
    : topic_(std::move(topic)), max_size_(max_size), max_age_(max_age) {}

stored_message topic_history::render(log_record record) const {
  auto frame = std::make_shared<const std::string>(frames::topic_message(topic_, record));
  return {std::move(record), std::move(frame)};
}

const stored_message& topic_history::append(log_record record) {
  record.offset = ++last_offset_;
  auto message = render(std::move(record));
  if (max_size_ == 0) {
    newest_ = std::move(message);
    return *newest_;
  }
  newest_.reset();  // the back of messages_ is the newest while there is one
  messages_.push_back(std::move(message));
  trim();
  return messages_.back();
}

void topic_history::pop_oldest() {
  if (messages_.size() == 1) newest_ = std::move(messages_.front());
  messages_.pop_front();
}

void topic_history::restore(std::vector<log_record> records) {
  for (auto& r : records) {
    last_offset_ = r.offset - 1;  // the log's offsets are kept as they were
    append(std::move(r));
  }
}

void topic_history::reset(std::vector<log_record> records, std::uint64_t last) {
  messages_.clear();
  newest_.reset();
  last_offset_ = records.empty() ? last : records.front().offset - 1;
  restore(std::move(records));
  last_offset_ = std::max(last_offset_, last);
}

void topic_history::trim() {
  while (messages_.size() > max_size_) pop_oldest();
}

void topic_history::expire(std::int64_t now_ms) {
  if (max_age_.count() <= 0) return;
  auto oldest_allowed = now_ms - max_age_.count();
  while (!messages_.empty() && messages_.front().record.ts_ms < oldest_allowed) pop_oldest();
}

const stored_message* topic_history::find(std::uint64_t offset) const {
  if (offset < first() || offset > last_offset_) return nullptr;
  return &messages_[offset - first()];
}

std::vector<const log_record*> topic_history::durable_records() const {
  std::vector<const log_record*> out;
  for (const auto& m : messages_) out.push_back(&m.record);
  if (out.empty() && newest_) out.push_back(&newest_->record);
  return out;
}

}  // namespace sluice::actors
