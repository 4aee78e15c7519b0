// Over 400 lines for a reason: spawning (fork, PR_SET_PDEATHSIG, exec),
// reading stdout and stderr with flow control, and terminating the process
// group are one state machine around the same pipes and pid.
#include "transport/upstream/process_launcher.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <boost/asio.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <cstring>
#include <mutex>
#include <system_error>

#include "core/observe/metrics.hpp"
#include "transport/upstream/io_runtime.hpp"

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

// In the child: tells the parent why it could not start (errno), then exits.
[[noreturn]] void report_and_exit(int report) {
  int e = errno;
  while (::write(report, &e, sizeof e) < 0 && errno == EINTR) {
  }
  ::_exit(127);
}

// What the child does between fork and exec: only async-signal-safe calls,
// on memory prepared before the fork. It dies with Sluice (PR_SET_PDEATHSIG;
// if Sluice is already gone, it does not start at all). On failure it
// writes errno to `report` and exits.
[[noreturn]] void become_child(const process_spec& spec, int in, int out, int err, int report,
                               pid_t parent, char* const* argv, char* const* envp) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) report_and_exit(report);
  if (::getppid() != parent) ::_exit(127);  // Sluice died before prctl took effect
  if (::setpgid(0, 0) != 0) report_and_exit(report);
  sigset_t none;
  sigemptyset(&none);
  struct sigaction defaults {};
  defaults.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGCHLD}) ::sigaction(sig, &defaults, nullptr);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) report_and_exit(report);
  if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) report_and_exit(report);
  ::execve(spec.command.c_str(), argv, envp);
  report_and_exit(report);
}

// Starts `spec` with the given stdin/stdout/stderr, in its own process group,
// with default signal dispositions and an empty signal mask. (Not
// posix_spawn: it cannot set the parent-death signal.)
pid_t spawn(const process_spec& spec, int in, int out, int err) {
  std::vector<std::string> argv_strings{spec.command};
  argv_strings.insert(argv_strings.end(), spec.args.begin(), spec.args.end());
  auto env_strings = environment_with(spec.env);
  auto argv = c_strings(argv_strings);
  auto envp = c_strings(env_strings);
  auto report = make_pipe();  // closes on exec: EOF means the exec worked
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) become_child(spec, in, out, err, report[1], parent, argv.data(), envp.data());
  int fork_error = errno;
  ::close(report[1]);
  if (pid < 0) {
    ::close(report[0]);
    throw_errno(fork_error, "cannot start " + spec.command);
  }
  int child_error = 0;
  ssize_t n = 0;
  do {
    n = ::read(report[0], &child_error, sizeof child_error);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == static_cast<ssize_t>(sizeof child_error)) {
    ::waitpid(pid, nullptr, 0);
    throw_errno(child_error, "cannot start " + spec.command);
  }
  return pid;
}

struct process_metrics {
  static process_metrics& get() {
    static process_metrics instance;
    return instance;
  }
  metrics::gauge& running = metrics::registry::global().add_gauge(
      "sluice_processes_running", "Upstream child processes started and not yet reaped");
  metrics::counter& started = metrics::registry::global().add_counter(
      "sluice_processes_started_total", "Upstream child processes started");
  metrics::family<metrics::counter>& exits = metrics::registry::global().add_counter_family(
      "sluice_process_exits_total",
      "Upstream child processes reaped, by how they ended (exit_0, exit_nonzero, signal)", {"how"});
  metrics::counter& spawn_failures = metrics::registry::global().add_counter(
      "sluice_process_spawn_failures_total", "Upstream processes that could not be started");
};

}  // namespace

// One child process and its pipes. Everything runs on the child's strand; it
// keeps itself alive through its pending operations until it is reaped and
// both output pipes are drained.
class child : public process_handle, public std::enable_shared_from_this<child> {
 public:
  child(net::io_context& ioc, pid_t pid, int pidfd, int in, int out, int err,
        std::size_t max_line_bytes, bool cut_long_lines, std::uint32_t line_window,
        std::shared_ptr<process_events> events, shared_count running)
      : strand_(net::make_strand(ioc)),
        stdin_(strand_, in),
        streams_{pipe_reader{descriptor{strand_, out}}, pipe_reader{descriptor{strand_, err}}},
        pidfd_(strand_, pidfd),
        kill_timer_(strand_),
        pid_(pid),
        max_line_bytes_(max_line_bytes),
        cut_long_lines_(cut_long_lines),
        line_window_(line_window),
        events_(std::move(events)),
        running_(std::move(running)) {}

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
  void acknowledge(std::uint32_t n) override {
    net::post(strand_, [self = shared_from_this(), n] {
      self->unacked_ -= std::min(n, self->unacked_);
      self->pump(0);
      self->pump(1);
    });
  }
  int pid() const override { return pid_; }

