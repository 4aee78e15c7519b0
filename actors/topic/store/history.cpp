#include "actors/topic/store/history.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include "protocol/topic_frames.hpp"

namespace sluice::actors {

namespace {

constexpr std::size_t bookkeeping_bytes =
    160;  // the deque slot, two allocations, the control block

}  // namespace

std::size_t message_cost(const stored_message& m) {
  return m.record.data.size() + (m.frame ? m.frame->size() : 0) + bookkeeping_bytes;
}

topic_history::topic_history(std::string topic, std::size_t max_size,
                             std::chrono::milliseconds max_age, std::size_t max_bytes,
                             std::shared_ptr<history_budget::account> account)
    : topic_(std::move(topic)),
      max_size_(max_size),
      max_age_(max_age),
      max_bytes_(max_bytes),
      account_(std::move(account)) {
  marker_.kind = static_cast<std::uint8_t>(protocol::frames::record_kind::marker);
}

topic_history::~topic_history() {
  if (account_) account_->shrink(bytes_);
}

void topic_history::charge(const stored_message& m) {
  auto n = message_cost(m);
  bytes_ += n;
  if (account_) account_->grow(n);
}

void topic_history::refund(const stored_message& m) {
  auto n = message_cost(m);
  bytes_ -= n;
  if (account_) account_->shrink(n);
}

stored_message topic_history::render(log_record record) const {
  auto frame = std::make_shared<const std::string>(protocol::frames::topic_message(topic_, record));
  return {std::move(record), std::move(frame)};
}

const stored_message& topic_history::append(log_record record) {
  record.offset = ++last_offset_;
  auto message = render(std::move(record));
  if (newest_) refund(*newest_);
  newest_.reset();  // the back of messages_ is the newest while there is one
  charge(message);
  if (max_size_ == 0) {
    newest_ = std::move(message);
    return *newest_;
  }
  messages_.push_back(std::move(message));
  trim();
  return messages_.back();
}

void topic_history::pop_oldest() {
  if (messages_.size() == 1) {
    newest_ = std::move(messages_.front());  // still charged
  } else {
    refund(messages_.front());
  }
  messages_.pop_front();
}

void topic_history::restore(std::vector<log_record> records) {
  for (auto& r : records) {
    if (static_cast<protocol::frames::record_kind>(r.kind) ==
        protocol::frames::record_kind::marker) {
      last_offset_ = r.offset;
      continue;
    }
    last_offset_ = r.offset - 1;  // the log's offsets are kept as they were
    append(std::move(r));
  }
}

void topic_history::reset(std::vector<log_record> records, std::uint64_t last) {
  for (const auto& m : messages_) refund(m);
  if (newest_) refund(*newest_);
  messages_.clear();
  newest_.reset();
  last_offset_ = records.empty() ? last : records.front().offset - 1;
  restore(std::move(records));
  last_offset_ = std::max(last_offset_, last);
}

void topic_history::trim() {
  while (messages_.size() > max_size_) pop_oldest();
  while (max_bytes_ > 0 && bytes_ > max_bytes_ && messages_.size() > 1) pop_oldest();
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
  if (out.empty() && last_offset_ > 0) {
    marker_.offset = last_offset_;
    out.push_back(&marker_);
  }
  return out;
}

}  // namespace sluice::actors
