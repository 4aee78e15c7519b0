#include "transport/websocket_upstream.hpp"

#include <atomic>
#include <deque>

#include "core/metrics.hpp"
#include "transport/beast.hpp"
#include "transport/io_thread.hpp"

namespace sluice::transport {
namespace {

struct upstream_metrics {
  static upstream_metrics& get() {
    static upstream_metrics instance;
    return instance;
  }
  metrics::gauge& open = metrics::registry::global().add_gauge(
      "sluice_upstream_websockets_open", "WebSocket connections to upstreams open or opening");
  metrics::family<metrics::counter>& connects = metrics::registry::global().add_counter_family(
      "sluice_upstream_websocket_connects_total",
      "WebSocket connections to upstreams, by result (ok, failed)", {"result"});
};

}  // namespace

// One upstream WebSocket; everything runs on its strand, and pending
// operations keep it alive.
class upstream_connection : public websocket_upstream_handle,
                            public std::enable_shared_from_this<upstream_connection> {
 public:
  upstream_connection(net::io_context& ioc, websocket_upstream_spec spec,
                      std::shared_ptr<websocket_upstream_events> events,
                      std::atomic<std::size_t>& open)
      : resolver_(net::make_strand(ioc)),
        ws_(resolver_.get_executor()),
        spec_(std::move(spec)),
        events_(std::move(events)),
        open_(open) {
    open_.fetch_add(1);
    upstream_metrics::get().open.inc();
  }

  ~upstream_connection() override {
    open_.fetch_sub(1);
    upstream_metrics::get().open.dec();
  }

  void start() {
    net::dispatch(resolver_.get_executor(), [self = shared_from_this()] {
      self->resolver_.async_resolve(
          self->spec_.host, self->spec_.port,
          [self](beast::error_code ec, const tcp::resolver::results_type& results) {
            if (ec) return self->fail("cannot resolve " + self->spec_.host + ": " + ec.message());
            self->on_resolve(results);
          });
    });
  }

  void send(std::string text) override {
    net::post(ws_.get_executor(), [self = shared_from_this(), t = std::move(text)]() mutable {
      if (self->closed_) return;
      self->outbox_.push_back(std::move(t));
      if (self->outbox_.size() == 1) self->do_write();
    });
  }

  void acknowledge(std::uint32_t n) override {
    net::post(ws_.get_executor(), [self = shared_from_this(), n] {
      self->unacked_ -= std::min(n, self->unacked_);
      if (self->open_for_reads() && !self->reading_) self->do_read();
    });
  }

  void close() override {
    net::post(ws_.get_executor(), [self = shared_from_this()] { self->do_close(); });
  }

 private:
  void on_resolve(const tcp::resolver::results_type& results) {
    if (closed_) return;
    beast::get_lowest_layer(ws_).expires_after(spec_.connect_timeout);
    beast::get_lowest_layer(ws_).async_connect(
        results, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
          if (ec) return self->fail("cannot connect to " + self->target() + ": " + ec.message());
          beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true));
          self->ws_.async_handshake(self->spec_.host + ":" + self->spec_.port, self->spec_.path,
                                    [self](beast::error_code hec) { self->on_handshake(hec); });
        });
  }

  void on_handshake(beast::error_code ec) {
    if (ec) return fail("WebSocket handshake with " + target() + " failed: " + ec.message());
    if (closed_) return;
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_.read_message_max(spec_.max_message_bytes);
    connected_ = true;
    upstream_metrics::get().connects.with({"ok"}).inc();
    do_read();
    if (!outbox_.empty()) do_write();
  }

  bool open_for_reads() const { return connected_ && !closed_ && unacked_ < spec_.message_window; }

  void do_read() {
    reading_ = true;
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->reading_ = false;
      if (self->closed_) return;
      if (ec) {
        self->closed_ = true;
        return self->events_->on_closed(ec == websocket::error::closed
                                            ? "the upstream closed the connection"
                                            : "the upstream connection failed: " + ec.message());
      }
      ++self->unacked_;
      self->events_->on_message(beast::buffers_to_string(self->buffer_.cdata()));
      self->buffer_.consume(self->buffer_.size());
      if (self->open_for_reads()) self->do_read();
    });
  }

  void do_write() {
    if (!connected_ || closed_) return;  // sent once the handshake completes
    ws_.text(true);
    ws_.async_write(net::buffer(outbox_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      if (ec || self->closed_) return;  // the read side reports the failure
                      self->outbox_.pop_front();
                      if (!self->outbox_.empty()) self->do_write();
                    });
  }

  void do_close() {
    if (closed_) return;
    closed_ = true;
    resolver_.cancel();
    if (connected_) {
      ws_.async_close(websocket::close_code::normal,
                      [self = shared_from_this()](beast::error_code) {
                        beast::error_code ignored;
                        beast::get_lowest_layer(self->ws_).socket().close(ignored);
                      });
    } else {
      beast::get_lowest_layer(ws_).cancel();
    }
  }

  void fail(std::string why) {
    if (closed_) return;
    closed_ = true;
    upstream_metrics::get().connects.with({"failed"}).inc();
    events_->on_failed(std::move(why));
  }

  std::string target() const { return spec_.host + ":" + spec_.port; }

  tcp::resolver resolver_;
  websocket::stream<beast::tcp_stream> ws_;
  websocket_upstream_spec spec_;
  std::shared_ptr<websocket_upstream_events> events_;
  std::atomic<std::size_t>& open_;
  beast::flat_buffer buffer_;
  std::deque<std::string> outbox_;
  std::uint32_t unacked_ = 0;
  bool connected_ = false;
  bool reading_ = false;
  bool closed_ = false;
};

struct websocket_connector::impl {
  std::atomic<std::size_t> open{0};
  io_thread io;  // last: its pending handlers use `open`
};

websocket_connector::websocket_connector() : impl_(std::make_unique<impl>()) {
  upstream_metrics::get();  // listed in /metrics from the start
}

websocket_connector::~websocket_connector() =
    default;  // io_thread stops; open connections are dropped

std::shared_ptr<websocket_upstream_handle> websocket_connector::connect(
    const websocket_upstream_spec& spec, std::shared_ptr<websocket_upstream_events> events) {
  auto c = std::make_shared<upstream_connection>(impl_->io.context(), spec, std::move(events),
                                                 impl_->open);
  c->start();
  return c;
}

std::size_t websocket_connector::open_connections() const {
  return impl_->open.load();
}

}  // namespace sluice::transport
