#include "bench/client/connection.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "config/readers/values.hpp"
#include "transport/websocket/frame_header.hpp"

namespace sluice::bench {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

bool parse_target_url(const std::string& url, target& t) {
  auto parts = config::parse_url(url, "ws");
  if (!parts) return false;
  t.host = parts->host;
  t.port = parts->port;
  t.path = parts->path;
  return true;
}

// Appends one final, masked client frame (RFC 6455 5.2) carrying `payload`.
void append_client_frame(std::string& out, std::string_view payload, bool binary,
                         std::uint32_t& seed) {
  unsigned char header[transport::max_frame_header];
  auto n = transport::frame_header(header, payload.size(), binary ? 0x2 : 0x1, true);
  out.append(reinterpret_cast<const char*>(header), n);
  seed = seed * 1664525u + 1013904223u;  // any key will do: it only has to vary
  char mask[4];
  for (int i = 0; i < 4; ++i) mask[i] = static_cast<char>(seed >> (8 * i));
  out.append(mask, 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    out.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
}

// Shared with the asynchronous operations, which may outlive the connection object.
struct connection::impl : std::enable_shared_from_this<connection::impl> {
  impl(net::io_context& ioc, target t, connection_options o)
      : ws(ioc), where(std::move(t)), options(std::move(o)), protocol(where.protocol) {}

  websocket::stream<beast::tcp_stream> ws;
  target where;
  connection_options options;
  protocol_stream protocol;
  beast::flat_buffer buffer;
  std::deque<std::string> outbox;
  std::size_t writing = 0;  // frames of the outbox in the write in flight
  std::string wire;         // that write's bytes
  std::uint32_t mask_seed = 0x9e3779b9;
  std::string failure;
  std::function<void(std::string_view)> on_message = [](std::string_view) {};

  void fail(const char* what, beast::error_code ec) {
    if (failure.empty()) failure = std::string{what} + ": " + ec.message();
  }

  void open(std::function<void()> ready) {
    auto& socket = beast::get_lowest_layer(ws).socket();
    socket.open(tcp::v4());
    if (options.receive_buffer > 0)
      socket.set_option(net::socket_base::receive_buffer_size(options.receive_buffer));
    tcp::resolver resolver{ws.get_executor()};
    auto endpoints = resolver.resolve(where.host, where.port);
    beast::get_lowest_layer(ws).async_connect(endpoints, [self = shared_from_this(), ready](
                                                             beast::error_code ec, auto) {
      if (ec) return self->fail("connect", ec);
      beast::get_lowest_layer(self->ws).socket().set_option(tcp::no_delay(true));
      if (*self->protocol.subprotocol() != '\0')
        self->ws.set_option(websocket::stream_base::decorator([](websocket::request_type& r) {
          r.set(beast::http::field::sec_websocket_protocol, "mqtt");
        }));
      self->ws.async_handshake(
          self->where.host, self->where.path, [self, ready](beast::error_code hec) {
            if (hec) return self->fail("handshake", hec);
            for (auto& f : self->protocol.hello(self->options.topic, !self->options.topic.empty()))
              self->send(std::move(f));
            if (self->options.read) self->read();
            ready();
          });
    });
  }

  void send(std::string frame) {
    outbox.push_back(std::move(frame));
    if (!writing) write();
  }

  // Everything queued goes out in one system call, framed and masked here,
  // as client libraries that buffer their writes do (a NATS client flushes
  // many PUBs at once). A frame sent while a write is in flight waits for it.
  void write() {
    wire.clear();
    for (const auto& f : outbox) append_client_frame(wire, f, protocol.binary(), mask_seed);
    writing = outbox.size();
    net::async_write(ws.next_layer(), net::buffer(wire),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->fail("write", ec);
                       self->outbox.erase(
                           self->outbox.begin(),
                           self->outbox.begin() + static_cast<std::ptrdiff_t>(self->writing));
                       self->writing = 0;
                       if (!self->outbox.empty()) self->write();
                     });
  }

  void read() {
    ws.async_read(buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail("read", ec);
      auto data = self->buffer.cdata();
      bool ok = self->protocol.feed({static_cast<const char*>(data.data()), data.size()},
                                    self->on_message,
                                    [&](std::string reply) { self->send(std::move(reply)); });
      if (!ok && self->failure.empty()) self->failure = "the server reported an error";
      self->buffer.consume(self->buffer.size());
      self->read();
    });
  }
};

connection::connection(net::io_context& ioc, target t, connection_options o)
    : impl_(std::make_shared<impl>(ioc, std::move(t), std::move(o))) {}

connection::~connection() = default;

void connection::open(std::function<void()> ready) {
  impl_->open(std::move(ready));
}
void connection::send(std::string frame) {
  impl_->send(std::move(frame));
}
std::size_t connection::queued() const {
  return impl_->outbox.size();
}
bool connection::confirmed() const {
  return impl_->protocol.confirmed();
}
const std::string& connection::failure() const {
  return impl_->failure;
}
void connection::on_message(std::function<void(std::string_view)> fn) {
  impl_->on_message = std::move(fn);
}

bool run_until(net::io_context& ioc, const std::function<bool()>& done,
               std::chrono::duration<double> limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (ioc.stopped()) ioc.restart();  // ran out of work: nothing is pending right now
    ioc.run_for(std::chrono::milliseconds(1));
  }
  return true;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace sluice::bench
