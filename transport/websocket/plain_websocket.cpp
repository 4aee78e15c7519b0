#include "transport/websocket/plain_websocket.hpp"

#include "transport/websocket/frame_header.hpp"
#include "transport/websocket/handshake.hpp"

namespace sluice::transport {
namespace {

// Bytes read from a busy socket at one wake-up, at most: others get their turn.
constexpr std::size_t max_drain = 64 * 1024;
// After the last close frame, how long the peer has to close its side.
constexpr std::chrono::seconds teardown_deadline{5};

void nothing_after(beast::error_code) {}

// A close frame's payload (RFC 6455 section 5.5.1): the code, big-endian, then the reason.
std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  payload += reason;
  return payload;
}

}  // namespace

plain_websocket::plain_websocket(tcp::socket socket) : next_(std::move(socket)) {
  beast::error_code ignored;
  next_.next_layer().non_blocking(true, ignored);  // drain_socket() reads without waiting
}

void plain_websocket::watch_idle(idle_sweeper* sweeper, std::weak_ptr<void> owner) {
  owner_ = std::move(owner);
  if (sweeper != nullptr) sweeper->watch(owner_, this);
}

void plain_websocket::async_accept(const http::request<http::string_body>& request,
                                   std::string_view subprotocol, done_handler handler) {
  auto answer = std::make_unique<std::string>(
      accept_response(request[http::field::sec_websocket_key], subprotocol));
  auto bytes = net::buffer(*answer);
  next_.async_write_some(
      bytes, [answer = std::move(answer), handler = std::move(handler)](
                 beast::error_code ec, std::size_t) mutable { std::move(handler)(ec); });
}

void plain_websocket::start_read(beast::flat_buffer& buffer, read_handler handler) {
  buffer_ = &buffer;
  reading_ = true;
  parse(std::move(handler), false);
}

websocket::close_reason plain_websocket::reason() const {
  if (reader_.close_code() == 0) return {};
  return {static_cast<websocket::close_code>(reader_.close_code()), reader_.close_reason()};
}

void plain_websocket::parse(read_handler handler, bool in_completion) {
  while (true) {
    std::string_view in{pending_};
    auto event = reader_.read(in, *buffer_);
    pending_.erase(0, pending_.size() - in.size());
    auto payload = reader_.control_payload();
    switch (event) {
      case frame_event::need_more:
        return wait_for_bytes(std::move(handler), in_completion);
      case frame_event::message:
        return finish(std::move(handler), {}, in_completion);
      case frame_event::ping:
        if (on_control_) on_control_(websocket::frame_type::ping, payload);
        if (!close_sent_) send_control(opcode::pong, payload, nothing_after);
        continue;
      case frame_event::pong:
        if (on_control_) on_control_(websocket::frame_type::pong, payload);
        continue;
      case frame_event::close:
        reading_ = false;
        if (on_control_) on_control_(websocket::frame_type::close, payload);
        if (close_sent_)  // the answer to ours
          teardown();
        else  // echoed, as Beast does: its code and reason
          send_control(opcode::close, payload, [this](beast::error_code) { teardown(); });
        return finish(std::move(handler), websocket::error::closed, in_completion);
      case frame_event::failed:
        reading_ = false;
        if (close_sent_)
          teardown();
        else
          send_control(opcode::close, close_payload(reader_.error_close_code()),
                       [this](beast::error_code) { teardown(); });
        return finish(std::move(handler), reader_.error(), in_completion);
    }
  }
}

void plain_websocket::wait_for_bytes(read_handler handler, bool in_completion) {
  if (read_error_) return finish(std::move(handler), read_error_, in_completion);
  // Through next_, which tells the session that every frame read so far is out.
  next_.async_read_some(net::buffer(read_ahead_),
                        net::bind_allocator(exact_allocator<void>{},
                                            [this, handler = std::move(handler)](
                                                beast::error_code ec, std::size_t n) mutable {
                                              on_bytes(ec, n, std::move(handler));
                                            }));
}

void plain_websocket::on_bytes(beast::error_code ec, std::size_t n, read_handler handler) {
  if (ec) return finish(std::move(handler), read_error_ ? read_error_ : ec, true);
  heard_ = true;
  pending_.append(read_ahead_.data(), n);
  if (n == read_ahead_.size()) drain_socket();
  parse(std::move(handler), true);
}

