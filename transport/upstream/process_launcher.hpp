#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

// Child processes as upstreams: transport starts them and owns their pipes;
// actors see only process_handle and receive process_events. The launcher
// runs the pipes on its own I/O thread.
namespace sluice::transport {

class io_runtime;

struct process_spec {
  std::string command;  // path of the executable (no shell, no PATH lookup)
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // added to Sluice's environment
  std::string cwd;                                       // empty: Sluice's working directory
  std::size_t max_line_bytes = 1024 * 1024;
  // Lines delivered to process_events and not yet acknowledged, at most. When
  // the window is full the launcher stops reading the pipes, so the process
  // blocks on its own writes.
  std::uint32_t line_window = 16;
  // A line over max_line_bytes: its start is delivered (on_cut_line) and the
  // rest dropped; otherwise the process is terminated (on_line_too_long).
  bool cut_long_lines = false;
};

enum class process_stream { stdout_stream, stderr_stream };

// Called on the launcher's thread, in order: lines as they are printed (within
// the line window), then on_exit once both pipes are drained and the process
// has been reaped. After terminate(), remaining output is discarded.
class process_events {
 public:
  virtual ~process_events() = default;
  virtual void on_line(process_stream stream, std::string line) = 0;
  // A line exceeded max_line_bytes; the process is being terminated.
  virtual void on_line_too_long(process_stream stream) = 0;
  // With cut_long_lines: the first max_line_bytes of a longer line.
  virtual void on_cut_line(process_stream stream, std::string line) {
    on_line(stream, std::move(line));
  }
  // `exit_code` when it exited, or the `signal` that ended it (the other is -1).
  virtual void on_exit(int exit_code, int signal) = 0;
};

// A running process as actors see it. Safe to call from any thread.
class process_handle {
 public:
  virtual ~process_handle() = default;
  // SIGTERM to the process group, SIGKILL after `grace` if it is still alive.
  virtual void terminate(std::chrono::milliseconds grace) = 0;
  // `n` delivered lines were handled: that many more may be delivered.
  virtual void acknowledge(std::uint32_t n) = 0;
  virtual int pid() const = 0;
};

class process_launcher {
 public:
  // Runs on `io`, which must outlive it.
  explicit process_launcher(io_runtime& io);
  ~process_launcher();  // kills what is still running and reaps it
  process_launcher(const process_launcher&) = delete;
  process_launcher& operator=(const process_launcher&) = delete;

  // Starts `spec` in a new process group, writes `stdin_data` to its stdin
  // and closes it. Throws std::system_error when the process cannot start.
  std::shared_ptr<process_handle> launch(const process_spec& spec, std::string stdin_data,
                                         std::shared_ptr<process_events> events);

  // Processes started and not yet reaped.
  std::size_t running() const;

  // Whether `command` names an executable file (relative to `cwd` when that
  // is set and the command is relative); `why` says what is wrong otherwise.
  static bool can_execute(const std::string& command, const std::string& cwd, std::string& why);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::transport
