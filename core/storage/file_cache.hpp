#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>

// The descriptors of topic logs, at most `limit` open at once across every
// topic: a log opens its file when it writes and the least recently used
// files are closed to make room (an LRU), so that however many topics exist
// the process keeps descriptors for its clients. Thread-safe; each log is
// used by one actor at a time.
namespace sluice {

class file_cache {
 public:
  explicit file_cache(std::size_t limit);
  file_cache(const file_cache&) = delete;
  file_cache& operator=(const file_cache&) = delete;
  ~file_cache();

  // The cache every topic log uses (topics.storage.max_open_files).
  static file_cache& global();
  void set_limit(std::size_t limit);
  std::size_t limit() const;
  std::size_t open_files() const;

  class file;
  // A file at `path`, not opened yet. Opened for appending (O_WRONLY |
  // O_APPEND) when used.
  std::shared_ptr<file> add(std::string path);

  // Runs `use(fd)` with the file open (opening it, and closing the least
  // recently used others if the limit is reached). Returns false, with errno
  // set, when the file cannot be opened; else what `use` returned.
  template <class Use>
  bool with_fd(file& f, Use&& use);

  // Closes the file now (its path was replaced, or its log is gone).
  void close(file& f);

 private:
  struct state;
  int acquire(file& f);  // with f's mutex held: its open descriptor, or -1
  std::unique_ptr<state> state_;
};

class file_cache::file {
 public:
  explicit file(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

 private:
  friend class file_cache;
  std::string path_;
  std::mutex mutex_;  // held while the descriptor is in use, or being closed
  int fd_ = -1;
  std::list<file*>::iterator lru_;  // valid while open
};

template <class Use>
bool file_cache::with_fd(file& f, Use&& use) {
  std::lock_guard lock{f.mutex_};
  int fd = acquire(f);
  if (fd < 0) return false;
  return use(fd);
}

}  // namespace sluice