void plain_websocket::drain_socket() {
  thread_local std::array<char, 16 * 1024> scratch;
  for (std::size_t total = 0; total < max_drain;) {
    beast::error_code ec;
    auto n = socket().read_some(net::buffer(scratch), ec);
    if (ec) {
      if (ec != net::error::would_block && ec != net::error::try_again) read_error_ = ec;
      return;
    }
    pending_.append(scratch.data(), n);
    total += n;
    if (n < scratch.size()) return;  // all there was: no read that would only say so
  }
}

void plain_websocket::finish(read_handler handler, beast::error_code ec, bool in_completion) {
  reading_ = false;
  if (pending_.empty()) std::string{}.swap(pending_);  // a quiet connection keeps no buffer
  std::size_t bytes = ec ? 0 : buffer_->size();
  if (in_completion) return std::move(handler)(ec, bytes);
  // A message already read completes as a read would: never inside the call that asked.
  net::post(get_executor(),
            [handler = std::move(handler), ec, bytes]() mutable { std::move(handler)(ec, bytes); });
}

void plain_websocket::async_close(const websocket::close_reason& reason, done_handler handler) {
  if (close_sent_) {  // one close frame per connection (the peer's may have been echoed)
    net::post(get_executor(), [handler = std::move(handler)]() mutable {
      std::move(handler)(websocket::error::closed);
    });
    return;
  }
  std::string payload;  // none for close_code::none
  if (reason.code != websocket::close_code::none)
    payload = close_payload(reason.code, {reason.reason.data(), reason.reason.size()});
  send_control(opcode::close, payload,
               [this, handler = std::move(handler)](beast::error_code ec) mutable {
                 if (!reading_) teardown();  // else the read meets the peer's answer
                 std::move(handler)(ec);
               });
}

void plain_websocket::send_control(std::uint8_t opcode, std::string_view payload,
                                   done_handler after) {
  if (opcode == opcode::close) close_sent_ = true;
  auto frame = std::make_unique<std::string>(max_frame_header, '\0');
  frame->resize(
      frame_header(reinterpret_cast<unsigned char*>(frame->data()), payload.size(), opcode, false));
  frame->append(payload);
  auto bytes = net::buffer(*frame);
  // The owner stays alive until the write completes: `after` may use this stream.
  next_.async_write_some(bytes,
                         [frame = std::move(frame), keep = owner_.lock(), after = std::move(after)](
                             beast::error_code ec, std::size_t) mutable { std::move(after)(ec); });
}

void plain_websocket::teardown() {
  if (torn_down_) return;
  torn_down_ = true;
  beast::error_code ignored;
  socket().shutdown(tcp::socket::shutdown_send, ignored);
  arm_teardown_deadline();
  discard_until_eof();
}

void plain_websocket::discard_until_eof() {
  auto keep = owner_.lock();
  if (!keep || reading_) return;
  socket().async_read_some(net::buffer(read_ahead_),
                           [this, keep](beast::error_code ec, std::size_t) {
                             if (!ec) return discard_until_eof();
                             beast::error_code ignored;
                             socket().close(ignored);
                             if (teardown_deadline_) teardown_deadline_->cancel();
                           });
}

void plain_websocket::arm_teardown_deadline() {
  teardown_deadline_ = std::make_unique<net::steady_timer>(get_executor());
  teardown_deadline_->expires_after(teardown_deadline);
  teardown_deadline_->async_wait([this, owner = owner_](beast::error_code ec) {
    beast::error_code ignored;
    if (!ec && owner.lock()) socket().close(ignored);  // the peer did not close its side in time
  });
}

void plain_websocket::on_idle_tick() {
  if (close_sent_) return;  // the close handshake's own deadlines take it from here
  if (heard_) {
    heard_ = pinged_ = false;
  } else if (!pinged_) {
    pinged_ = true;
    send_control(opcode::ping, {}, nothing_after);
  } else {
    read_error_ = beast::error::timeout;
    beast::error_code ignored;
    socket().close(ignored);  // the pending read ends with the timeout
  }
}

}  // namespace sluice::transport
