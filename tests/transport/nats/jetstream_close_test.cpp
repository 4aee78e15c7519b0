// The connection to a real nats-server, closed: every callback the library
// makes for it has run by the time the connection object is gone.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "transport/nats/engine_metrics.hpp"
#include "transport/nats/jetstream.hpp"

extern char** environ;

namespace sluice::transport {
namespace {

using namespace std::chrono_literals;

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A nats-server process on a free loopback port, killed at the end.
class nats_server {
 public:
  nats_server() : port_(free_port()) {
    std::string binary = ::access("/usr/sbin/nats-server", X_OK) == 0 ? "/usr/sbin/nats-server"
                                                                      : "/usr/bin/nats-server";
    std::string port = std::to_string(port_);
    const char* argv[] = {binary.c_str(), "-a", "127.0.0.1", "-p", port.c_str(), nullptr};
    if (::posix_spawn(&pid_, binary.c_str(), nullptr, nullptr, const_cast<char**>(argv), environ) !=
        0)
      pid_ = -1;
  }
  ~nats_server() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  nats_server(const nats_server&) = delete;
  nats_server& operator=(const nats_server&) = delete;

  bool running() const { return pid_ > 0; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
  pid_t pid_ = -1;
};

bool connects_within(const jetstream& js, std::chrono::seconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!js.connected() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);
  return js.connected();
}

TEST(JetstreamClose, TheDisconnectCallbackHasRunWhenTheConnectionIsGone) {
  nats_server server;
  ASSERT_TRUE(server.running()) << "nats-server could not be started (scripts/install-deps.sh)";
  config::engine_config cfg;
  cfg.kind = config::engine_kind::nats;
  cfg.servers = {server.url()};
  auto& metrics = engine_metrics::get();
  for (int round = 0; round < 5; ++round) {
    auto js = jetstream::start(cfg);
    ASSERT_NE(js, nullptr);
    ASSERT_TRUE(connects_within(*js, 30s)) << "never connected to " << server.url();
    auto disconnects = metrics.disconnects.value();
    js.reset();
    // Counted by the library's own thread: done before the object went, not
    // later (at exit, after the metrics themselves were gone).
    EXPECT_EQ(metrics.disconnects.value(), disconnects + 1) << "round " << round;
    EXPECT_EQ(metrics.connected.value(), 0) << "round " << round;
  }
}

}  // namespace
}  // namespace sluice::transport
