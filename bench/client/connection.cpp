#include "bench/client/connection.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>

#include <cstring>
#include <optional>

#include "config/readers/values.hpp"
#include "transport/websocket/frame_header.hpp"

namespace sluice::bench {

namespace beast = boost::beast;
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

// The client's side of the opening handshake (RFC 6455 4.1). The key is
// fixed: a benchmark does not need a fresh nonce, and the server's answer is
// only checked for its status.
std::string upgrade_request(const target& where, std::string_view subprotocol) {
  std::string r = "GET " + where.path + " HTTP/1.1\r\nHost: " + where.host + ":" + where.port +
                  "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  if (!subprotocol.empty()) r.append("Sec-WebSocket-Protocol: ").append(subprotocol).append("\r\n");
  return r + "\r\n";
}

// Shared with the asynchronous operations, which may outlive the connection object.
//
// The client speaks WebSocket on the bare socket: it frames its writes itself
// and parses every frame of a read in one pass, as fast client libraries do.
// A read of many small frames thus costs one system call and no per-frame
// operation, so the client is not what limits a server that sends one
// message per frame.
struct connection::impl : std::enable_shared_from_this<connection::impl> {
  impl(net::io_context& ioc, target t, connection_options o)
      : socket(ioc), where(std::move(t)), options(std::move(o)), protocol(where.protocol) {}

  tcp::socket socket;
  target where;
  connection_options options;
  protocol_stream protocol;
  std::string in;           // bytes read, not yet parsed
  std::size_t in_used = 0;  // of `in`: filled by reads
  std::string message;      // a fragmented message being put together
  bool upgraded = false;
  std::deque<std::string> outbox;
  std::string control;      // control frames (pongs) to go out with the next write, framed
  std::size_t writing = 0;  // frames of the outbox in the write in flight
  bool write_in_flight = false;
  std::string wire;  // that write's bytes
  std::uint32_t mask_seed = 0x9e3779b9;
  std::string failure;
  std::function<void()> ready;
  std::function<void(std::string_view)> on_message = [](std::string_view) {};

  void fail(const char* what, beast::error_code ec) {
    if (failure.empty()) failure = std::string{what} + ": " + ec.message();
  }
  void fail(std::string what) {
    if (failure.empty()) failure = std::move(what);
  }

  void open(std::function<void()> on_ready) {
    ready = std::move(on_ready);
    socket.open(tcp::v4());
    if (options.receive_buffer > 0)
      socket.set_option(net::socket_base::receive_buffer_size(options.receive_buffer));
    tcp::resolver resolver{socket.get_executor()};
    auto endpoints = resolver.resolve(where.host, where.port);
    net::async_connect(socket, endpoints, [self = shared_from_this()](beast::error_code ec, auto) {
      if (ec) return self->fail("connect", ec);
      self->socket.set_option(tcp::no_delay(true));
      self->wire = upgrade_request(self->where, self->protocol.subprotocol());
      net::async_write(self->socket, net::buffer(self->wire),
                       [self](beast::error_code wec, std::size_t) {
                         if (wec) return self->fail("handshake", wec);
                         self->read();
                       });
    });
  }

  void on_upgraded() {
    upgraded = true;
    for (auto& f : protocol.hello(options.topic, !options.topic.empty())) send(std::move(f));
    ready();
  }

  void send(std::string frame) {
    outbox.push_back(std::move(frame));
    if (!write_in_flight && upgraded) write();
  }

  // Everything queued goes out in one system call, framed and masked here,
  // as client libraries that buffer their writes do (a NATS client flushes
  // many PUBs at once). A frame sent while a write is in flight waits for it.
  void write() {
    wire.swap(control);
    control.clear();
    for (const auto& f : outbox) append_client_frame(wire, f, protocol.binary(), mask_seed);
    writing = outbox.size();
    write_in_flight = true;
    net::async_write(
        socket, net::buffer(wire), [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec) return self->fail("write", ec);
          self->outbox.erase(self->outbox.begin(),
                             self->outbox.begin() + static_cast<std::ptrdiff_t>(self->writing));
          self->writing = 0;
          self->write_in_flight = false;
          if (!self->outbox.empty() || !self->control.empty()) self->write();
        });
  }

