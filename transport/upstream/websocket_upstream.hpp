#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

// WebSocket connections to upstream services (one per request, or reused
// from a pool of idle ones). Transport
// owns the sockets; actors see websocket_upstream_handle and receive
// websocket_upstream_events. The connector runs its sockets on its own thread.
namespace sluice::transport {

class io_runtime;
class tls_client_context;

struct websocket_upstream_spec {
  std::string host;
  std::string port;
  std::string path = "/";
  std::chrono::milliseconds connect_timeout{5000};
  std::size_t max_message_bytes = 1024 * 1024;
  // Messages delivered and not yet acknowledged, at most; while the window is
  // full the socket is not read, so TCP backpressure reaches the upstream.
  std::uint32_t message_window = 16;
  // Pooled: up to this many idle connections to this address are kept open
  // for later requests (see websocket_upstream_handle::release); 0: none.
  std::uint32_t keep_idle = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // sent with the handshake
  std::shared_ptr<const tls_client_context> tls = {};        // wss; null: ws
};

// Called on the connector's thread, in order: messages, then on_closed once;
// or on_failed alone when the connection could not be opened.
class websocket_upstream_events {
 public:
  virtual ~websocket_upstream_events() = default;
  virtual void on_failed(std::string why) = 0;  // resolve, connect or handshake failed
  // True: the message was handled for good, and takes no room in the
  // message window; false: it does until acknowledge() gives it back.
  virtual bool on_message(std::string text) = 0;
  virtual void on_closed(std::string why) = 0;
};

// Safe to call from any thread.
class websocket_upstream_handle {
 public:
  virtual ~websocket_upstream_handle() = default;
  virtual void send(std::string text) = 0;
  virtual void acknowledge(std::uint32_t n) = 0;
  // Closes the connection (a close frame when open); no events follow.
  virtual void close() = 0;
  // The request is over and the connection is between messages: keeps it
  // open for the next connect() to the same address when the spec allows
  // (keep_idle), else closes it. No events follow.
  virtual void release() = 0;
};

class websocket_connector {
 public:
  // Runs on `io`, which must outlive it.
  explicit websocket_connector(io_runtime& io);
  ~websocket_connector();  // stops its thread; connections still open are dropped
  websocket_connector(const websocket_connector&) = delete;
  websocket_connector& operator=(const websocket_connector&) = delete;

  // Opens a connection (or takes an idle pooled one) and sends
  // `first_message` on it (queued until it is open).
  std::shared_ptr<websocket_upstream_handle> connect(
      const websocket_upstream_spec& spec, std::shared_ptr<websocket_upstream_events> events,
      std::string first_message);

  // Connections open or being opened (idle pooled ones included).
  std::size_t open_connections() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::transport
