#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <utility>
#include <vector>

namespace sluice::transport {

// Told each time the WebSocket layer above a serial_write_stream asks the
// socket for more bytes: every frame it had already buffered has been read.
class socket_read_listener {
 public:
  virtual void before_socket_read() = 0;

 protected:
  ~socket_read_listener() = default;
};

// The layer under a server WebSocket stream that makes every write whole and
// serial: a write waits until the one before it has written all its bytes,
// and then writes all of its own. Beast's frames (the handshake, pongs,
// pings, close) and Sluice's batches of data frames (websocket_session
// frames them itself, many per system call) both go through here, so neither
// can ever cut into the other. Reads pass straight through, after telling
// the listener (if any). Like the stream it wraps, it is used from one strand
// only.
template <class NextLayer>
class serial_write_stream {
 public:
  using executor_type = typename NextLayer::executor_type;
  using next_layer_type = NextLayer;

  explicit serial_write_stream(NextLayer&& next) : next_(std::move(next)) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }
  NextLayer& next_layer() noexcept { return next_; }
  const NextLayer& next_layer() const noexcept { return next_; }

  void set_read_listener(socket_read_listener* listener) { listener_ = listener; }

  template <class MutableBuffers, class ReadToken>
  auto async_read_some(const MutableBuffers& buffers, ReadToken&& token) {
    if (listener_ != nullptr) listener_->before_socket_read();
    return next_.async_read_some(buffers, std::forward<ReadToken>(token));
  }

  // Completes once every byte of `buffers` is written (or the write failed).
  template <class ConstBuffers, class WriteToken>
  auto async_write_some(const ConstBuffers& buffers, WriteToken&& token) {
    return boost::asio::async_initiate<WriteToken, void(boost::beast::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          queue_.push_back(
              {{boost::asio::buffer_sequence_begin(b), boost::asio::buffer_sequence_end(b)},
               std::move(handler)});
          if (!writing_) write_front();
        },
        token, buffers);
  }

 private:
  using handler_type =
      boost::asio::any_completion_handler<void(boost::beast::error_code, std::size_t)>;
  struct pending {
    std::vector<boost::asio::const_buffer> buffers;
    handler_type done;
  };

  // The completion of the write in flight. It owns that write's handler, so
  // the write owns it as Asio's operations own theirs. If the write is
  // destroyed without completing (the I/O context went away first), the
  // writes queued behind it go too: their handlers may hold the connection
  // that holds this stream, a cycle nothing else would break.
  struct completion {
    serial_write_stream* owner;
    handler_type done;

    completion(serial_write_stream* o, handler_type d) : owner(o), done(std::move(d)) {}
    completion(completion&& other) noexcept
        : owner(std::exchange(other.owner, nullptr)), done(std::move(other.done)) {}
    completion& operator=(completion&&) = delete;
    ~completion() {
      if (owner == nullptr) return;
      auto doomed = std::move(owner->queue_);  // `done` still holds the owner here
      owner->queue_.clear();
    }
    void operator()(boost::beast::error_code ec, std::size_t n) {
      auto* self = std::exchange(owner, nullptr);
      self->writing_ = false;
      if (!self->queue_.empty()) self->write_front();
      std::move(done)(ec, n);
    }
  };

  void write_front() {
    auto next = std::move(queue_.front());
    queue_.erase(queue_.begin());
    writing_ = true;
    boost::asio::async_write(next_, std::move(next.buffers),
                             completion{this, std::move(next.done)});
  }

  NextLayer next_;
  // Writes waiting for the one in flight. Rarely more than one: a vector,
  // which (unlike a deque) allocates nothing for an idle connection.
  std::vector<pending> queue_;
  bool writing_ = false;
  socket_read_listener* listener_ = nullptr;
};

// The WebSocket close handshake ends with the layer underneath.
template <class NextLayer>
void teardown(boost::beast::role_type role, serial_write_stream<NextLayer>& stream,
              boost::beast::error_code& ec) {
  using boost::beast::websocket::teardown;
  teardown(role, stream.next_layer(), ec);
}

template <class NextLayer, class TeardownHandler>
void async_teardown(boost::beast::role_type role, serial_write_stream<NextLayer>& stream,
                    TeardownHandler&& handler) {
  using boost::beast::websocket::async_teardown;
  async_teardown(role, stream.next_layer(), std::forward<TeardownHandler>(handler));
}

}  // namespace sluice::transport
