#include "bench/client/client.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <charconv>
#include <deque>
#include <unordered_map>

namespace sluice::bench {
namespace {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

// A frame's `type` is "final" (with or without a space after the colon).
bool is_type(std::string_view frame, std::string_view type) {
  auto at = frame.find("\"type\":");
  if (at == std::string_view::npos) return false;
  auto rest = frame.substr(at + 7);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return rest.size() > type.size() + 1 && rest[0] == '"' && rest.substr(1, type.size()) == type &&
         rest[type.size() + 1] == '"';
}

// The integer id of a frame that Sluice produced (`"id":123`), or -1.
long frame_id(std::string_view frame) {
  auto at = frame.find("\"id\":");
  if (at == std::string_view::npos) return -1;
  long id = -1;
  auto start = frame.data() + at + 5;
  std::from_chars(start, frame.data() + frame.size(), id);
  return id;
}

}  // namespace

struct client::impl : std::enable_shared_from_this<impl> {
  impl(net::io_context& ioc, client_options opts)
      : resolver(net::make_strand(ioc)), ws(resolver.get_executor()), options(std::move(opts)) {}

  void start() {
    resolver.async_resolve(options.host, options.port,
                           [self = shared_from_this()](beast::error_code ec, auto results) {
                             if (ec) return self->fail("resolve", ec);
                             self->on_resolve(results);
                           });
  }

  void on_resolve(const tcp::resolver::results_type& results) {
    beast::get_lowest_layer(ws).async_connect(
        results, [self = shared_from_this()](beast::error_code ec, auto) {
          if (ec) return self->fail("connect", ec);
          beast::get_lowest_layer(self->ws).socket().set_option(tcp::no_delay(true));
          self->ws.async_handshake(self->options.host, self->options.path,
                                   [self](beast::error_code hec) {
                                     if (hec) return self->fail("handshake", hec);
                                     self->do_read();
                                     for (unsigned i = 0; i < self->options.inflight; ++i)
                                       self->send_request();
                                   });
        });
  }

  void send_request() {
    if (stopped) return;
    auto id = next_id++;
    sent_at.emplace(id, steady::now());
    if (options.text_protocol)
      outbox.push_back(options.payload);
    else
      outbox.push_back(R"({"type":"request","id":)" + std::to_string(id) + R"(,"route":")" +
                       options.route + R"(","payload":)" + options.payload + "}");
    if (outbox.size() == 1) do_write();
  }

  void do_write() {
    ws.async_write(net::buffer(outbox.front()),
                   [self = shared_from_this()](beast::error_code ec, std::size_t) {
                     if (ec) return self->fail("write", ec);
                     self->outbox.pop_front();
                     if (!self->outbox.empty()) self->do_write();
                   });
  }

  void do_read() {
    ws.async_read(buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->stopped ? void() : self->fail("read", ec);
      self->on_frame(beast::buffers_to_string(self->buffer.cdata()));
      self->buffer.consume(self->buffer.size());
      self->do_read();
    });
  }

  void on_frame(std::string_view frame) {
    if (is_type(frame, "welcome")) return;
    if (counting) ++stats.frames;
    bool is_final = is_type(frame, "final");
    bool is_error = is_type(frame, "error");
    if (!is_final && !is_error) return;
    // Text mode has one request in flight, the oldest one; Sluice's frames carry their id.
    auto sent = sent_at.find(options.text_protocol ? next_id - 1 : frame_id(frame));
    if (sent == sent_at.end()) return;
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - sent->second);
    sent_at.erase(sent);
    if (counting) {
      if (is_final) {
        ++stats.requests;
        stats.latencies_us.push_back(static_cast<std::uint32_t>(us.count()));
      } else {
        ++stats.errors;
      }
    }
    send_request();
  }

  void fail(const char* what, beast::error_code ec) {
    if (stats.failure.empty()) stats.failure = std::string{what} + ": " + ec.message();
    stopped = true;
  }

  tcp::resolver resolver;
  websocket::stream<beast::tcp_stream> ws;
  client_options options;
  beast::flat_buffer buffer;
  std::deque<std::string> outbox;
  std::unordered_map<long, steady::time_point> sent_at;  // requests in flight
  long next_id = 1;
  bool counting = false;
  bool stopped = false;
  client_stats stats;
};

client::client(net::io_context& ioc, client_options options)
    : impl_(std::make_shared<impl>(ioc, std::move(options))) {}

client::~client() = default;

void client::start() {
  impl_->start();
}

void client::stop() {
  net::post(impl_->ws.get_executor(), [i = impl_] {
    i->stopped = true;
    i->counting = false;
  });
}

void client::reset_stats() {
  net::post(impl_->ws.get_executor(), [i = impl_] {
    auto failure = i->stats.failure;
    i->stats = client_stats{};
    i->stats.failure = failure;
    i->counting = true;
  });
}

const client_stats& client::stats() const {
  return impl_->stats;
}

}  // namespace sluice::bench
