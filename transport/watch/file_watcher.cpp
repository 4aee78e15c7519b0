#include "transport/watch/file_watcher.hpp"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "transport/upstream/io_runtime.hpp"

namespace sluice::transport {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

constexpr auto retry_every = 2s;  // a directory that cannot be watched is tried again
constexpr std::uint32_t watched_events = IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_MOVED_TO |
                                         IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF;

bool matches(const std::string& pattern, const char* name) {
  return ::fnmatch(pattern.c_str(), name, FNM_PERIOD) == 0;
}

// The file as it is now: its content, or why there is none to report.
file_change read_file(const std::string& path, std::size_t max_bytes) {
  file_change c;
  c.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    c.what = errno == ENOENT ? file_change::kind::removed : file_change::kind::unreadable;
    c.error = std::strerror(errno);
    return c;
  }
  c.size = static_cast<std::uint64_t>(st.st_size);
  if (!S_ISREG(st.st_mode)) {
    c.what = file_change::kind::unreadable;
    c.error = "not a regular file";
  } else if (c.size > max_bytes) {
    c.what = file_change::kind::too_large;
  } else {
    std::ifstream in{path, std::ios::binary};
    std::ostringstream out;
    if (in) out << in.rdbuf();
    if (!in) {
      c.what = file_change::kind::unreadable;
      c.error = "cannot read it";
    } else {
      c.content = std::move(out).str();
      c.size = c.content.size();
    }
  }
  return c;
}

}  // namespace

struct file_watcher::impl : std::enable_shared_from_this<impl> {
  struct watch {
    watch_spec spec;
    std::shared_ptr<file_events> events;
    int wd = -1;
  };

  explicit impl(net::io_context& ioc) : ioc_(ioc), stream_(ioc) {
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd >= 0) stream_.assign(fd);
  }

  void start() { read(); }

  void add(std::shared_ptr<watch> w) {
    if (!stream_.is_open()) return w->events->on_watch_error("inotify is not available");
    w->wd = ::inotify_add_watch(stream_.native_handle(), w->spec.directory.c_str(), watched_events);
    if (w->wd < 0) {
      w->events->on_watch_error("cannot watch the directory " + w->spec.directory + ": " +
                                std::strerror(errno));
      return retry(std::move(w));
    }
    if (std::find(watches_.begin(), watches_.end(), w) == watches_.end()) watches_.push_back(w);
    scan(*w);
  }

  // Every file that matches now is reported as it is.
  void scan(const watch& w) {
    DIR* dir = ::opendir(w.spec.directory.c_str());
    if (dir == nullptr) return;
    std::vector<std::string> names;
    while (auto* entry = ::readdir(dir))
      if (matches(w.spec.pattern, entry->d_name)) names.emplace_back(entry->d_name);
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      auto c = read_file(w.spec.directory + "/" + name, w.spec.max_bytes);
      if (c.what != file_change::kind::removed) w.events->on_change(std::move(c));
    }
  }

  void retry(std::shared_ptr<watch> w) {
    auto timer = std::make_shared<net::steady_timer>(ioc_, retry_every);
    timer->async_wait([self = shared_from_this(), w, timer](boost::system::error_code ec) {
      if (!ec && !self->stopped_) self->add(w);
    });
  }

  void read() {
    if (!stream_.is_open()) return;
    stream_.async_read_some(net::buffer(buffer_), [self = shared_from_this()](
                                                      boost::system::error_code ec, std::size_t n) {
      if (ec || self->stopped_) return;
      self->parse(n);
      self->read();
    });
  }

  void parse(std::size_t n) {
    std::size_t at = 0;
    while (at + sizeof(inotify_event) <= n) {
      inotify_event e{};
      std::memcpy(&e, buffer_.data() + at, sizeof e);
      const char* name = e.len > 0 ? buffer_.data() + at + sizeof(inotify_event) : "";
      on_event(e, name);
      at += sizeof(inotify_event) + e.len;
    }
  }

  void on_event(const inotify_event& e, const char* name) {
    bool gone = (e.mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) != 0;
    for (const auto& w : watches_) {
      if (w->wd != e.wd) continue;
      if (gone) {
        w->wd = -1;
        w->events->on_watch_error("the directory " + w->spec.directory + " was removed or moved");
        retry(w);
      } else if (name[0] != '\0' && matches(w->spec.pattern, name)) {
        debounce(w, w->spec.directory + "/" + name);
      }
    }
  }

  // Reported once the file has been quiet for the watch's debounce.
  void debounce(const std::shared_ptr<watch>& w, const std::string& path) {
    auto& timer = pending_[path];
    if (!timer) timer = std::make_shared<net::steady_timer>(ioc_);
    timer->expires_after(w->spec.debounce);
    timer->async_wait([self = shared_from_this(), w, path](boost::system::error_code ec) {
      if (ec || self->stopped_) return;  // reset by a later change, or stopped
      self->pending_.erase(path);
      w->events->on_change(read_file(path, w->spec.max_bytes));
    });
  }

  void stop() {
    stopped_ = true;
    for (auto& [path, timer] : pending_) timer->cancel();
    pending_.clear();
    boost::system::error_code ignored;
    stream_.close(ignored);
  }

  net::io_context& ioc_;
  net::posix::stream_descriptor stream_;
  std::array<char, 64 * 1024> buffer_{};
  std::vector<std::shared_ptr<watch>> watches_;
  std::map<std::string, std::shared_ptr<net::steady_timer>> pending_;
  bool stopped_ = false;
};

file_watcher::file_watcher(io_runtime& io) : impl_(std::make_shared<impl>(io.context())) {
  net::post(io.context(), [impl = impl_] { impl->start(); });
}

file_watcher::~file_watcher() {
  net::post(impl_->ioc_, [impl = impl_] { impl->stop(); });
}

void file_watcher::watch(watch_spec spec, std::shared_ptr<file_events> events) {
  auto w = std::make_shared<impl::watch>(impl::watch{std::move(spec), std::move(events), -1});
  net::post(impl_->ioc_, [impl = impl_, w] { impl->add(w); });
}

}  // namespace sluice::transport
