#include "transport/nats/job_lanes.hpp"

namespace sluice::transport {

job_lanes::job_lanes(std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    lanes_.push_back(std::make_shared<lane>());
    threads_.emplace_back([l = lanes_.back()] { run(l); });
  }
}

job_lanes::~job_lanes() {
  stop();
}

std::size_t job_lanes::lane_of(std::string_view key) const {
  return std::hash<std::string_view>{}(key) % lanes_.size();
}

void job_lanes::post(std::string_view key, job j) {
  auto& l = *lanes_[lane_of(key)];
  {
    std::lock_guard lock{l.mutex};
    if (!l.stopping) {
      l.jobs.push_back(std::move(j));
      j = nullptr;
    }
  }
  if (j) return j();
  l.wake.notify_one();
}

void job_lanes::stop() {
  stopping_ = true;
  auto self = std::this_thread::get_id();
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    auto& l = *lanes_[i];
    {
      std::lock_guard lock{l.mutex};
      l.stopping = true;
      l.orphaned = l.orphaned || threads_[i].get_id() == self;
    }
    l.wake.notify_all();
  }
  for (auto& t : threads_) {
    if (!t.joinable()) continue;
    t.get_id() == self ? t.detach() : t.join();
  }
}

// Runs jobs until stopped, then the jobs left, unless orphaned.
void job_lanes::run(const std::shared_ptr<lane>& l) {
  std::unique_lock lock{l->mutex};
  for (;;) {
    l->wake.wait(lock, [&] { return l->stopping || !l->jobs.empty(); });
    if (l->orphaned || l->jobs.empty()) return;
    auto j = std::move(l->jobs.front());
    l->jobs.pop_front();
    lock.unlock();
    j();
    j = nullptr;  // what it holds goes here, outside the lock
    lock.lock();
  }
}

}  // namespace sluice::transport
