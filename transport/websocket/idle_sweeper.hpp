#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

namespace sluice::transport {

class plain_websocket;

// The idle timeout of every plain WebSocket connection, kept by one timer for
// the whole server instead of one per connection: every half of idle_timeout
// it tells each live connection, on that connection's own executor, that a
// tick passed (plain_websocket::on_idle_tick: a quiet connection is pinged,
// one quiet for two ticks in a row is closed). A connection costs an entry in
// a list; entries of connections that are gone are dropped at the next tick.
class idle_sweeper {
 public:
  idle_sweeper(boost::asio::io_context& ioc, std::chrono::milliseconds idle);
  idle_sweeper(const idle_sweeper&) = delete;
  idle_sweeper& operator=(const idle_sweeper&) = delete;

  // `connection` lives as long as `owner` (a member of it).
  void watch(std::weak_ptr<void> owner, plain_websocket* connection);

 private:
  void arm();
  void tick();

  struct entry {
    std::weak_ptr<void> owner;
    plain_websocket* connection;
  };
  std::chrono::milliseconds period_;
  boost::asio::steady_timer timer_;
  std::mutex mutex_;
  std::vector<entry> entries_;
};

}  // namespace sluice::transport