 private:
  struct pipe_reader {
    explicit pipe_reader(descriptor d) : pipe(std::move(d)) {}
    descriptor pipe;
    std::array<char, 16 * 1024> chunk{};
    std::string pending;  // read, not yet split into lines (waiting for the window)
    std::string partial;  // the start of a line whose end has not been read
    bool open = true;     // until EOF is read and everything read is delivered
    bool eof = false;
    bool reading = false;
    bool discarding = false;  // inside an over-long line
    bool cut = false;         // `partial` is the start of an over-long line, kept (cut mode)
  };

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
    if (ec)
      s.eof = true;
    else
      s.pending.append(s.chunk.data(), n);
    pump(i);
  }

  // Delivers what stream `i` has read, as far as the line window allows; reads
  // more only when everything read so far is delivered.
  void pump(int i) {
    auto& s = streams_[i];
    if (!s.open || s.reading) return;
    std::size_t used = 0;
    while (used < s.pending.size() && window_open()) {
      auto nl = s.pending.find('\n', used);
      auto end = nl == std::string::npos ? s.pending.size() : nl;
      append_to_line(i, std::string_view{s.pending}.substr(used, end - used));
      used = end;
      if (nl == std::string::npos) break;
      ++used;
      end_line(i);
    }
    s.pending.erase(0, used);
    if (!s.pending.empty()) return;  // the window is full: wait for acknowledge()
    if (!s.eof) return do_read(i);
    if (!s.partial.empty() && (!s.discarding || s.cut)) {
      if (!window_open()) return;
      end_line(i);  // the last line had no newline
    }
    s.open = false;
    maybe_finish();
  }

  bool window_open() const { return terminating_ || unacked_ < line_window_; }

  void append_to_line(int i, std::string_view piece) {
    auto& s = streams_[i];
    if (s.discarding) return;
    if (s.partial.size() + piece.size() > max_line_bytes_) {
      s.discarding = true;
      if (cut_long_lines_) {  // keep the start; the rest of the line is dropped
        s.partial.append(piece.substr(0, max_line_bytes_ - s.partial.size()));
        s.cut = true;
        return;
      }
      s.partial.clear();
      events_->on_line_too_long(static_cast<process_stream>(i));
      do_terminate(std::chrono::milliseconds(1000));
      return;
    }
    s.partial.append(piece);
  }

  void end_line(int i) {
    auto& s = streams_[i];
    auto line = std::exchange(s.partial, {});
    bool cut = std::exchange(s.cut, false);
    if ((std::exchange(s.discarding, false) && !cut) || terminating_) return;  // nobody wants it
    if (!cut && !line.empty() && line.back() == '\r') line.pop_back();
    ++unacked_;
    if (cut)
      events_->on_cut_line(static_cast<process_stream>(i), std::move(line));
    else
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
    auto& m = process_metrics::get();
    m.running.dec();
    m.exits.with({signal_ >= 0 ? "signal" : exit_code_ == 0 ? "exit_0" : "exit_nonzero"}).inc();
    boost::system::error_code ignored;
    pidfd_.close(ignored);
    maybe_finish();
  }

  void do_terminate(std::chrono::milliseconds grace) {
    if (exited_ || terminating_) return;
    terminating_ = true;  // from now on output is drained and discarded
    pump(0);              // a blocked writer must be drained to see SIGTERM
    pump(1);
    ::kill(-pid_, SIGTERM);
    kill_timer_.expires_after(grace);
    kill_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec && !self->exited_) ::kill(-self->pid_, SIGKILL);
    });
  }

  void maybe_finish() {
    if (finished_ || !exited_ || streams_[0].open || streams_[1].open) return;
    finished_ = true;
    running_->fetch_sub(1);
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
  bool cut_long_lines_;
  std::uint32_t line_window_;
  std::shared_ptr<process_events> events_;
  shared_count running_;
  std::uint32_t unacked_ = 0;
  bool exited_ = false;
  bool terminating_ = false;
  bool finished_ = false;
  int exit_code_ = -1;
  int signal_ = -1;
};

struct process_launcher::impl {
  explicit impl(net::io_context& c) : ioc(c) {}
  net::io_context& ioc;
  shared_count running = make_count();
  std::mutex mutex;
  std::vector<std::weak_ptr<child>> children;  // for the kill on shutdown
};

process_launcher::process_launcher(io_runtime& io) : impl_(std::make_unique<impl>(io.context())) {
  process_metrics::get();  // listed in /metrics from the start
  // Writing to the stdin of a process that exited must fail with EPIPE, not kill Sluice.
  std::signal(SIGPIPE, SIG_IGN);
}

process_launcher::~process_launcher() {
  {
    std::lock_guard lock{impl_->mutex};
    for (auto& weak : impl_->children)
      if (auto c = weak.lock()) ::kill(-c->pid(), SIGKILL);
  }
  // Reap what was killed above, so no zombie outlives the launcher (the
  // runtime's thread may reap one first: then there is nothing to wait for).
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
    process_metrics::get().spawn_failures.inc();
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
  impl_->running->fetch_add(1);
  process_metrics::get().running.inc();
  process_metrics::get().started.inc();
  auto c = std::make_shared<child>(
      impl_->ioc, pid, pidfd, in[1], out[0], err[0], spec.max_line_bytes, spec.cut_long_lines,
      std::max(spec.line_window, 1u), std::move(events), impl_->running);
  {
    std::lock_guard lock{impl_->mutex};
    std::erase_if(impl_->children, [](const auto& w) { return w.expired(); });
    impl_->children.push_back(c);
  }
  c->start(std::move(stdin_data));
  return c;
}

std::size_t process_launcher::running() const {
  return impl_->running->load();
}

bool process_launcher::can_execute(const std::string& command, const std::string& cwd,
                                   std::string& why) {
  auto path = command.starts_with('/') || cwd.empty() ? command : cwd + "/" + command;
  if (::access(path.c_str(), X_OK) == 0) return true;
  why = path + ": " + std::strerror(errno);
  return false;
}

}  // namespace sluice::transport
