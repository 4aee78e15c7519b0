#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "protocol/client_frames.hpp"
#include "protocol/shared_frame.hpp"
#include "protocol/worker_frames.hpp"
#include "security/identity.hpp"
#include "transport/websocket/connect_params.hpp"

// The boundary between transport and actors. Transport implements
// `client_link` (what an actor may ask of a client connection); actors
// implement `inbound_sink` (where a connection delivers what it read) and
// `connection_handler` (who receives new connections). No socket crosses it.
namespace sluice::transport {

using protocol::shared_frame;

enum class send_status : std::uint8_t {
  queued,    // the frame will be written
  overflow,  // the outbound queue was full: the connection is being closed (1008)
  closed,    // the connection is closing or closed; the frame was discarded
};

// WebSocket close codes Sluice uses.
enum class close_code : std::uint16_t {
  normal = 1000,
  going_away = 1001,        // server shutting down
  policy_violation = 1008,  // slow consumer, a refused client id or limit
  too_big = 1009,           // frame over max_frame_bytes
  internal_error = 1011,
  try_again_later = 1013,  // the client id's inbox could not be reached (cluster)
};

// A client connection as actors see it. Every member is safe to call from any
// thread; work is posted to the connection's own executor.
class client_link {
 public:
  virtual ~client_link() = default;

  // Queues a frame. Bounded in frames and bytes; see send_status.
  virtual send_status send(shared_frame frame) = 0;

  // Writes what is queued, then closes with `code` and `reason`.
  virtual void close(close_code code, std::string reason) = 0;

  // The sink finished handling one delivered frame. Reading pauses while
  // limits.mailbox frames are delivered but not consumed.
  virtual void consumed() = 0;

  // True while the outbound queue is over half of either bound: producers
  // should hold further frames back and ask for a writable notice.
  virtual bool congested() const = 0;

  // Asks for one inbound_sink::on_writable() call once the outbound queue is
  // at or below half of its bounds (at once if it already is).
  virtual void notify_when_writable() = 0;

  virtual const std::string& remote_address() const = 0;
  // The address alone (remote_address() is address:port).
  virtual const std::string& remote_ip() const { return remote_address(); }

  // What the client asked for in its URL's query (client id, inbox resume).
  virtual const connect_params& params() const {
    static const connect_params none;
    return none;
  }

  // Who the client authenticated as when it connected (anonymous: empty).
  virtual const security::identity& who() const {
    static const security::identity anonymous;
    return anonymous;
  }
};

struct close_info {
  std::uint16_t code = 0;  // WebSocket close code, 0 when the TCP connection just ended
  std::string reason;
};

// Receives what one connection read. Called on that connection's executor.
class inbound_sink {
 public:
  virtual ~inbound_sink() = default;
  // A client's frame (client endpoints) or a worker's (the /workers endpoint).
  virtual void on_message(protocol::client_frame frame) = 0;
  virtual void on_message(protocol::worker_frame frame) = 0;
  // Client frames that arrived together (read from the socket at once), in
  // order: one hand-off for the lot. By default, one on_message each.
  virtual void on_messages(std::vector<protocol::client_frame> frames) {
    for (auto& f : frames) on_message(std::move(f));
  }
  // The outbound queue drained after client_link::notify_when_writable().
  virtual void on_writable() = 0;
  // Called exactly once, last.
  virtual void on_closed(close_info info) = 0;
};

// Called once per accepted WebSocket connection.
class connection_handler {
 public:
  virtual ~connection_handler() = default;
  virtual std::unique_ptr<inbound_sink> open(std::shared_ptr<client_link> link) = 0;
};

}  // namespace sluice::transport
