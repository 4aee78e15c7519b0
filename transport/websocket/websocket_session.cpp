#include "transport/websocket/websocket_session.hpp"

#include "core/observe/log.hpp"
#include "transport/websocket/disconnect_cause.hpp"

namespace sluice::transport {
namespace {

// A read waiting for a client's next frame asks for this much of it (Beast
// would prepare 1.5 KiB): a quiet connection's pending read holds no more,
// and a longer message is read on into the same buffer. It is also the
// read-buffer capacity kept between frames.
constexpr std::size_t first_read_bytes = 256;
// One write carries at most this many frames or bytes (a single larger frame goes alone).
constexpr std::size_t max_batch_frames = 256;
constexpr std::size_t max_batch_bytes = 256 * 1024;
// Client frames handed to the session at once, at most.
constexpr std::size_t max_inbound_batch = 128;

}  // namespace

template <class Stream>
void websocket_session<Stream>::start(Stream stream, std::shared_ptr<shared_state> state,
                                      connection_info info, connection_slot slot,
                                      http::request<http::string_body> request) {
  std::make_shared<websocket_session>(std::move(stream), std::move(state), std::move(info),
                                      std::move(slot))
      ->run(std::move(request));
}

template <class Stream>
websocket_session<Stream>::websocket_session(Stream stream, std::shared_ptr<shared_state> state,
                                             connection_info info, connection_slot slot)
    : ws_(std::move(stream)),
      state_(std::move(state)),
      info_(std::move(info)),
      slot_(std::move(slot)),
      limits_(*state_, info_.ip, info_.who.subject),
      budget_(state_->options.limits.outbound_messages, state_->options.limits.outbound_bytes),
      mailbox_(mailbox_kind::session, state_->options.limits.mailbox) {
  ws_.next_layer().set_read_listener(this);
}

template <class Stream>
websocket_session<Stream>::~websocket_session() {
  if (sink_) {
    // The socket went away without a clean close (e.g. server stopped).
    sink_->on_closed({0, "connection destroyed"});
    state_->metrics.connections_open.dec();
  }
}

template <class Stream>
void websocket_session<Stream>::run(http::request<http::string_body> request) {
  ws_.read_message_max(state_->options.server.max_frame_bytes);
  // A ping (or close) is answered perhaps after a write: what was read before it goes first.
  ws_.control_callback([this](websocket::frame_type, beast::string_view) { flush_inbound(); });
  accept(std::move(request));
}

template <class Stream>
void websocket_session<Stream>::accept(http::request<http::string_body> request) {
  auto on_accept =
      beast::bind_front_handler(&websocket_session::on_accept, this->shared_from_this());
  if constexpr (is_tls<Stream>) {
    async_accept_tls(ws_, request, info_.subprotocol, state_->options.server.idle_timeout,
                     std::move(on_accept));
  } else {
    ws_.watch_idle(state_->idle, this->weak_from_this());
    ws_.async_accept(request, info_.subprotocol, std::move(on_accept));
  }
}

template <class Stream>
void websocket_session<Stream>::on_accept(beast::error_code ec) {
  if (ec) {
    slot_.reset();
    log::debug("websocket", "handshake_failed",
               {{"remote", info_.remote}, {"error", ec.message()}});
    return;
  }
  state_->metrics.connections_open.inc();
  state_->metrics.connections_total.inc();
  sink_ =
      (info_.workers ? *state_->workers_handler : state_->handler).open(this->shared_from_this());
  do_read();
}

template <class Stream>
void websocket_session<Stream>::do_read() {
  ws_.async_read_some(
      buffer_, first_read_bytes,
      beast::bind_front_handler(&websocket_session::on_read_start, this->shared_from_this()));
}

template <class Stream>
void websocket_session<Stream>::on_read_start(beast::error_code ec, std::size_t) {
  if (!ec && !ws_.is_message_done()) {
    ws_.async_read(
        buffer_, beast::bind_front_handler(&websocket_session::on_read, this->shared_from_this()));
    return;
  }
  on_read(ec);
}

template <class Stream>
void websocket_session<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    flush_inbound();
    state_->metrics.websocket_disconnects.with({std::string{disconnect_cause(ec)}}).inc();
    std::uint16_t code = 0;
    std::string reason;
    if (ec == websocket::error::closed) {
      code = ws_.reason().code;
      reason = std::string{ws_.reason().reason.c_str()};
    } else if (ec == websocket::error::message_too_big) {
      code = static_cast<std::uint16_t>(close_code::too_big);  // Beast sent the close frame
      reason = "frame exceeds max_frame_bytes";
      state_->metrics.oversized_frames.inc();
    } else {
      reason = ec.message();
    }
    on_closed(code, std::move(reason));
    return;
  }
  state_->metrics.frames_in.inc();
  state_->metrics.bytes_in.inc(buffer_.size());
  if (ws_.got_text()) {
    auto data = buffer_.cdata();
    std::string_view text{static_cast<const char*>(data.data()), data.size()};
    on_text(text);
  } else if (info_.workers) {
    deliver(protocol::worker_frame{protocol::binary_frame()});
  } else {
    deliver(protocol::client_frame{protocol::binary_frame()});
  }
  buffer_.consume(buffer_.size());
  // A large frame leaves a large buffer behind; an idle connection should not keep it. On
  // a plain socket a message is read whole from bytes already read: none is kept at all.
  if (!is_tls<Stream> || buffer_.capacity() > first_read_bytes) buffer_.shrink_to_fit();
  if (mailbox_.full() || inbound_.size() >= max_inbound_batch) flush_inbound();
  if (mailbox_.full())
    reading_paused_ = true;  // consumed() resumes reading
  else
    do_read();
}

