#include "core/storage/file_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "core/observe/metrics.hpp"

namespace sluice {

struct file_cache::state {
  mutable std::mutex mutex;
  std::size_t limit;
  std::list<file*> lru;  // most recently used first; every open file
};

namespace {

struct file_cache_metrics {
  static file_cache_metrics& get() {
    static file_cache_metrics instance;
    return instance;
  }
  metrics::gauge& open = metrics::registry::global().add_gauge(
      "sluice_topic_log_files_open",
      "Topic log files open (at most topics.storage.max_open_files)");
  metrics::counter& evictions = metrics::registry::global().add_counter(
      "sluice_topic_log_file_evictions_total",
      "Topic log files closed to make room for another (least recently used first)");
};

}  // namespace

file_cache::file_cache(std::size_t limit) : state_(std::make_unique<state>()) {
  state_->limit = std::max<std::size_t>(limit, 1);
  file_cache_metrics::get();
}

file_cache::~file_cache() {
  for (auto* f : state_->lru) ::close(std::exchange(f->fd_, -1));
}

file_cache& file_cache::global() {
  static file_cache instance{1024};
  return instance;
}

void file_cache::set_limit(std::size_t limit) {
  std::lock_guard lock{state_->mutex};
  state_->limit = std::max<std::size_t>(limit, 1);
}

std::size_t file_cache::limit() const {
  std::lock_guard lock{state_->mutex};
  return state_->limit;
}

std::size_t file_cache::open_files() const {
  std::lock_guard lock{state_->mutex};
  return state_->lru.size();
}

std::shared_ptr<file_cache::file> file_cache::add(std::string path) {
  return {new file(std::move(path)), [this](file* f) {
            close(*f);  // out of the LRU before it is gone
            delete f;
          }};
}

int file_cache::acquire(file& f) {
  auto& s = *state_;
  std::unique_lock lock{s.mutex};
  if (f.fd_ >= 0) {
    s.lru.splice(s.lru.begin(), s.lru, f.lru_);
    return f.fd_;
  }
  // Close the least recently used files that are not in use. One that is in
  // use right now is skipped (try_lock: never waits, so never deadlocks); if
  // all are, the limit is exceeded until they are done.
  for (auto it = s.lru.end(); s.lru.size() >= s.limit && it != s.lru.begin();) {
    auto* victim = *--it;
    std::unique_lock victim_lock{victim->mutex_, std::try_to_lock};
    if (!victim_lock) continue;
    ::close(std::exchange(victim->fd_, -1));
    it = s.lru.erase(it);
    file_cache_metrics::get().open.dec();
    file_cache_metrics::get().evictions.inc();
  }
  lock.unlock();
  int fd = ::open(f.path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return -1;
  lock.lock();
  f.fd_ = fd;
  s.lru.push_front(&f);
  f.lru_ = s.lru.begin();
  file_cache_metrics::get().open.inc();
  return fd;
}

void file_cache::close(file& f) {
  std::lock_guard file_lock{f.mutex_};
  if (f.fd_ < 0) return;
  std::lock_guard lock{state_->mutex};
  state_->lru.erase(f.lru_);
  ::close(std::exchange(f.fd_, -1));
  file_cache_metrics::get().open.dec();
}

}  // namespace sluice
