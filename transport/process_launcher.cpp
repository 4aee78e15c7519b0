#include "transport/process_launcher.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <boost/asio.hpp>

#include <array>
#include <atomic>
#include <csignal>
#include <mutex>
#include <system_error>
#include <thread>

extern char** environ;

namespace sluice::transport {
namespace {

namespace net = boost::asio;
using descriptor = net::posix::stream_descriptor;

[[noreturn]] void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

// A pipe whose both ends close on exec; dup2 in the child clears the flag.
std::array<int, 2> make_pipe() {
  std::array<int, 2> fds{};
  if (pipe2(fds.data(), O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
  return fds;
}

std::vector<std::string> environment_with(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry{*e};
    bool overridden = false;
    for (const auto& [k, v] : extra) overridden = overridden || entry.starts_with(k + "=");
    if (!overridden) env.push_back(std::move(entry));
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Starts `spec` with the given stdin/stdout/stderr, in its own process group,
// with default signal dispositions and an empty signal mask.
pid_t spawn(const process_spec& spec, int in, int out, int err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in, 0);
  posix_spawn_file_actions_adddup2(&actions, out, 1);
  posix_spawn_file_actions_adddup2(&actions, err, 2);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, spec.cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> argv_strings{spec.command};
  argv_strings.insert(argv_strings.end(), spec.args.begin(), spec.args.end());
  auto env_strings = environment_with(spec.env);
  auto argv = c_strings(argv_strings);
  auto envp = c_strings(env_strings);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, spec.command.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw_errno(rc, "cannot start " + spec.command);
  return pid;
}

}  // namespace

// One child process and its pipes. Everything runs on the child's strand; it
// keeps itself alive through its pending operations until it is reaped and
// both output pipes are drained.
class child : public process_handle, public std::enable_shared_from_this<child> {
 public:
  child(net::io_context& ioc, pid_t pid, int pidfd, int in, int out, int err,
        std::size_t max_line_bytes, std::shared_ptr<process_events> events,
        std::atomic<std::size_t>& running)
      : strand_(net::make_strand(ioc)),
        stdin_(strand_, in),
        streams_{pipe_reader{descriptor{strand_, out}}, pipe_reader{descriptor{strand_, err}}},
        pidfd_(strand_, pidfd),
        kill_timer_(strand_),
        pid_(pid),
        max_line_bytes_(max_line_bytes),
        events_(std::move(events)),
        running_(running) {}

  void start(std::string stdin_data) {
    net::dispatch(strand_, [self = shared_from_this(), data = std::move(stdin_data)]() mutable {
      self->write_stdin(std::move(data));
      self->do_read(0);
      self->do_read(1);
      self->wait_for_exit();
    });
  }

  void terminate(std::chrono::milliseconds grace) override {
    net::post(strand_, [self = shared_from_this(), grace] { self->do_terminate(grace); });
  }
  void pause_reading() override {
    net::post(strand_, [self = shared_from_this()] { self->paused_ = true; });
  }
  void resume_reading() override {
    net::post(strand_, [self = shared_from_this()] { self->unpause(); });
  }
  int pid() const override { return pid_; }

 private:
  struct pipe_reader {
    explicit pipe_reader(descriptor d) : pipe(std::move(d)) {}
    descriptor pipe;
    std::array<char, 16 * 1024> chunk{};
    std::string partial;
    bool open = true;
    bool reading = false;
    bool discarding = false;  // inside an over-long line
  };

  void unpause() {
    paused_ = false;
    if (!streams_[0].reading && streams_[0].open) do_read(0);
  }

  void write_stdin(std::string data) {
    stdin_data_ = std::move(data);
    net::async_write(stdin_, net::buffer(stdin_data_),
                     [self = shared_from_this()](boost::system::error_code, std::size_t) {
                       boost::system::error_code ignored;
                       self->stdin_.close(ignored);  // EOF for the process (or it is gone)
                     });
  }

  void do_read(int i) {
    auto& s = streams_[i];
    s.reading = true;
    s.pipe.async_read_some(net::buffer(s.chunk), [self = shared_from_this(), i](
                                                     boost::system::error_code ec, std::size_t n) {
      self->on_read(i, ec, n);
    });
  }

  void on_read(int i, boost::system::error_code ec, std::size_t n) {
    auto& s = streams_[i];
    s.reading = false;
    if (ec) {
      if (!s.partial.empty() && !s.discarding) deliver(i, std::move(s.partial));
      s.open = false;
      return maybe_finish();
    }
    split_lines(i, std::string_view{s.chunk.data(), n});
    if (i == 1 || !paused_) do_read(i);  // stderr is never paused: it is small and diagnostic
  }

  void split_lines(int i, std::string_view data) {
    auto& s = streams_[i];
    while (!data.empty()) {
      auto nl = data.find('\n');
      auto piece = data.substr(0, nl);
      if (!s.discarding) {
        if (s.partial.size() + piece.size() > max_line_bytes_) {
          s.discarding = true;
          s.partial.clear();
          events_->on_line_too_long(static_cast<process_stream>(i));
          do_terminate(std::chrono::milliseconds(1000));
        } else {
          s.partial.append(piece);
        }
      }
      if (nl == std::string_view::npos) return;
      if (!s.discarding) deliver(i, std::exchange(s.partial, {}));
      s.discarding = false;
      data.remove_prefix(nl + 1);
    }
  }

  void deliver(int i, std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    events_->on_line(static_cast<process_stream>(i), std::move(line));
  }

  void wait_for_exit() {
    pidfd_.async_wait(descriptor::wait_read, [self = shared_from_this()](
                                                 boost::system::error_code) { self->on_exited(); });
  }

  void on_exited() {
    // The leader is a zombie, so its group id is still taken: kill what it
    // left behind (no orphans outlive a request), then reap it.
    ::kill(-pid_, SIGKILL);
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      signal_ = WIFSIGNALED(status) ? WTERMSIG(status) : -1;
    }
    exited_ = true;
    kill_timer_.cancel();
    unpause();  // drain to EOF so the pipes close even if nobody reads the rest
    boost::system::error_code ignored;
    pidfd_.close(ignored);
    maybe_finish();
  }

  void do_terminate(std::chrono::milliseconds grace) {
    if (exited_ || terminating_) return;
    terminating_ = true;
    unpause();  // a paused pipe could keep the process blocked on write, deaf to SIGTERM
    ::kill(-pid_, SIGTERM);
    kill_timer_.expires_after(grace);
    kill_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec && !self->exited_) ::kill(-self->pid_, SIGKILL);
    });
  }

  void maybe_finish() {
    if (finished_ || !exited_ || streams_[0].open || streams_[1].open) return;
    finished_ = true;
    running_.fetch_sub(1);
    events_->on_exit(exit_code_, signal_);
  }

  net::strand<net::io_context::executor_type> strand_;
  descriptor stdin_;
  std::string stdin_data_;
  std::array<pipe_reader, 2> streams_;  // stdout, stderr
  descriptor pidfd_;
  net::steady_timer kill_timer_;
  pid_t pid_;
  std::size_t max_line_bytes_;
  std::shared_ptr<process_events> events_;
  std::atomic<std::size_t>& running_;
  bool paused_ = false;
  bool exited_ = false;
  bool terminating_ = false;
  bool finished_ = false;
  int exit_code_ = -1;
  int signal_ = -1;
};