template <class Stream>
void websocket_session<Stream>::on_text(std::string_view text) {
  if (info_.workers) return deliver(protocol::decode_worker_frame(text));
  auto frame = protocol::decode_client_frame(text);
  if (!rate_limited(frame)) deliver(std::move(frame));
}

// A frame over a rate limit reaches the session as an `invalid` frame that
// says so (it answers rate_limited with retry_after); close_after refusals in
// a row close the connection with 1008.
template <class Stream>
bool websocket_session<Stream>::rate_limited(const protocol::client_frame& frame) {
  if (close_requested_) return true;  // closing (perhaps for abuse): nothing more is handled
  auto refused = limits_.admit(std::holds_alternative<protocol::request>(frame));
  if (!refused) {
    refusals_in_a_row_ = 0;
    return false;
  }
  state_->metrics.rate_limited.with({refused->limit}).inc();
  if (++refusals_in_a_row_ >= state_->options.rate_limits.close_after) {
    state_->metrics.rate_limit_closes.inc();
    log::warn(
        "websocket", "rate_limit_close",
        {{"remote", info_.remote}, {"limit", refused->limit}, {"refused", refusals_in_a_row_}});
    request_close(close_code::policy_violation, "rate limit exceeded", false);
    return true;
  }
  deliver(protocol::client_frame{protocol::invalid{
      protocol::id_of(frame), ec::rate_limited, std::string{"over rate_limits."} + refused->limit,
      static_cast<std::uint64_t>(refused->retry_after.count())}});
  return true;
}

template <class Stream>
template <class Frame>
void websocket_session<Stream>::deliver(Frame frame) {
  mailbox_.accepted();
  if constexpr (std::is_same_v<Frame, protocol::client_frame>)
    inbound_.push_back(std::move(frame));
  else
    sink_->on_message(std::move(frame));
}

template <class Stream>
void websocket_session<Stream>::before_socket_read() {
  if (inbound_.empty()) return;
  // Under TLS, bytes waiting on the socket may be part of a record that has
  // not fully arrived: only a plain socket's read is sure to complete now.
  if constexpr (std::is_same_v<Stream, plain_socket>) {
    beast::error_code ec;
    auto waiting = beast::get_lowest_layer(ws_).available(ec);
    if (!ec && waiting > 0) return;  // on_read hands over a full batch
  }
  flush_inbound();
}

template <class Stream>
void websocket_session<Stream>::flush_inbound() {
  if (inbound_.empty() || !sink_) return;
  if (inbound_.size() == 1)
    sink_->on_message(std::move(inbound_.front()));
  else
    sink_->on_messages(std::move(inbound_));
  inbound_ = {};  // empty, and holding no memory while the connection is quiet
}

template <class Stream>
void websocket_session<Stream>::consumed() {
  // Only the step from "full" to "not full" needs the strand.
  if (mailbox_.handled() + 1 == mailbox_.bound())
    net::post(ws_.get_executor(), [self = this->shared_from_this()] { self->resume_reading(); });
}

template <class Stream>
void websocket_session<Stream>::resume_reading() {
  if (reading_paused_ && !close_sent_ && !mailbox_.full()) {
    reading_paused_ = false;
    do_read();
  }
}

template <class Stream>
send_status websocket_session<Stream>::send(shared_frame frame) {
  if (closing_.load()) return send_status::closed;
  if (!budget_.try_reserve(frame->size())) {
    closing_ = true;
    state_->metrics.slow_consumer_closes.inc();
    log::warn("websocket", "slow_consumer",
              {{"remote", info_.remote},
               {"queued_frames", budget_.frames()},
               {"queued_bytes", budget_.bytes()}});
    net::post(ws_.get_executor(), [self = this->shared_from_this()] {
      self->request_close(close_code::policy_violation, "slow consumer: outbound queue full", true);
    });
    return send_status::overflow;
  }
  // Frames sent while a hand-over to the strand is pending join it: one post
  // per burst (a topic's fan-out, a fast stream), not one per frame.
  {
    std::lock_guard lock{handover_mutex_};
    handover_.push_back(std::move(frame));
    if (handover_posted_) return send_status::queued;
    handover_posted_ = true;
  }
  net::post(ws_.get_executor(), [self = this->shared_from_this()] { self->take_handover(); });
  return send_status::queued;
}

