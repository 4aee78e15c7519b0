#pragma once

#include <deque>
#include <memory>
#include <string>

#include "transport/beast.hpp"
#include "transport/client_link.hpp"
#include "transport/outbound_budget.hpp"
#include "transport/shared_state.hpp"

namespace sluice::transport {

// One client WebSocket. Owns the socket; everything that touches it runs on
// the socket's strand. One read and at most one write are in flight; frames
// wait in a bounded queue. Kept alive by its pending handlers and by the
// actor that holds it as a client_link.
class websocket_session : public client_link,
                          public std::enable_shared_from_this<websocket_session> {
 public:
  // `workers`: a worker at /workers (its frames are worker frames, its
  // sink comes from the workers handler); otherwise a client at /ws.
  websocket_session(beast::tcp_stream stream, std::shared_ptr<shared_state> state,
                    std::string remote, bool workers = false, connect_params params = {});
  ~websocket_session() override;

  // Completes the upgrade for `request` and starts reading.
  void run(http::request<http::string_body> request);

  send_status send(shared_frame frame) override;
  void close(close_code code, std::string reason) override;
  void consumed() override;
  bool congested() const override { return budget_.above_low_water(); }
  void notify_when_writable() override;
  const std::string& remote_address() const override { return remote_; }
  const connect_params& params() const override { return params_; }

 private:
  void on_accept(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void deliver(client_message msg);
  void do_enqueue(shared_frame frame);
  void do_write();
  void on_write(beast::error_code ec, std::size_t bytes);
  bool writing() const { return in_flight_ != nullptr; }
  void request_close(close_code code, std::string reason, bool drop_queued);
  void do_close();
  void drop_queue();
  void on_closed(std::uint16_t code, std::string reason);
  void resume_reading();
  void maybe_notify_writable();

  websocket::stream<beast::tcp_stream> ws_;
  std::shared_ptr<shared_state> state_;
  std::string remote_;
  bool workers_;
  connect_params params_;
  beast::flat_buffer buffer_;

  std::unique_ptr<inbound_sink> sink_;  // set once the upgrade completed
  outbound_budget budget_;
  std::deque<shared_frame> queue_;    // strand only
  shared_frame in_flight_;            // strand only: the frame being written
  net::steady_timer close_deadline_;  // strand only: hard close if the close handshake stalls
  bool reading_paused_ = false;       // strand only
  bool writable_notice_ = false;      // strand only: the sink asked for on_writable()
  bool close_requested_ = false;      // strand only
  bool close_sent_ = false;           // strand only
  close_code pending_close_code_ = close_code::normal;
  std::string pending_close_reason_;
  std::atomic<bool> closing_{false};
  std::atomic<std::size_t> unconsumed_{0};  // delivered to the sink, not yet consumed
};

}  // namespace sluice::transport
