#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <thread>

namespace sluice::transport {

// An io_context run by a thread of its own: the runtime of each upstream
// client. stop() (the destructor calls it too) ends the thread; handlers still
// pending are destroyed with the io_context, so whatever they reference must
// be declared before the io_thread that runs them.
class io_thread {
 public:
  io_thread() : work_(boost::asio::make_work_guard(ioc_)), thread_([this] { ioc_.run(); }) {}
  ~io_thread() { stop(); }
  io_thread(const io_thread&) = delete;
  io_thread& operator=(const io_thread&) = delete;

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

}  // namespace sluice::transport
