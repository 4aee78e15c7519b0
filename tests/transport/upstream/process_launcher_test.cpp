// Real child processes (/bin/sh) through the launcher.
#include "transport/upstream/process_launcher.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "transport/upstream/io_runtime.hpp"

namespace sluice::transport {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

class recorder : public process_events {
 public:
  void on_line(process_stream s, std::string line) override {
    std::lock_guard lock{mutex_};
    lines.push_back((s == process_stream::stdout_stream ? "out: " : "err: ") + line);
    cv_.notify_all();
  }
  void on_cut_line(process_stream, std::string line) override {
    std::lock_guard lock{mutex_};
    lines.push_back("cut: " + line);
    cv_.notify_all();
  }
  void on_line_too_long(process_stream) override {
    std::lock_guard lock{mutex_};
    too_long = true;
  }
  void on_exit(int code, int sig) override {
    std::lock_guard lock{mutex_};
    exit_code = code;
    signal = sig;
    exited = true;
    cv_.notify_all();
  }
  bool wait_for_lines(std::size_t n) {
    std::unique_lock lock{mutex_};
    return cv_.wait_for(lock, 10s, [&] { return lines.size() >= n; });
  }
  bool wait() {
    std::unique_lock lock{mutex_};
    return cv_.wait_for(lock, 10s, [&] { return exited; });
  }

  std::vector<std::string> lines;
  bool too_long = false;
  bool exited = false;
  int exit_code = -2;
  int signal = -2;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
};

process_spec sh(std::string script) {
  return {"/bin/sh", {"-c", std::move(script)}, {}, {}};
}

TEST(ProcessLauncher, StreamsLinesAndReportsExitCode) {
  io_runtime io;
  process_launcher launcher{io};
  auto events = std::make_shared<recorder>();
  launcher.launch(sh("echo one; echo two >&2; printf 'three'; exit 3"), "", events);
  ASSERT_TRUE(events->wait());
  EXPECT_THAT(events->lines, ::testing::UnorderedElementsAre("out: one", "err: two", "out: three"));
  EXPECT_EQ(events->exit_code, 3);
  EXPECT_EQ(events->signal, -1);
  EXPECT_EQ(launcher.running(), 0u);
}

TEST(ProcessLauncher, PassesStdinEnvAndWorkingDirectory) {
  io_runtime io;
  process_launcher launcher{io};
  auto events = std::make_shared<recorder>();
  auto spec = sh("read line; echo \"$line $GREETING $(pwd)\"");
  spec.env = {{"GREETING", "hi"}};
  spec.cwd = "/tmp";
  launcher.launch(spec, "payload\n", events);
  ASSERT_TRUE(events->wait());
  EXPECT_THAT(events->lines, ElementsAre("out: payload hi /tmp"));
  EXPECT_EQ(events->exit_code, 0);
}

TEST(ProcessLauncher, TerminateEndsTheWholeProcessGroup) {
  io_runtime io;
  process_launcher launcher{io};
  auto events = std::make_shared<recorder>();
  // The shell ignores SIGTERM, so only the SIGKILL after the grace period ends it.
  auto handle = launcher.launch(sh("trap '' TERM; sleep 300 & echo started; wait"), "", events);
  int group = handle->pid();
  ASSERT_TRUE(events->wait_for_lines(1));  // the trap is set
  handle->terminate(100ms);
  ASSERT_TRUE(events->wait());
  EXPECT_EQ(events->signal, SIGKILL);
  // No member of the group (the background sleep) is left once init has reaped the orphan.
  auto until = std::chrono::steady_clock::now() + 10s;
  while (::kill(-group, 0) == 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(::kill(-group, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(ProcessLauncher, OverlongLineIsReportedAndTheProcessStopped) {
  io_runtime io;
  process_launcher launcher{io};
  auto events = std::make_shared<recorder>();
  auto spec = sh("head -c 100000 /dev/zero | tr '\\0' x; echo; sleep 300");
  spec.max_line_bytes = 1000;
  launcher.launch(spec, "", events);
  ASSERT_TRUE(events->wait());
  EXPECT_TRUE(events->too_long);
  EXPECT_TRUE(events->lines.empty());
  EXPECT_EQ(events->signal, SIGTERM);
}

TEST(ProcessLauncher, WithCutLongLinesAnOverlongLineIsCutAndTheProcessGoesOn) {
  io_runtime io;
  process_launcher launcher{io};
  auto events = std::make_shared<recorder>();
  auto spec = sh("head -c 100000 /dev/zero | tr '\\0' x; echo; echo after; printf 'yyyyyyyyyy'");
  spec.max_line_bytes = 1000;
  spec.cut_long_lines = true;
  launcher.launch(spec, "", events);
  ASSERT_TRUE(events->wait());
  EXPECT_FALSE(events->too_long);
  EXPECT_THAT(events->lines,
              ElementsAre("cut: " + std::string(1000, 'x'), "out: after", "out: yyyyyyyyyy"));
  EXPECT_EQ(events->exit_code, 0);
}

TEST(ProcessLauncher, MissingExecutableThrows) {
  io_runtime io;
  process_launcher launcher{io};
  EXPECT_THROW(launcher.launch({"/nonexistent/bin", {}, {}, {}}, "", std::make_shared<recorder>()),
               std::system_error);
  EXPECT_EQ(launcher.running(), 0u);
}

}  // namespace
}  // namespace sluice::transport
