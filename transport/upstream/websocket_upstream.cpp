#include "transport/upstream/websocket_upstream.hpp"

#include <boost/beast/websocket/ssl.hpp>  // closing a wss connection

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include "core/observe/metrics.hpp"
#include "transport/beast.hpp"
#include "transport/upstream/io_runtime.hpp"
#include "transport/upstream/tls_client.hpp"
#include "transport/upstream/tls_handshake.hpp"

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
  metrics::gauge& idle = metrics::registry::global().add_gauge(
      "sluice_upstream_websockets_idle", "Pooled WebSocket connections to upstreams kept idle");
  metrics::counter& reused = metrics::registry::global().add_counter(
      "sluice_upstream_websocket_reuses_total",
      "Requests served on a pooled upstream WebSocket instead of a new one");
};

// What makes pooled connections interchangeable: the same address and path, with or without TLS.
std::string pool_key(const websocket_upstream_spec& spec) {
  return (spec.tls ? "wss://" : "ws://") + spec.host + ":" + spec.port + spec.path;
}

using plain_ws = websocket::stream<beast::tcp_stream>;
using secure_ws = websocket::stream<net::ssl::stream<beast::tcp_stream>>;

}  // namespace

class upstream_connection;

// Idle pooled connections by address. Holds them alive between requests.
class idle_pool {
 public:
  bool put(const std::string& key, std::shared_ptr<upstream_connection> c, std::uint32_t limit) {
    std::lock_guard lock{mutex_};
    if (idle_.count(key) >= limit) return false;
    idle_.emplace(key, std::move(c));
    upstream_metrics::get().idle.inc();
    return true;
  }

  // An idle connection to `key`, or null.
  std::shared_ptr<upstream_connection> take(const std::string& key);

  void remove(const upstream_connection* c) {
    std::lock_guard lock{mutex_};
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      if (it->second.get() != c) continue;
      idle_.erase(it);
      upstream_metrics::get().idle.dec();
      return;
    }
  }

  void clear() {
    std::lock_guard lock{mutex_};
    upstream_metrics::get().idle.dec(static_cast<std::int64_t>(idle_.size()));
    idle_.clear();
  }

 private:
  std::mutex mutex_;
  std::multimap<std::string, std::shared_ptr<upstream_connection>> idle_;
};

