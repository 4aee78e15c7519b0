#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "transport/client_link.hpp"

namespace sluice::actors {

// A client_link in memory: it records the frames sent to it and its close,
// and lets a test say whether it is congested. Safe from any thread.
class recording_link : public transport::client_link {
 public:
  static constexpr std::chrono::seconds patience{10};  // only to avoid hanging

  transport::send_status send(protocol::shared_frame frame) override {
    std::lock_guard lock{mutex_};
    frames_.push_back(*frame);
    changed_.notify_all();
    return transport::send_status::queued;
  }
  void close(transport::close_code code, std::string reason) override {
    std::lock_guard lock{mutex_};
    close_code_ = static_cast<int>(code);
    close_reason_ = std::move(reason);
    changed_.notify_all();
  }
  void consumed() override { ++consumed_; }
  bool congested() const override { return congested_; }
  void notify_when_writable() override { notice_requested_ = true; }
  const std::string& remote_address() const override { return remote_; }

  // The first `n` frames, once that many arrived (fewer after the patience ran out).
  std::vector<std::string> frames(std::size_t n) {
    std::unique_lock lock{mutex_};
    changed_.wait_for(lock, patience, [&] { return frames_.size() >= n; });
    return {frames_.begin(), frames_.begin() + std::min(n, frames_.size())};
  }
  std::size_t frame_count() {
    std::lock_guard lock{mutex_};
    return frames_.size();
  }
  int wait_for_close() {
    std::unique_lock lock{mutex_};
    changed_.wait_for(lock, patience, [&] { return close_code_ != 0; });
    return close_code_;
  }
  std::atomic<int> consumed_{0};
  std::atomic<bool> congested_{false};
  std::atomic<bool> notice_requested_{false};

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> frames_;
  int close_code_ = 0;
  std::string close_reason_;
  std::string remote_ = "test";
};

}  // namespace sluice::actors
