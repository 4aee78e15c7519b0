#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/fifo.hpp"
#include "core/observe/mailbox_gauge.hpp"
#include "transport/client_link.hpp"
#include "transport/server/shared_state.hpp"
#include "transport/server/streams.hpp"
#include "transport/websocket/inbound_limits.hpp"
#include "transport/websocket/outbound_budget.hpp"
#include "transport/websocket/plain_websocket.hpp"
#include "transport/websocket/serial_write_stream.hpp"
#include "transport/websocket/tls_websocket.hpp"
#include "transport/websocket/write_batch.hpp"

namespace sluice::transport {

// What the HTTP side learned about a connection before upgrading it.
struct connection_info {
  std::string remote;  // ip:port
  std::string ip;
  bool workers = false;  // a worker at /workers; otherwise a client at /ws
  connect_params params;
  security::identity who;
  std::string subprotocol;  // echoed in the handshake; empty: none
};

// The WebSocket a session runs on: framing of Sluice's own on a plain socket
// (plain_websocket), Beast's stream over TLS.
template <class Stream>
using websocket_for = std::conditional_t<is_tls<Stream>, tls_websocket, plain_websocket>;

// One client WebSocket. Owns the socket; everything that touches it runs on
// the socket's strand. One read and at most one write are in flight; frames
// wait in a bounded queue. Kept alive by its pending handlers and by the
// actor that holds it as a client_link.
template <class Stream>
class websocket_session : public client_link,
                          private socket_read_listener,
                          public std::enable_shared_from_this<websocket_session<Stream>> {
 public:
  // Completes the upgrade for `request` and starts reading. A worker's frames
  // are worker frames and its sink comes from the workers handler.
  static void start(Stream stream, std::shared_ptr<shared_state> state, connection_info info,
                    connection_slot slot, http::request<http::string_body> request);

  websocket_session(Stream stream, std::shared_ptr<shared_state> state, connection_info info,
                    connection_slot slot);
  ~websocket_session() override;

  send_status send(shared_frame frame) override;
  void close(close_code code, std::string reason) override;
  void consumed() override;
  bool congested() const override { return budget_.above_low_water(); }
  void notify_when_writable() override;
  const std::string& remote_address() const override { return info_.remote; }
  const std::string& remote_ip() const override { return info_.ip; }
  const connect_params& params() const override { return info_.params; }
  const security::identity& who() const override { return info_.who; }

 private:
  void run(http::request<http::string_body> request);
  // Watches the idle timeout (or has Beast do it), then answers the handshake.
  void accept(http::request<http::string_body> request);
  void on_accept(beast::error_code ec);
  void on_text(std::string_view text);
  // Whether a client's frame was refused by a rate limit (it was answered then).
  bool rate_limited(const protocol::client_frame& frame);
  void do_read();
  // The start of a client's message, then (if it is longer) the rest of it.
  void on_read_start(beast::error_code ec, std::size_t bytes);
  void on_read(beast::error_code ec, std::size_t bytes = 0);
  template <class Frame>
  void deliver(Frame frame);
  // Client frames that arrive together go to the sink together: they are
  // handed over when the socket has nothing more to read right now (a read
  // would wait), before a control frame is answered, when reading pauses or
  // ends, or when the batch is full. A frame never waits for the network.
  void before_socket_read() override;
  void flush_inbound();
  void take_handover();  // strand: queues what send() handed over
  void do_write();
  void on_write(beast::error_code ec, std::size_t bytes);
  bool writing() const { return !in_flight_.empty(); }
  void request_close(close_code code, std::string reason, bool drop_queued);
  void do_close();
  void drop_queue();
  void on_closed(std::uint16_t code, std::string reason);
  void resume_reading();
  void maybe_notify_writable();

  websocket_for<Stream> ws_;
  std::shared_ptr<shared_state> state_;
  connection_info info_;
  std::optional<connection_slot> slot_;  // given back when the connection ends
  inbound_limits limits_;
  std::uint32_t refusals_in_a_row_ = 0;  // strand only: frames refused by a rate limit
  beast::flat_buffer buffer_;

  std::unique_ptr<inbound_sink> sink_;           // set once the upgrade completed
  std::vector<protocol::client_frame> inbound_;  // strand only: read, not yet handed over
  outbound_budget budget_;
  fifo<shared_frame> queue_;  // strand only
  // Strand only: the batch being written, and its bytes as one write's buffers.
  std::vector<shared_frame> in_flight_;
  write_batch batch_;
  // Strand only: hard close if the close handshake stalls. Made when closing
  // begins: a quiet connection holds no timer.
  std::unique_ptr<net::steady_timer> close_deadline_;
  bool reading_paused_ = false;   // strand only
  bool writable_notice_ = false;  // strand only: the sink asked for on_writable()
  bool close_requested_ = false;  // strand only
  bool close_sent_ = false;       // strand only
  close_code pending_close_code_ = close_code::normal;
  std::string pending_close_reason_;
  std::atomic<bool> closing_{false};
  std::mutex handover_mutex_;           // guards handover_ and handover_posted_
  std::vector<shared_frame> handover_;  // sent from any thread, not yet on the strand
  bool handover_posted_ = false;
  std::vector<shared_frame> taken_;  // strand only: the last hand-over, being queued
  mailbox_gauge mailbox_;            // frames delivered to the sink, not yet consumed
};

extern template class websocket_session<plain_socket>;
extern template class websocket_session<tls_stream>;

}  // namespace sluice::transport