// One upstream WebSocket; everything runs on its strand, and pending
// operations keep it alive.
class upstream_connection : public websocket_upstream_handle,
                            public std::enable_shared_from_this<upstream_connection> {
 public:
  upstream_connection(net::io_context& ioc, websocket_upstream_spec spec,
                      std::shared_ptr<websocket_upstream_events> events, shared_count open,
                      std::shared_ptr<idle_pool> pool)
      : resolver_(net::make_strand(ioc)),
        spec_(std::move(spec)),
        events_(std::move(events)),
        open_(std::move(open)),
        pool_(std::move(pool)) {
    if (spec_.tls)
      secure_.emplace(resolver_.get_executor(), spec_.tls->native());
    else
      plain_.emplace(resolver_.get_executor());
    open_->fetch_add(1);
    upstream_metrics::get().open.inc();
  }

  ~upstream_connection() override {
    open_->fetch_sub(1);
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
    net::post(resolver_.get_executor(), [self = shared_from_this(), t = std::move(text)]() mutable {
      if (!self->closed_) self->enqueue(std::move(t));
    });
  }

  void acknowledge(std::uint32_t n) override {
    net::post(resolver_.get_executor(), [self = shared_from_this(), n] {
      self->unacked_ -= std::min(n, self->unacked_);
      if (self->open_for_reads() && !self->reading_) self->do_read();
    });
  }

  void close() override {
    net::post(resolver_.get_executor(), [self = shared_from_this()] { self->do_close(); });
  }

  // Back into the pool at once: the client's next request, which may arrive
  // before this strand runs, finds it there. The strand's part is posted
  // first, so that a request taking it from the pool posts adopt() after it.
  void release() override {
    net::post(resolver_.get_executor(), [self = shared_from_this()] {
      if (!self->connected_ || self->closed_ || !self->outbox_.empty()) {
        self->pool_->remove(self.get());
        return self->do_close();
      }
      self->events_.reset();  // idle: whatever arrives now ends the connection
      self->unacked_ = 0;
      if (!self->reading_) self->do_read();
    });
    if (closed_ || !pool_->put(pool_key(spec_), shared_from_this(), spec_.keep_idle))
      return close();
    if (closed_) pool_->remove(this);  // the strand found it unusable meanwhile
  }

  // Takes this idle connection for a new request, whose first message goes
  // out in the same hand-over.
  void adopt(std::shared_ptr<websocket_upstream_events> events, std::string first) {
    net::post(resolver_.get_executor(), [self = shared_from_this(), events = std::move(events),
                                         first = std::move(first)]() mutable {
      if (self->closed_) return events->on_closed("the pooled connection closed");
      self->events_ = events;
      self->enqueue(std::move(first));
    });
  }

  // Before start(): the first message, sent once the connection is open.
  void queue_first(std::string text) { outbox_.push_back(std::move(text)); }

  bool closed() const { return closed_; }

 private:
  // Runs `f` on the WebSocket: over TLS (wss) or plain TCP.
  template <class F>
  void with_ws(F&& f) {
    if (secure_)
      f(*secure_);
    else
      f(*plain_);
  }
  beast::tcp_stream& tcp() {
    return secure_ ? beast::get_lowest_layer(*secure_) : beast::get_lowest_layer(*plain_);
  }

  void on_resolve(const tcp::resolver::results_type& results) {
    if (closed_) return;
    tcp().expires_after(spec_.connect_timeout);
    tcp().async_connect(
        results, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
          if (ec) return self->fail("cannot connect to " + self->target() + ": " + ec.message());
          self->tcp().socket().set_option(tcp::no_delay(true));
          if (!self->secure_) return self->ws_handshake();
          auto& tls = self->secure_->next_layer();
          prepare_client_tls(tls, self->spec_.host);
          tls.async_handshake(net::ssl::stream_base::client, [self](beast::error_code tec) {
            if (tec)
              return self->fail("TLS with " + self->target() + " failed: " +
                                tls_failure(self->secure_->next_layer().native_handle(), tec));
            self->ws_handshake();
          });
        });
  }

  void ws_handshake() {
    with_ws([this](auto& ws) {
      ws.set_option(websocket::stream_base::decorator(
          [headers = spec_.headers](websocket::request_type& req) {
            for (const auto& [name, value] : headers) req.set(name, value);
          }));
      ws.async_handshake(
          spec_.host + ":" + spec_.port, spec_.path,
          [self = shared_from_this()](beast::error_code hec) { self->on_handshake(hec); });
    });
  }

  void on_handshake(beast::error_code ec) {
    if (ec) return fail("WebSocket handshake with " + target() + " failed: " + ec.message());
    if (closed_) return;
    tcp().expires_never();
    with_ws([this](auto& ws) {
      ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
      ws.read_message_max(spec_.max_message_bytes);
    });
    connected_ = true;
    upstream_metrics::get().connects.with({"ok"}).inc();
    do_read();
    if (!outbox_.empty()) do_write();
  }

  void enqueue(std::string text) {
    outbox_.push_back(std::move(text));
    if (outbox_.size() == 1) do_write();
  }

  bool open_for_reads() const { return connected_ && !closed_ && unacked_ < spec_.message_window; }

  auto read_handler() {
    return [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->reading_ = false;
      if (self->closed_) return;
      if (!self->events_) {  // idle: a close, or a message nobody asked for
        self->pool_->remove(self.get());
        return self->do_close();
      }
      if (ec) {
        self->closed_ = true;
        return self->events_->on_closed(ec == websocket::error::closed
                                            ? "the upstream closed the connection"
                                            : "the upstream connection failed: " + ec.message());
      }
      if (!self->events_->on_message(beast::buffers_to_string(self->buffer_.cdata())))
        ++self->unacked_;
      self->buffer_.consume(self->buffer_.size());
      if (self->open_for_reads()) self->do_read();
    };
  }

  void do_read() {
    reading_ = true;
    with_ws([this](auto& ws) { ws.async_read(buffer_, read_handler()); });
  }

  void do_write() {
    if (!connected_ || closed_) return;  // sent once the handshake completes
    with_ws([this](auto& ws) {
      ws.text(true);
      ws.async_write(net::buffer(outbox_.front()),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec || self->closed_) return;  // the read side reports the failure
                       self->outbox_.pop_front();
                       if (!self->outbox_.empty()) self->do_write();
                     });
    });
  }

  void do_close() {
    if (closed_) return;
    closed_ = true;
    resolver_.cancel();
    if (connected_) {
      with_ws([this](auto& ws) {
        ws.async_close(websocket::close_code::normal,
                       [self = shared_from_this()](beast::error_code) {
                         beast::error_code ignored;
                         self->tcp().socket().close(ignored);
                       });
      });
    } else {
      tcp().cancel();
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
  std::optional<plain_ws> plain_;    // ws://
  std::optional<secure_ws> secure_;  // wss://
  websocket_upstream_spec spec_;
  std::shared_ptr<websocket_upstream_events> events_;
  shared_count open_;
  std::shared_ptr<idle_pool> pool_;  // shared: a connection in it may outlive the connector
  beast::flat_buffer buffer_;
  std::deque<std::string> outbox_;
  std::uint32_t unacked_ = 0;
  bool connected_ = false;
  bool reading_ = false;
  std::atomic<bool> closed_{false};  // read by idle_pool::take from other threads
};

std::shared_ptr<upstream_connection> idle_pool::take(const std::string& key) {
  std::lock_guard lock{mutex_};
  for (auto [it, end] = idle_.equal_range(key); it != end;) {
    auto c = std::move(it->second);
    it = idle_.erase(it);
    upstream_metrics::get().idle.dec();
    if (!c->closed()) return c;
  }
  return nullptr;
}

struct websocket_connector::impl {
  explicit impl(net::io_context& c) : ioc(c) {}
  net::io_context& ioc;
  shared_count open = make_count();
  std::shared_ptr<idle_pool> pool = std::make_shared<idle_pool>();
};

websocket_connector::websocket_connector(io_runtime& io)
    : impl_(std::make_unique<impl>(io.context())) {
  upstream_metrics::get();  // listed in /metrics from the start
}

websocket_connector::~websocket_connector() {
  impl_->pool->clear();  // idle connections close (they hold the pool: a cycle until then)
}

std::shared_ptr<websocket_upstream_handle> websocket_connector::connect(
    const websocket_upstream_spec& spec, std::shared_ptr<websocket_upstream_events> events,
    std::string first_message) {
  if (spec.keep_idle > 0) {
    if (auto idle = impl_->pool->take(pool_key(spec))) {
      upstream_metrics::get().reused.inc();
      idle->adopt(std::move(events), std::move(first_message));
      return idle;
    }
  }
  auto c = std::make_shared<upstream_connection>(impl_->ioc, spec, std::move(events), impl_->open,
                                                 impl_->pool);
  c->queue_first(std::move(first_message));
  c->start();
  return c;
}

std::size_t websocket_connector::open_connections() const {
  return impl_->open->load();
}

}  // namespace sluice::transport