template <class Stream>
void websocket_session<Stream>::take_handover() {
  {
    std::lock_guard lock{handover_mutex_};
    handover_.swap(taken_);
    handover_posted_ = false;
  }
  for (auto& frame : taken_) {
    if (close_requested_)
      budget_.release(frame->size());
    else
      queue_.push_back(std::move(frame));
  }
  taken_.clear();
  state_->metrics.outbound_high_water.raise_to(static_cast<std::int64_t>(queue_.size()));
  if (!writing() && !queue_.empty()) do_write();
}

// Writes what is queued, up to a batch, in one system call (write_batch lays
// out the frames). A topic's fan-out or a fast stream thus costs one write
// per wake-up of the connection, not one per frame.
template <class Stream>
void websocket_session<Stream>::do_write() {
  std::size_t bytes = 0;
  while (!queue_.empty() && in_flight_.size() < max_batch_frames &&
         (in_flight_.empty() || bytes + queue_.front()->size() <= max_batch_bytes)) {
    bytes += queue_.front()->size();
    in_flight_.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  batch_.assemble(in_flight_);
  ws_.next_layer().async_write_some(
      batch_.buffers(),
      beast::bind_front_handler(&websocket_session::on_write, this->shared_from_this()));
}

template <class Stream>
void websocket_session<Stream>::on_write(beast::error_code ec, std::size_t) {
  std::size_t payload = 0;
  for (const auto& f : in_flight_) payload += f->size();
  budget_.release(in_flight_.size(), payload);
  auto frames = in_flight_.size();
  in_flight_.clear();
  if (ec) {
    log::debug("websocket", "write_failed", {{"remote", info_.remote}, {"error", ec.message()}});
    drop_queue();
    return;  // the read side reports the end of the connection
  }
  state_->metrics.frames_out.inc(frames);
  state_->metrics.writes.inc();
  state_->metrics.bytes_out.inc(payload);
  maybe_notify_writable();
  if (queue_.empty()) batch_.trim();
  if (!queue_.empty())
    do_write();
  else if (close_requested_)
    do_close();
}

template <class Stream>
void websocket_session<Stream>::notify_when_writable() {
  net::post(ws_.get_executor(), [self = this->shared_from_this()] {
    self->writable_notice_ = true;
    self->maybe_notify_writable();
  });
}

template <class Stream>
void websocket_session<Stream>::maybe_notify_writable() {
  if (!writable_notice_ || !sink_ || close_requested_ || budget_.above_low_water()) return;
  writable_notice_ = false;
  sink_->on_writable();
}

template <class Stream>
void websocket_session<Stream>::drop_queue() {
  for (const auto& f : queue_) budget_.release(f->size());
  queue_.clear();
}

template <class Stream>
void websocket_session<Stream>::close(close_code code, std::string reason) {
  closing_ = true;
  net::post(ws_.get_executor(),
            [self = this->shared_from_this(), code, r = std::move(reason)]() mutable {
              self->request_close(code, std::move(r), false);
            });
}

template <class Stream>
void websocket_session<Stream>::request_close(close_code code, std::string reason,
                                              bool drop_queued) {
  if (drop_queued) drop_queue();
  if (close_requested_) return;  // the first reason wins
  close_requested_ = true;
  pending_close_code_ = code;
  pending_close_reason_ = std::move(reason);
  // A peer that stops reading can stall the last write or the close handshake forever.
  close_deadline_ = std::make_unique<net::steady_timer>(ws_.get_executor());
  close_deadline_->expires_after(std::chrono::seconds(5));
  close_deadline_->async_wait([self = this->shared_from_this()](beast::error_code ec) {
    if (!ec) close_now(beast::get_lowest_layer(self->ws_));
  });
  if (!writing() && queue_.empty()) do_close();
}

template <class Stream>
void websocket_session<Stream>::do_close() {
  if (close_sent_) return;
  close_sent_ = true;
  websocket::close_reason cr{static_cast<websocket::close_code>(pending_close_code_),
                             pending_close_reason_};
  ws_.async_close(cr, [self = this->shared_from_this()](beast::error_code ec) {
    if (ec)
      log::debug("websocket", "close_failed",
                 {{"remote", self->info_.remote}, {"error", ec.message()}});
    // A paused reader never sees the peer's close reply: end the session here.
    if (self->reading_paused_) self->on_closed(0, "closed by server");
  });
}

template <class Stream>
void websocket_session<Stream>::on_closed(std::uint16_t code, std::string reason) {
  if (!sink_) return;
  flush_inbound();
  closing_ = true;
  if (close_deadline_) close_deadline_->cancel();
  auto sink = std::move(sink_);
  slot_.reset();
  state_->metrics.connections_open.dec();
  sink->on_closed({code, std::move(reason)});
}

template class websocket_session<plain_socket>;
template class websocket_session<tls_stream>;

}  // namespace sluice::transport
