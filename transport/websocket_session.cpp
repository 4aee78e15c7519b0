#include "transport/websocket_session.hpp"

#include "core/log.hpp"

namespace sluice::transport {

websocket_session::websocket_session(beast::tcp_stream stream, std::shared_ptr<shared_state> state,
                                     std::string remote, bool workers, connect_params params)
    : ws_(std::move(stream)),
      state_(std::move(state)),
      remote_(std::move(remote)),
      workers_(workers),
      params_(std::move(params)),
      budget_(state_->options.outbound_frames, state_->options.outbound_bytes),
      close_deadline_(ws_.get_executor()) {}

websocket_session::~websocket_session() {
  if (sink_) {
    // The socket went away without a clean close (e.g. server stopped).
    sink_->on_closed({0, "connection destroyed"});
    state_->websocket_connections.fetch_sub(1);
    state_->metrics.connections_open.dec();
  }
}

void websocket_session::run(http::request<http::string_body> request) {
  // The stream's own timer would fire mid-session; the websocket timeouts below replace it.
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeouts =
      websocket::stream_base::timeout::suggested(beast::role_type::server);
  const auto& opts = state_->options;
  if (opts.idle_timeout.count() > 0) {
    timeouts.idle_timeout = opts.idle_timeout;
    timeouts.keep_alive_pings = true;  // ping at half the idle time; silence closes
  }
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "sluice"); }));
  ws_.read_message_max(opts.max_frame_bytes);
  ws_.auto_fragment(false);
  ws_.async_accept(request,
                   beast::bind_front_handler(&websocket_session::on_accept, shared_from_this()));
}

void websocket_session::on_accept(beast::error_code ec) {
  if (ec) {
    state_->websocket_connections.fetch_sub(1);
    log::debug("websocket", "handshake_failed", {{"remote", remote_}, {"error", ec.message()}});
    return;
  }
  state_->metrics.connections_open.inc();
  state_->metrics.connections_total.inc();
  sink_ = (workers_ ? *state_->workers_handler : state_->handler).open(shared_from_this());
  do_read();
}

void websocket_session::do_read() {
  ws_.async_read(buffer_,
                 beast::bind_front_handler(&websocket_session::on_read, shared_from_this()));
}

void websocket_session::on_read(beast::error_code ec, std::size_t bytes) {
  if (ec) {
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
  state_->metrics.bytes_in.inc(bytes);
  if (ws_.got_text()) {
    auto data = buffer_.cdata();
    std::string_view text{static_cast<const char*>(data.data()), data.size()};
    deliver(workers_ ? decode_worker_frame(text) : decode_client_frame(text));
  } else {
    deliver(binary_frame_message());
  }
  buffer_.consume(buffer_.size());
  if (unconsumed_.load() >= state_->options.mailbox)
    reading_paused_ = true;  // consumed() resumes reading
  else
    do_read();
}

void websocket_session::deliver(client_message msg) {
  auto depth = unconsumed_.fetch_add(1) + 1;
  state_->metrics.mailbox_high_water.raise_to(static_cast<std::int64_t>(depth));
  sink_->on_message(std::move(msg));
}

void websocket_session::consumed() {
  // Only the step from "full" to "not full" needs the strand.
  if (unconsumed_.fetch_sub(1) == state_->options.mailbox)
    net::post(ws_.get_executor(), [self = shared_from_this()] { self->resume_reading(); });
}

void websocket_session::resume_reading() {
  if (reading_paused_ && !close_sent_ && unconsumed_.load() < state_->options.mailbox) {
    reading_paused_ = false;
    do_read();
  }
}

send_status websocket_session::send(shared_frame frame) {
  if (closing_.load()) return send_status::closed;
  if (!budget_.try_reserve(frame->size())) {
    closing_ = true;
    state_->metrics.slow_consumer_closes.inc();
    log::warn("websocket", "slow_consumer",
              {{"remote", remote_},
               {"queued_frames", budget_.frames()},
               {"queued_bytes", budget_.bytes()}});
    net::post(ws_.get_executor(), [self = shared_from_this()] {
      self->request_close(close_code::policy_violation, "slow consumer: outbound queue full", true);
    });
    return send_status::overflow;
  }
  net::post(ws_.get_executor(), [self = shared_from_this(), f = std::move(frame)]() mutable {
    self->do_enqueue(std::move(f));
  });
  return send_status::queued;
}

void websocket_session::do_enqueue(shared_frame frame) {
  if (close_requested_) {
    budget_.release(frame->size());
    return;
  }
  queue_.push_back(std::move(frame));
  state_->metrics.outbound_high_water.raise_to(static_cast<std::int64_t>(queue_.size()));
  if (!writing()) do_write();
}

void websocket_session::do_write() {
  in_flight_ = std::move(queue_.front());
  queue_.pop_front();
  ws_.text(true);
  ws_.async_write(net::buffer(*in_flight_),
                  beast::bind_front_handler(&websocket_session::on_write, shared_from_this()));
}

void websocket_session::on_write(beast::error_code ec, std::size_t bytes) {
  budget_.release(in_flight_->size());
  in_flight_.reset();
  if (ec) {
    log::debug("websocket", "write_failed", {{"remote", remote_}, {"error", ec.message()}});
    drop_queue();
    return;  // the read side reports the end of the connection
  }
  state_->metrics.frames_out.inc();
  state_->metrics.bytes_out.inc(bytes);
  maybe_notify_writable();
  if (!queue_.empty())
    do_write();
  else if (close_requested_)
    do_close();
}

void websocket_session::notify_when_writable() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    self->writable_notice_ = true;
    self->maybe_notify_writable();
  });
}

void websocket_session::maybe_notify_writable() {
  if (!writable_notice_ || !sink_ || close_requested_ || budget_.above_low_water()) return;
  writable_notice_ = false;
  sink_->on_writable();
}

void websocket_session::drop_queue() {
  for (const auto& f : queue_) budget_.release(f->size());
  queue_.clear();
}

void websocket_session::close(close_code code, std::string reason) {
  closing_ = true;
  net::post(ws_.get_executor(), [self = shared_from_this(), code, r = std::move(reason)]() mutable {
    self->request_close(code, std::move(r), false);
  });
}

void websocket_session::request_close(close_code code, std::string reason, bool drop_queued) {
  if (drop_queued) drop_queue();
  if (close_requested_) return;  // the first reason wins
  close_requested_ = true;
  pending_close_code_ = code;
  pending_close_reason_ = std::move(reason);
  // A peer that stops reading can stall the last write or the close handshake forever.
  close_deadline_.expires_after(std::chrono::seconds(5));
  close_deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) beast::get_lowest_layer(self->ws_).close();
  });
  if (!writing() && queue_.empty()) do_close();
}

void websocket_session::do_close() {
  if (close_sent_) return;
  close_sent_ = true;
  websocket::close_reason cr{static_cast<websocket::close_code>(pending_close_code_),
                             pending_close_reason_};
  ws_.async_close(cr, [self = shared_from_this()](beast::error_code ec) {
    if (ec)
      log::debug("websocket", "close_failed", {{"remote", self->remote_}, {"error", ec.message()}});
    // A paused reader never sees the peer's close reply: end the session here.
    if (self->reading_paused_) self->on_closed(0, "closed by server");
  });
}

void websocket_session::on_closed(std::uint16_t code, std::string reason) {
  if (!sink_) return;
  closing_ = true;
  close_deadline_.cancel();
  auto sink = std::move(sink_);
  state_->websocket_connections.fetch_sub(1);
  state_->metrics.connections_open.dec();
  sink->on_closed({code, std::move(reason)});
}

}  // namespace sluice::transport
