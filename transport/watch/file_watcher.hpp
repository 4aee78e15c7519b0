#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

// Files watched with inotify on the upstream I/O thread: a change to a file
// that matches a watch is reported once it has been quiet for the watch's
// debounce, with the file's new content. The watch is on the file's
// directory, so a file that is removed, or replaced by a rename (as editors
// and careful writers do), is still followed.
namespace sluice::transport {

class io_runtime;

struct watch_spec {
  std::string directory;
  std::string pattern;  // a file name in `directory`, or a glob (fnmatch: * ? [...])
  std::chrono::milliseconds debounce{200};
  std::size_t max_bytes = 1024 * 1024;
};

// What a watched file became after a change (or, at the start, what it is).
struct file_change {
  enum class kind : std::uint8_t { changed, removed, too_large, unreadable };
  kind what = kind::changed;
  std::string path;     // directory/name
  std::string content;  // changed: the whole file
  std::uint64_t size = 0;
  std::string error;  // unreadable: why
};

// Called on the I/O thread.
class file_events {
 public:
  virtual ~file_events() = default;
  virtual void on_change(file_change change) = 0;
  // The directory cannot be watched (yet): it is tried again every few seconds.
  virtual void on_watch_error(const std::string& why) = 0;
};

class file_watcher {
 public:
  explicit file_watcher(io_runtime& io);  // `io` must outlive it
  ~file_watcher();
  file_watcher(const file_watcher&) = delete;
  file_watcher& operator=(const file_watcher&) = delete;

  // Reports every file that matches now, then each change.
  void watch(watch_spec spec, std::shared_ptr<file_events> events);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace sluice::transport
