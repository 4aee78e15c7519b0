#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "bench/client/protocol.hpp"

// One benchmark WebSocket connection on a single-threaded io_context, speaking
// one of the protocols of bench_protocol.hpp.
namespace sluice::bench {

struct target {
  std::string host = "127.0.0.1", port = "3000", path = "/ws";
  wire protocol = wire::sluice;
};

// Parses ws://HOST:PORT/PATH into `t`.
bool parse_target_url(const std::string& url, target& t);

struct connection_options {
  std::string topic;       // subscribed to when not empty
  bool read = true;        // false: never reads after the handshake (a stalled client)
  int receive_buffer = 0;  // SO_RCVBUF before connecting; 0: the system's default
};

class connection {
 public:
  connection(boost::asio::io_context& ioc, target t, connection_options o);
  ~connection();

  // Connects, upgrades, sends the protocol's hello; `ready` runs once it is sent.
  void open(std::function<void()> ready);
  void send(std::string frame);
  std::size_t queued() const;  // frames not yet written
  bool confirmed() const;      // the server confirmed the subscription
  const std::string& failure() const;

  // Called with each delivered message's data.
  void on_message(std::function<void(std::string_view)> fn);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;  // shared with operations in flight
};

// Runs `ioc` until `done()` holds or `limit` passes; false on timeout.
bool run_until(boost::asio::io_context& ioc, const std::function<bool()>& done,
               std::chrono::duration<double> limit);

// Monotonic nanoseconds: what a benchmark message carries as its send time.
std::int64_t now_ns();

}  // namespace sluice::bench