struct process_launcher::impl {
  net::io_context ioc{1};
  net::executor_work_guard<net::io_context::executor_type> work = net::make_work_guard(ioc);
  std::atomic<std::size_t> running{0};
  std::mutex mutex;
  std::vector<std::weak_ptr<child>> children;  // for the kill on shutdown
  std::thread thread;
};

process_launcher::process_launcher() : impl_(std::make_unique<impl>()) {
  // Writing to the stdin of a process that exited must fail with EPIPE, not kill Sluice.
  std::signal(SIGPIPE, SIG_IGN);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

process_launcher::~process_launcher() {
  {
    std::lock_guard lock{impl_->mutex};
    for (auto& weak : impl_->children)
      if (auto c = weak.lock()) ::kill(-c->pid(), SIGKILL);
  }
  impl_->work.reset();
  impl_->ioc.stop();
  impl_->thread.join();
  // Reap what was killed above, so no zombie outlives the launcher.
  std::lock_guard lock{impl_->mutex};
  for (auto& weak : impl_->children)
    if (auto c = weak.lock()) ::waitpid(c->pid(), nullptr, 0);
}

std::shared_ptr<process_handle> process_launcher::launch(const process_spec& spec,
                                                         std::string stdin_data,
                                                         std::shared_ptr<process_events> events) {
  auto in = make_pipe();
  auto out = make_pipe();
  auto err = make_pipe();
  pid_t pid = 0;
  try {
    pid = spawn(spec, in[0], out[1], err[1]);
  } catch (...) {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) ::close(fd);
    throw;
  }
  for (int fd : {in[0], out[1], err[1]}) ::close(fd);  // the child's ends
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    int e = errno;
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    for (int fd : {in[1], out[0], err[0]}) ::close(fd);
    throw_errno(e, "pidfd_open");
  }
  impl_->running.fetch_add(1);
  auto c = std::make_shared<child>(impl_->ioc, pid, pidfd, in[1], out[0], err[0],
                                   spec.max_line_bytes, std::move(events), impl_->running);
  {
    std::lock_guard lock{impl_->mutex};
    std::erase_if(impl_->children, [](const auto& w) { return w.expired(); });
    impl_->children.push_back(c);
  }
  c->start(std::move(stdin_data));
  return c;
}

std::size_t process_launcher::running() const {
  return impl_->running.load();
}

}  // namespace sluice::transport
