#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "transport/beast.hpp"
#include "transport/websocket/exact_allocator.hpp"
#include "transport/websocket/frame_reader.hpp"
#include "transport/websocket/idle_sweeper.hpp"
#include "transport/websocket/serial_write_stream.hpp"

namespace sluice::transport {

// A server WebSocket on a plain TCP socket, with framing of its own
// (frame_reader): what websocket_session uses of Beast's websocket::stream,
// for what a quiet connection holds. Between messages it keeps a 32-byte
// read pending and no timer (the idle timeout is the server's idle_sweeper);
// Beast's stream keeps a 1.5 KiB read buffer in its state, a timer, and a
// composed read of about 1 KiB.
// TLS connections keep Beast's stream. Used from one strand only.
class plain_websocket {
 public:
  using executor_type = tcp::socket::executor_type;
  using read_handler = net::any_completion_handler<void(beast::error_code, std::size_t)>;
  using done_handler = net::any_completion_handler<void(beast::error_code)>;
  using control_callback_type = std::function<void(websocket::frame_type, beast::string_view)>;

  explicit plain_websocket(tcp::socket socket);

  executor_type get_executor() noexcept { return next_.get_executor(); }
  serial_write_stream<tcp::socket>& next_layer() noexcept { return next_; }
  const serial_write_stream<tcp::socket>& next_layer() const noexcept { return next_; }

  void read_message_max(std::uint64_t bytes) { reader_.set_max_message(bytes); }
  // Called before a ping or close from the peer is answered.
  void control_callback(control_callback_type callback) { on_control_ = std::move(callback); }
  // Sets the owner: the session this stream is a member of, held weakly by
  // what may outlive it (the sweeper's list) and strongly by control-frame
  // writes in flight. With a sweeper, the connection is watched for its idle
  // timeout: see on_idle_tick().
  void watch_idle(idle_sweeper* sweeper, std::weak_ptr<void> owner);
  // One idle tick (half of idle_timeout) passed: a connection that heard
  // nothing since the last one is pinged; one that also left that ping
  // unanswered is closed, and its pending read ends with beast::error::timeout.
  void on_idle_tick();

  // Writes the 101 answer to `request`, which refuse_handshake() let through.
  void async_accept(const http::request<http::string_body>& request, std::string_view subprotocol,
                    done_handler handler);
  // Reads one whole message into `buffer` (appended). Completes with
  // websocket::error::closed after the peer's close (reason() has it), or
  // with the protocol error once the close frame answering it is sent. The
  // handler is kept in memory of its exact size while the read waits.
  template <class Handler>
  void async_read(beast::flat_buffer& buffer, Handler&& handler) {
    start_read(buffer,
               net::bind_allocator(exact_allocator<void>{}, std::forward<Handler>(handler)));
  }
  // As async_read: a message is always read whole, so `limit` is not needed.
  template <class Handler>
  void async_read_some(beast::flat_buffer& buffer, std::size_t /*limit*/, Handler&& handler) {
    async_read(buffer, std::forward<Handler>(handler));
  }
  bool is_message_done() const { return true; }
  bool got_text() const { return reader_.text(); }
  websocket::close_reason reason() const;
  // Sends a close frame; completes once it is written. The peer's answering
  // close ends the pending read; without one, the connection is torn down.
  void async_close(const websocket::close_reason& reason, done_handler handler);

 private:
  tcp::socket& socket() { return next_.next_layer(); }
  void start_read(beast::flat_buffer& buffer, read_handler handler);
  // Reads frames from what has arrived; completes `handler` or waits for bytes.
  void parse(read_handler handler, bool in_completion);
  void wait_for_bytes(read_handler handler, bool in_completion);
  void on_bytes(beast::error_code ec, std::size_t n, read_handler handler);
  // Reads what else the socket holds now, without waiting, up to a bound.
  void drain_socket();
  void finish(read_handler handler, beast::error_code ec, bool in_completion);
  // Writes a control frame; `after` runs once it is written (the owner kept alive till then).
  void send_control(std::uint8_t opcode, std::string_view payload, done_handler after);
  // After the last close frame: no more writes, and the socket closes once
  // the peer closes its side (or at a deadline).
  void teardown();
  void discard_until_eof();
  void arm_teardown_deadline();

  serial_write_stream<tcp::socket> next_;
  frame_reader reader_;
  beast::flat_buffer* buffer_ = nullptr;  // the message being read into
  std::string pending_;                // bytes read from the socket, not yet parsed; usually empty
  std::array<char, 32> read_ahead_{};  // a quiet connection's pending read
  control_callback_type on_control_;
  std::unique_ptr<net::steady_timer> teardown_deadline_;  // made when tearing down
  std::weak_ptr<void> owner_;
  beast::error_code read_error_;  // the socket's end, met while draining it
  bool reading_ = false;          // a read is in flight
  bool heard_ = false;            // a byte came since the last idle tick
  bool pinged_ = false;           // a keep-alive ping is unanswered
  bool close_sent_ = false;
  bool torn_down_ = false;
};

}  // namespace sluice::transport
