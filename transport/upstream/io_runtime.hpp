#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>

namespace sluice::transport {

// The thread every upstream client (processes, WebSocket and SSE upstreams,
// health probes, deadline timers) runs its sockets and timers on: one
// io_context, created in bin/ and passed to each client. One thread, so a
// client's handlers never run concurrently with each other.
//
// stop() (the destructor calls it too) ends the thread. Handlers not yet run
// are destroyed with the runtime, after the clients: so each client's handlers
// own (share) whatever they use of it, never a reference into the client.
class io_runtime {
 public:
  io_runtime() : work_(boost::asio::make_work_guard(ioc_)), thread_([this] { ioc_.run(); }) {}
  ~io_runtime() { stop(); }
  io_runtime(const io_runtime&) = delete;
  io_runtime& operator=(const io_runtime&) = delete;

  void stop() {
    if (!thread_.joinable()) return;
    work_.reset();
    ioc_.stop();
    thread_.join();
  }

  boost::asio::io_context& context() { return ioc_; }

 private:
  boost::asio::io_context ioc_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

// A count a client keeps of its operations in progress, shared with them:
// they may outlive the client.
using shared_count = std::shared_ptr<std::atomic<std::size_t>>;
inline shared_count make_count() {
  return std::make_shared<std::atomic<std::size_t>>(0);
}

}  // namespace sluice::transport