  // Reads into `in`, which starts small (an idle client holds little) and
  // doubles, up to 256 KiB, while reads fill it.
  void read() {
    if (in.size() - in_used < 1024) in.resize(std::max<std::size_t>(4096, in.size() * 2));
    auto room = in.size() - in_used;
    socket.async_read_some(net::buffer(in.data() + in_used, room),
                           [self = shared_from_this(), room](beast::error_code ec, std::size_t n) {
                             if (ec) return self->fail("read", ec);
                             self->in_used += n;
                             if (n == room && self->in.size() < 256 * 1024)
                               self->in.resize(self->in.size() * 2);
                             if (!self->parse()) return;
                             if (self->upgraded && !self->options.read) return;
                             self->read();
                           });
  }

  // Takes what is complete in `in`: first the handshake's answer, then
  // frames. False when the connection cannot go on.
  bool parse() {
    std::string_view data{in.data(), in_used};
    std::size_t at = 0;
    if (!upgraded) {
      auto end = data.find("\r\n\r\n");
      if (end == std::string_view::npos) return true;
      if (!data.starts_with("HTTP/1.1 101")) {
        fail("handshake: " + std::string{data.substr(0, data.find('\r'))});
        return false;
      }
      at = end + 4;
      on_upgraded();
    }
    bool ok = true;
    while (ok) {
      auto frame = next_frame(data, at);
      if (!frame) break;
      ok = on_frame(frame->first, frame->second);
    }
    std::memmove(in.data(), in.data() + at, in_used - at);
    in_used -= at;
    return ok;
  }

  // The next whole frame at `at` of `data` (opcode and FIN in the first byte,
  // unmasked payload); moves `at` past it.
  static std::optional<std::pair<unsigned char, std::string_view>> next_frame(std::string_view data,
                                                                              std::size_t& at) {
    if (data.size() - at < 2) return std::nullopt;
    auto b0 = static_cast<unsigned char>(data[at]);
    std::uint64_t len = static_cast<unsigned char>(data[at + 1]) & 0x7f;
    std::size_t header = 2;
    if (len >= 126) {
      std::size_t extra = len == 126 ? 2 : 8;
      if (data.size() - at < 2 + extra) return std::nullopt;
      len = 0;
      for (std::size_t i = 0; i < extra; ++i)
        len = (len << 8) | static_cast<unsigned char>(data[at + 2 + i]);
      header += extra;
    }
    if (data.size() - at - header < len) return std::nullopt;
    auto payload = data.substr(at + header, len);
    at += header + len;
    return std::pair{b0, payload};
  }

  bool on_frame(unsigned char b0, std::string_view payload) {
    auto opcode = b0 & 0x0f;
    bool fin = (b0 & 0x80) != 0;
    if (opcode == 0x8) {  // close
      fail("read: the server closed the connection");
      return false;
    }
    if (opcode == 0x9) {  // ping: answered with a pong carrying its payload
      unsigned char header[transport::max_frame_header];
      auto n = transport::frame_header(header, payload.size(), 0xA, true);
      control.append(reinterpret_cast<const char*>(header), n).append(4, '\0').append(payload);
      if (!write_in_flight) write();
      return true;
    }
    if (opcode == 0xA) return true;  // pong
    if (!fin || !message.empty()) {  // a fragment: the message is whole at FIN
      message.append(payload);
      if (!fin) return true;
      std::string whole = std::move(message);
      message.clear();
      deliver(whole);
    } else {
      deliver(payload);
    }
    return true;
  }

  // A server's error frame is recorded; reading goes on.
  void deliver(std::string_view payload) {
    bool ok =
        protocol.feed(payload, on_message, [&](std::string reply) { send(std::move(reply)); });
    if (!ok) fail("the server reported an error");
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
